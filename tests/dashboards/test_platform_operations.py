"""Platform Operations builders: tiles, stage timings, provider and data-quality tables."""

from dataclasses import replace
from datetime import datetime, timedelta

import pandas as pd
import pytest

from core.metrics.snapshot_types import RefreshStatus
from dashboards import platform_operations as ops
from dashboards import refresh_jobs

AT = datetime(2026, 4, 10, 12, 0)


def runs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": [1, 2, 3, 4],
            "started_at": [AT - timedelta(seconds=30 * k) for k in (4, 3, 2, 1)],
            "status": ["success", "success", "failed", "success"],
            "duration_s": [0.1, 0.3, 2.0, 0.2],
            "rows_touched": pd.array([10, 20, None, 40], dtype="Int64"),
            "timings": [
                {"read_changes": 0.01, "commit": 0.004},
                {"read_changes": 0.03, "commit": 0.002},
                {},
                {"read_changes": 0.02, "commit": 0.006, "new_stage": 0.5},
            ],
        }
    )


QUALITY = pd.DataFrame(
    {
        "check_id": ["bookings.rows", "bookings.tenant", "payments.future"],
        "category": ["rows", "orphans", "future"],
        "table_name": ["bookings", "bookings", "payments"],
        "check": [
            "Rows in the table",
            "Bookings whose tenant is missing",
            "Payments dated in the future",
        ],
        "count": [100, 0, 3],
        "status": ["ok", "ok", "warning"],
        "checked_at": [pd.Timestamp(AT)] * 3,
    }
)


def test_tiles_use_successful_runs_only():
    summary = pd.DataFrame({"job_id": ["metrics_refresh"], "failed": [1]})
    tiles = ops.refresh_tiles(runs(), summary, QUALITY, locale="en")
    assert [t.value for t in tiles] == ["0.20 s", "40", "1", "1"]  # median of 0.1, 0.3, 0.2
    assert all(t.help for t in tiles)
    empty = ops.refresh_tiles(runs().iloc[0:0], summary.iloc[0:0], None, locale="en")
    assert [t.value for t in empty] == ["—", "—", "0", "—"]


def test_stage_table_medians_in_run_order():
    stages = ops.stage_table(runs()).set_index("stage")
    assert list(stages.index) == ["read_changes", "commit", "new_stage"]
    assert stages.loc["read_changes", "median_s"] == pytest.approx(0.02)
    assert stages.loc["commit", "max_s"] == pytest.approx(0.006)
    assert stages.loc["new_stage", "runs"] == 1


def test_quality_table_puts_warnings_first_and_translates():
    table = ops.quality_table(QUALITY, locale="en")
    assert table["check_id"][0] == "payments.future"
    assert table["category_title"][0] == "Future-dated rows"
    only = ops.quality_table(QUALITY, locale="en", problems_only=True)
    assert only["check_id"].tolist() == ["payments.future"]
    assert ops.checked_at(QUALITY) == AT


def test_provider_table_shows_failures_first():
    table = ops.provider_table({"revenue": 1.5, "cpi": 0.01}, {"broken": "ValueError: x"})
    assert table["provider"].tolist() == ["broken", "revenue", "cpi"]


def test_figures_never_empty():
    none = runs().iloc[0:0]
    for figure in (
        ops.refresh_figure(none, locale="en"),
        ops.stage_figure(ops.stage_table(none), locale="en"),
        ops.provider_figure(ops.provider_table(None, None), locale="en"),
    ):
        assert figure.layout.annotations and not figure.data
    assert len(ops.refresh_figure(runs(), locale="en").data) == 2


def test_status_tiles_are_translated_text():
    status = RefreshStatus(3, AT - timedelta(seconds=12), "failed", AT, "disk full", AT, True, "x")
    tiles = refresh_jobs.status_tiles(status, at=AT, interval_s=30, locale="en")
    assert [t.label for t in tiles] == [
        "Snapshot",
        "Snapshot age",
        "Last refresh",
        "Scheduler heartbeat",
    ]
    assert tiles[2].value == "failed"
    # the kind of failure, not the driver's text (that is in the runs table, for admins)
    assert "Failed: an unexpected error (logged for support)." in tiles[2].help
    assert "disk full" not in tiles[2].help
    locked = replace(status, last_error="OperationalError: database is locked")
    busy = refresh_jobs.status_tiles(locked, at=AT, interval_s=30, locale="es_AR")[2].help
    assert "Falló: la base de datos estaba ocupada con otra actualización." in busy
