"""Health weights: validation, % contributions, the audited save command."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core import audit
from core.commands import Actor, MissingActorError, execute
from core.models.health.weights import (
    DEFAULT_WEIGHTS,
    SaveHealthWeights,
    WeightsError,
    contributions,
    load_weights,
    validate_weights,
)
from core.schema import ConsoleUser, HealthWeight

ADMIN = Actor(3)  # the console user who edits the weights (only admins may)


def test_contributions_are_percentages_of_the_available() -> None:
    weights = {"usage": 30, "adoption": 10, "billing": 0, "support": 10, "sentiment": 0,
               "relationship": 0, "client_base": 0}  # fmt: skip
    shares = contributions(weights)
    assert shares["usage"] == pytest.approx(60.0) and sum(shares.values()) == pytest.approx(100)
    assert contributions(weights, ["adoption", "support"]) == {"adoption": 50.0, "support": 50.0}
    assert all(
        sum(contributions(w).values()) == pytest.approx(100) for w in DEFAULT_WEIGHTS.values()
    )


@pytest.mark.parametrize(
    ("tier", "weights", "message"),
    [
        ("gold", {"usage": 1}, "Unknown tier"),
        ("pro", {"usage": -1}, "negative"),
        ("pro", {"usage": "much"}, "not a number"),
        ("pro", {"usage": float("nan")}, "not a number"),
        ("pro", {"usage": True}, "not a number"),
        ("pro", {"usage": 0, "billing": 0}, "At least one weight"),
        ("pro", {}, "At least one weight"),
        ("pro", {"mood": 3}, "Unknown component"),
        ("pro", {"usage": 1e9}, "above"),
    ],
)
def test_bad_weights_are_one_clear_message(tier, weights, message) -> None:
    with pytest.raises(WeightsError, match=message):
        validate_weights(tier, weights)


def _add_cs_lead(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add(
            ConsoleUser(id=ADMIN.user_id, full_name="Lía", email="lia@b.test", role="admin")
        )


def test_save_stores_audits_and_bad_input_changes_nothing(engine: Engine) -> None:
    _add_cs_lead(engine)
    saved = execute(
        SaveHealthWeights("starter", {"usage": 2, "billing": 1}), actor=ADMIN, engine=engine
    )
    assert saved["usage"] == 2.0 and saved["adoption"] == 0.0
    with Session(engine) as session:
        weights = load_weights(session=session)
        assert weights["starter"]["usage"] == 2.0 and weights["starter"]["support"] == 0.0
        assert weights["pro"] == DEFAULT_WEIGHTS["pro"]  # other tiers keep their defaults
        events = audit.history(session=session, entity="health_weights", entity_id="starter")
        assert len(events) == 1
        assert events[0].before == DEFAULT_WEIGHTS["starter"]
        assert events[0].after["billing"] == 1.0
        assert events[0].actor_id == ADMIN.user_id
        rows = session.scalars(select(HealthWeight).where(HealthWeight.tier == "starter"))
        assert {row.updated_by for row in rows} == {ADMIN.user_id}
    with pytest.raises(WeightsError) as refused:
        execute(SaveHealthWeights("starter", {"usage": -5}), actor=ADMIN, engine=engine)
    assert refused.value.field == "usage"
    assert refused.value.text("es_AR") == (
        "El peso de Tendencia de uso es negativo (-5); usá 0 o más."
    )
    with pytest.raises(MissingActorError):
        execute(SaveHealthWeights("starter", {"usage": 9}), actor=None, engine=engine)
    with Session(engine) as session:
        assert load_weights(session=session)["starter"]["usage"] == 2.0
        assert session.scalar(select(func.count()).select_from(HealthWeight)) == 7
        assert (
            len(audit.history(session=session, entity="health_weights", entity_id="starter")) == 1
        )
