"""The detail tables that show model outputs (health, churn, tenants at risk) follow them:
a new health score or churn score is recomputed into its tables by the next detail run,
not at the next BARBERPRO_DETAIL_REFRESH_S, while tables with no new outputs stay kept."""

from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import write_unit
from core.metrics.detail import FULL, KEPT, discover_providers, refresh_detail_frames
from core.metrics.snapshots import latest_detail_version, load_snapshot
from core.schema import ChurnScore, HealthScore
from tests.factories import add_tenant

AT = datetime(2026, 4, 10, 12, 0)
CADENCE_S = 300.0
MODEL_PROVIDERS = ("health", "churn", "tenants_at_risk")


def _providers():
    return [p for p in discover_providers() if p.name in MODEL_PROVIDERS]


def _run(engine: Engine, at: datetime):
    return refresh_detail_frames(engine, at=at, providers=_providers(), slow_cadence_s=CADENCE_S)


def _frames(engine: Engine):
    with Session(engine) as session:
        return load_snapshot(session=session, version=latest_detail_version(session=session)).frames


def test_model_tables_follow_new_outputs_before_their_cadence(engine: Engine) -> None:
    with write_unit(engine) as session:
        tenant_id = add_tenant(session, 1, signup=date(2025, 1, 6)).tenant_id
    first = _run(engine, AT)
    assert set(first.modes.values()) == {FULL}
    assert _frames(engine)["health_latest"].empty
    # Nothing new 30 s later: every table is kept (the cadence is 300 s).
    assert set(_run(engine, AT + timedelta(seconds=30)).modes.values()) == {KEPT}

    with write_unit(engine) as session:
        session.add(
            HealthScore(
                tenant_id=tenant_id,
                day=AT.date(),
                tier="pro",
                score=41.5,
                band="yellow",
                missing=[],
                computed_at=AT + timedelta(seconds=40),
            )
        )
    after_health = _run(engine, AT + timedelta(seconds=60))
    assert after_health.modes == {"health": FULL, "churn": KEPT, "tenants_at_risk": KEPT}
    assert _frames(engine)["health_latest"]["score"].tolist() == [41.5]

    with write_unit(engine) as session:
        session.add(
            ChurnScore(
                tenant_id=tenant_id,
                scored_at=AT + timedelta(seconds=70),
                model_version=1,
                probability=0.62,
                drivers=[],
            )
        )
    after_churn = _run(engine, AT + timedelta(seconds=90))
    assert after_churn.modes == {"health": KEPT, "churn": FULL, "tenants_at_risk": FULL}
    frames = _frames(engine)
    assert frames["churn_risk_scores"]["probability"].tolist() == [0.62]
    assert frames["overview_tenants_at_risk"]["tenant_id"].tolist() == [tenant_id]
    assert frames["health_latest"]["score"].tolist() == [41.5]  # kept, still there

    # Outputs older than the tables change nothing.
    assert set(_run(engine, AT + timedelta(seconds=120)).modes.values()) == {KEPT}
