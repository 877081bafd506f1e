"""One open alert per (tenant, reason), whatever the signals; the holdout arm never moves."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.schema import ArmChangeError, AuditEvent, CsAlert, CsIntervention
from core.workflows.alerts_config import load_config
from core.workflows.alerts_engine import Risk, _open, apply_signal, draw_arm, run_alert_rules
from core.workflows.alerts_signals import RuleResult, Signal
from tests.core.workflows.alerts_fixtures import AT, make_world

REASONS = ("failed_invoice", "nps_detractor", "no_bookings")
signal_st = st.tuples(st.integers(0, 2), st.sampled_from(REASONS), st.sampled_from("abc"))
batch_st = st.lists(signal_st, min_size=1, max_size=8)


def feed(engine: Engine, tenants: list[int], batch, at, rng) -> None:  # type: ignore[no-untyped-def]
    by_reason: dict[str, list[Signal]] = {}
    for t, reason, key in batch:
        by_reason.setdefault(reason, []).append(Signal(tenants[t], reason, key, {"k": key}))
    # evaluated is empty: nothing clears, so only the signals decide.
    results = [RuleResult(reason, signals) for reason, signals in by_reason.items()]
    with Session(engine) as session, session.begin():
        run_alert_rules(session=session, at=at, rng=rng, results=results)


def reset(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(AuditEvent))
        session.execute(delete(CsAlert))
        session.execute(delete(CsIntervention))


def open_counts(engine: Engine) -> Counter:  # type: ignore[type-arg]
    with Session(engine) as session:
        rows = session.execute(
            select(CsAlert.tenant_id, CsAlert.reason).where(CsAlert.status != "closed")
        ).all()
    return Counter((r.tenant_id, r.reason) for r in rows)


@pytest.fixture
def world(sqlite_engine: Engine):  # type: ignore[no-untyped-def]
    return make_world(sqlite_engine)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(batch_st, min_size=1, max_size=5))
def test_duplicate_signals_never_open_duplicate_alerts(world, batches) -> None:  # type: ignore[no-untyped-def]
    engine = world.engine
    reset(engine)
    rng = random.Random(0)
    for i, batch in enumerate(batches):
        feed(engine, world.tenants, batch, AT + timedelta(minutes=i), rng)
        assert max(open_counts(engine).values()) == 1
    pairs = {(world.tenants[t], r) for batch in batches for t, r, _ in batch}
    assert open_counts(engine) == Counter(dict.fromkeys(pairs, 1))
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(CsAlert)) == len(pairs)
        assert session.scalar(select(func.count()).select_from(CsIntervention)) == len(pairs)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(st.one_of(batch_st, st.tuples(st.just("close"), st.integers(0, 20))), max_size=8)
)
def test_with_closes_in_between_at_most_one_alert_is_open(world, steps) -> None:  # type: ignore[no-untyped-def]
    from core.commands import Actor, execute
    from core.workflows.alerts_commands import CloseAlert

    engine = world.engine
    reset(engine)
    rng = random.Random(1)
    for i, step in enumerate(steps):
        at = AT + timedelta(days=i)
        if isinstance(step, tuple) and step[0] == "close":
            with Session(engine) as session:
                ids = session.scalars(select(CsAlert.id).where(CsAlert.status != "closed")).all()
            if ids:
                execute(
                    CloseAlert(ids[step[1] % len(ids)], "resolved", None, at),
                    actor=Actor(world.manager),
                    engine=engine,
                )
        else:
            feed(engine, world.tenants, step, at, rng)
        counts = open_counts(engine)
        assert not counts or max(counts.values()) == 1


def test_the_database_refuses_a_second_open_alert(world) -> None:  # type: ignore[no-untyped-def]
    config_rng = random.Random(3)
    with Session(world.engine) as session, session.begin():
        config = load_config(session=session)
        signal = Signal(world.tenants[0], "failed_invoice", "invoice:1", {})
        status, first = apply_signal(
            session, signal, at=AT, config=config, tenant={"mrr": 1.0}, risk=Risk(), rng=config_rng
        )
        assert status == "opened" and first is not None
        # A racing run that missed the first alert cannot insert a second: the savepoint
        # rolls back and the caller falls back to updating the existing one.
        again = _open(
            session, signal, f"{world.tenants[0]}:failed_invoice", AT, config, {}, 1.0, 0.2,
            "prior", {}, config_rng,
        )  # fmt: skip
        assert again is None
        assert session.scalar(select(func.count()).select_from(CsAlert)) == 1
        fields = {c: getattr(first, c) for c in ("tenant_id", "reason", "arm", "playbook")}
        key = first.open_key
    with pytest.raises(IntegrityError), Session(world.engine) as session, session.begin():
        clone = CsAlert(
            **fields,
            open_key=key,
            tasks=[],
            triggered_at=AT,
            signal_key="x",
            last_signal_at=AT,
            churn_probability=0.1,
            probability_source="prior",
            priority=0,
        )
        session.add(clone)


def test_holdout_share_is_drawn_at_random() -> None:
    rng = random.Random(42)
    draws = [draw_arm(0.10, rng) for _ in range(20_000)]
    share = draws.count("holdout") / len(draws)
    assert share == pytest.approx(0.10, abs=0.006)  # ~3 standard errors
    assert {draw_arm(0.0) for _ in range(200)} == {"treated"}


def test_the_arm_is_recorded_at_trigger_and_never_changes(world) -> None:  # type: ignore[no-untyped-def]
    engine = world.engine
    rng = random.Random(7)
    batch = [(t, r, "a") for t in range(3) for r in REASONS]
    feed(engine, world.tenants, batch, AT, rng)
    with Session(engine) as session:
        first = {a.id: a.arm for a in session.scalars(select(CsAlert))}
        ledger = {
            a.id: session.get(CsIntervention, a.intervention_id).arm  # type: ignore[union-attr]
            for a in session.scalars(select(CsAlert))
        }
    assert first == ledger and set(first.values()) <= {"treated", "holdout"}
    # New signals, later runs and a close keep every arm as drawn.
    feed(engine, world.tenants, [(t, r, "b") for t, r, _ in batch], AT + timedelta(hours=1), rng)
    with Session(engine) as session:
        assert {a.id: a.arm for a in session.scalars(select(CsAlert))} == first
    with Session(engine) as session, session.begin():
        alert = session.scalars(select(CsAlert)).first()
        flipped = "holdout" if alert.arm == "treated" else "treated"  # type: ignore[union-attr]
        with pytest.raises(ArmChangeError):
            alert.arm = flipped  # type: ignore[union-attr]
        ledger_row = session.get(CsIntervention, alert.intervention_id)  # type: ignore[union-attr]
        with pytest.raises(ArmChangeError):
            ledger_row.arm = flipped  # type: ignore[union-attr]


def test_holdout_share_comes_from_the_settings(world) -> None:  # type: ignore[no-untyped-def]
    from core.commands import Actor, execute
    from core.workflows.alerts_commands import UpdateSettings

    execute(UpdateSettings(0.5, 50_000, 30), actor=Actor(world.admin), engine=world.engine)
    batch = [(t, r, "a") for t in range(3) for r in REASONS]
    feed(world.engine, world.tenants, batch, AT, random.Random(11))
    with Session(world.engine) as session:
        arms = Counter(session.scalars(select(CsAlert.arm)))
    assert arms["holdout"] > 0 and arms["treated"] > 0
