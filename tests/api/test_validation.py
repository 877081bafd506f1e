"""GET /api/t11/validation: stored results only, each judged by its rule; nothing stored
yet → null figures and a note, never an error."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from core.backup.manifest import DrillResult, append_drill
from core.clock import now
from core.db import write_unit
from core.metrics.snapshots import DETAIL_KIND, write_snapshot
from core.schema.churn_models import ChurnModelVersion
from tests.api.conftest import BACKENDS, ApiWorld

ROUTE = "/api/t11/validation"
ROLES = ("admin", "executive", "cs_manager", "onboarding")


def _local(stamp: str) -> datetime:
    assert stamp.endswith("-03:00"), stamp
    return datetime.fromisoformat(stamp).replace(tzinfo=None)


def test_validation_wants_a_reader(api_world: ApiWorld) -> None:
    client = api_world.client
    assert client.get(ROUTE).status_code == 401
    assert client.get(ROUTE, headers={"Authorization": "Bearer bp_" + "v" * 43}).status_code == 401
    for role in ROLES:
        answer = client.get(ROUTE, headers=api_world.auth(role))
        assert answer.status_code == (200 if role in ("admin", "executive") else 403), role


def test_nothing_stored_yet_is_null_with_a_note(api_world: ApiWorld) -> None:
    body = api_world.client.get(ROUTE, headers=api_world.auth("admin")).json()
    assert body["passed"] is None
    ids = [r["id"] for r in body["results"]]
    assert ids == [
        "data_quality",
        "incremental_vs_full_rebuild",
        "churn_backtest.promoted",
        "churn_backtest.latest",
        "forecast_mase.bookings",
        "forecast_mase.gmv",
        "forecast_mase.mrr",
    ]
    for result in body["results"]:
        assert result["values"] is None and result["passed"] is None
        assert result["measured_at"] is None and result["note"] and result["rule"]
    spanish = api_world.client.get(
        ROUTE, headers={**api_world.auth("admin"), "Accept-Language": "es"}
    ).json()
    assert spanish["results"][0]["note"].startswith("Todavía")


def _metrics(auc: float, brier: float, baseline: float, promotion: dict) -> dict:
    return {
        "roc_auc": {"value": auc},
        "brier": {"value": brier},
        "brier_baseline": {"value": baseline},
        "promotion": promotion,
    }


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_stored_results_are_answered_with_their_rule_and_verdict(api_world: ApiWorld) -> None:
    at = now().replace(microsecond=0)
    checked = at - timedelta(minutes=20)
    quality = pd.DataFrame(
        {
            "check_id": ["rows.tenants", "orphans.bookings.tenant", "future.payments"],
            "category": ["rows", "orphans", "future"],
            "table_name": ["tenants", "bookings", "payments"],
            "check": ["rows", "tenant missing", "after the day"],
            "count": [250, 3, 0],
            "status": ["ok", "warning", "ok"],
            "checked_at": [checked] * 3,
        }
    )
    accuracy = pd.DataFrame(
        {
            "series": ["bookings", "mrr", "gmv"],
            "grain": ["day", "month", "month"],
            "method": ["sarimax", "ets", ""],
            "horizon": [30.0, 3.0, 3.0],
            "origins": [6.0, 4.0, float("nan")],
            "mase_model": [0.8, 1.3, float("nan")],
            "mase_naive": [1.0, 1.1, float("nan")],
            "note": ["", "", "too little history for a backtest"],
        }
    )
    with write_unit(api_world.engine) as session:
        write_snapshot(
            session=session,
            as_of=at,
            kind=DETAIL_KIND,
            kpis={},
            frames={"platform_data_quality": quality, "forecast_accuracy": accuracy},
        )
        session.add_all(
            [
                ChurnModelVersion(
                    version=1,
                    trained_at=at - timedelta(days=1),
                    data_start=date(2025, 1, 1),
                    data_end=date(2026, 11, 1),
                    horizon_days=60,
                    algorithm="logistic",
                    metrics=_metrics(0.81, 0.09, 0.12, {"reason": "first_model"}),
                    roc_auc=0.81,
                    promoted=True,
                    promotion_note="first_model",
                    model_bytes=b"{}",
                ),
                ChurnModelVersion(
                    version=2,
                    trained_at=at - timedelta(hours=1),
                    data_start=date(2025, 1, 1),
                    data_end=date(2026, 12, 1),
                    horizon_days=60,
                    algorithm="gbm",
                    metrics=_metrics(
                        0.78,
                        0.10,
                        0.12,
                        {"reason": "worse_auc", "previous_version": 1, "previous_auc": 0.81},
                    ),
                    roc_auc=0.78,
                    promoted=False,
                    promotion_note="worse_auc",
                    model_bytes=b"{}",
                ),
            ]
        )
    drill_at = at - timedelta(days=2)
    api_world.settings.backups_dir.mkdir(parents=True)
    append_drill(
        api_world.settings.backups_dir,
        DrillResult(
            at=drill_at,
            backup="barberpro-sqlite-20261205T030000.db",
            passed=True,
            kpis={"mrr_ars": (1000.0, 1000.0), "active_tenants": (250.0, 250.0)},
            seconds=12.5,
        ),
    )
    body = api_world.client.get(ROUTE, headers=api_world.auth("executive")).json()
    results = {r["id"]: r for r in body["results"]}
    assert body["passed"] is False  # a check and two models/forecasts fail

    dq = results["data_quality"]
    assert dq["values"] == {
        "checks": 3,
        "failing": 1,
        "offending_rows": 3,
        "failing_checks": ["orphans.bookings.tenant"],
    }
    assert dq["passed"] is False and _local(dq["measured_at"]) == checked

    rebuild = results["incremental_vs_full_rebuild"]
    assert rebuild["passed"] is True and _local(rebuild["measured_at"]) == drill_at
    assert rebuild["values"]["kpis_compared"] == 2 and rebuild["values"]["mismatched"] == []
    assert rebuild["values"]["kpis"]["mrr_ars"] == {"snapshot": 1000.0, "rebuilt": 1000.0}

    promoted, latest = results["churn_backtest.promoted"], results["churn_backtest.latest"]
    assert promoted["values"]["version"] == 1 and promoted["passed"] is True
    assert promoted["values"]["roc_auc"] == 0.81 and promoted["values"]["brier"] == 0.09
    assert latest["values"]["version"] == 2 and latest["passed"] is False
    assert latest["values"]["decision"] == "worse_auc"
    assert latest["values"]["compared_with_auc"] == 0.81
    assert "0.01" in latest["rule"]
    assert _local(latest["measured_at"]) == at - timedelta(hours=1)

    bookings = results["forecast_mase.bookings"]
    assert bookings["passed"] is True
    assert bookings["values"]["mase_model"] == 0.8 and bookings["values"]["mase_naive"] == 1.0
    assert results["forecast_mase.mrr"]["passed"] is False  # 1.3 is not below 1.1
    gmv = results["forecast_mase.gmv"]
    assert gmv["passed"] is None and gmv["values"] == {"note": "too little history for a backtest"}
