"""Which of a page's figures come at a slower cadence than the refresh, and since when."""

from __future__ import annotations

from datetime import datetime

from core.metrics.detail import FULL, INCREMENTAL, KEPT, ProviderState
from core.metrics.frames.efficiency import WEEK_FRAME
from core.metrics.snapshot_types import Snapshot
from core.queries.freshness import Cadence, job_cadence_s, slow_cadences

AT = datetime(2026, 12, 7, 14, 3, 30)


def detail_snapshot(states: dict[str, ProviderState]) -> Snapshot:
    kpis = {"_providers": {name: state.to_json() for name, state in states.items()}}
    return Snapshot(7, AT, AT, "detail", kpis, {})  # type: ignore[arg-type]


def state(computed_at: datetime, mode: str) -> ProviderState:
    return ProviderState(computed_at=computed_at, as_of=computed_at.date(), marks=None, mode=mode)


def test_kept_tables_give_their_cadence_and_oldest_computation() -> None:
    detail = detail_snapshot(
        {
            "partners": state(datetime(2026, 12, 7, 14, 0, 10), KEPT),
            "efficiency": state(datetime(2026, 12, 7, 13, 59, 40), FULL),
            "regions": state(datetime(2026, 12, 7, 14, 3, 10), INCREMENTAL),
        }
    )
    found = slow_cadences(
        detail,
        [
            "partners",
            "partners_tenant_month",
            WEEK_FRAME,
            "regions_cities",
            "daily",
        ],
        default_cadence_s=300.0,
    )
    # partners and efficiency have no update(): one entry, the oldest of their computations;
    # regions follows the refresh and "daily" is a metrics-snapshot table.
    assert found == [Cadence("tables", 300.0, datetime(2026, 12, 7, 13, 59, 40))]


def test_incremental_tables_alone_need_no_note() -> None:
    detail = detail_snapshot({"regions": state(datetime(2026, 12, 7, 14, 3, 10), INCREMENTAL)})
    assert slow_cadences(detail, ["regions_cities"], default_cadence_s=300.0) == []
    assert slow_cadences(None, [], default_cadence_s=300.0) == []


def test_churn_scores_name_the_daily_retrain_and_the_hourly_scoring() -> None:
    found = slow_cadences(None, ["overview_tenants_at_risk"], default_cadence_s=120.0)
    # Before any detail snapshot the provider's computation time is unknown.
    assert found == [
        Cadence("tables", 120.0, None),
        Cadence("churn_retrain", 86_400.0),
        Cadence("churn_score", 3_600.0),
    ]
    assert job_cadence_s("churn_retrain") == 86_400.0
    assert job_cadence_s("metrics_refresh") is None  # at the refresh interval
    assert job_cadence_s("no_such_job") is None


def test_a_damaged_bookkeeping_entry_reads_as_unknown_time() -> None:
    detail = Snapshot(7, AT, AT, "detail", {"_providers": {"partners": "?"}}, {})  # type: ignore[arg-type]
    assert slow_cadences(detail, ["partners"], default_cadence_s=300.0) == [
        Cadence("tables", 300.0, None)
    ]
