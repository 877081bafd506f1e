"""The System status read model, from tables the watchdog really filled (evaluate_once on a
real SQLite database with no scheduler: its heartbeat goes critical and opens an
incident) plus rows written directly where a case needs them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.clock import now
from core.config import Settings
from core.db import create_engine_for, read_session, write_unit
from core.ops.catalog import MONITORS
from core.ops.status_types import CRITICAL, OK, UNKNOWN
from core.ops.watchdog import evaluate_once
from core.queries.ops import SPARKLINE_POINTS, sparklines, status_version, system_status
from core.schema import (
    ConsoleUser,
    OpsIncident,
    OpsMaintenanceWindow,
    OpsMonitorOverride,
    OpsMonitorResult,
)
from tests import snapshot_factory as factory

# A few cheap monitors: enough to open a real incident without the heavy scans.
WATCHED = tuple(
    m
    for m in MONITORS
    if m.monitor_id in {"database.reachable", "scheduler.heartbeat", "disk.free", "backup.age"}
)


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    url = factory.make_database(f"sqlite:///{tmp_path / 'ops.db'}")
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", url)
    monkeypatch.setenv("BARBERPRO_DATA_DIR", str(tmp_path))
    engine = create_engine_for(url)
    yield engine
    engine.dispose()


def _settings() -> Settings:
    return Settings.from_env()


def _read(engine: Engine, at: datetime, locale: str = "en"):
    with read_session(engine) as session:
        return system_status(
            session=session, at=at, locale=locale, watchdog_interval_s=30.0, monitors=WATCHED
        )


def _two_rounds(engine: Engine, start: datetime) -> datetime:
    settings = _settings()
    evaluate_once(engine, settings, at=start, monitors=WATCHED)
    evaluate_once(engine, settings, at=start + timedelta(seconds=30), monitors=WATCHED)
    return start + timedelta(seconds=30)


def test_a_stopped_scheduler_is_a_red_component_with_an_open_incident(engine: Engine) -> None:
    start = now().replace(microsecond=0) - timedelta(minutes=1)
    last = _two_rounds(engine, start)
    status = _read(engine, last + timedelta(seconds=5))
    components = {c.component: c for c in status.components}
    scheduler = components["scheduler"]
    assert scheduler.state == CRITICAL
    assert scheduler.monitor_id == "scheduler.heartbeat"
    # Critical from the round the flapping guard (2 in a row) agreed: the second one.
    assert scheduler.since == last
    assert "heartbeat" in scheduler.evidence and scheduler.runbook
    assert components["database"].state == OK
    assert components["pages"].state == UNKNOWN  # no monitor of it among WATCHED
    assert status.overall == CRITICAL
    incident = next(i for i in status.open_incidents if i.monitor_id == "scheduler.heartbeat")
    assert incident.status == "open" and incident.severity == CRITICAL
    assert incident.opened_at == last and incident.version == 1
    assert incident.monitor_title == "Scheduler heartbeat"
    assert status.newest_check == last
    assert not status.watchdog_stale(last + timedelta(seconds=90))
    assert status.watchdog_stale(last + timedelta(seconds=91))  # 3 × 30 s


def test_open_incidents_newest_first_and_resolved_ones_listed(engine: Engine) -> None:
    at = now().replace(microsecond=0)
    evidence = '{"text": "x {n}", "params": {"n": 1}}'
    with write_unit(engine) as session:
        session.add(
            ConsoleUser(id=7, full_name="Ana Ops", email="ana@barberpro.com.ar", role="admin")
        )
        session.flush()
        for minutes, monitor, status in (
            (30, "disk.free", "open"),
            (10, "backup.age", "acknowledged"),
            (50, "scheduler.heartbeat", "resolved"),
        ):
            session.add(
                OpsIncident(
                    monitor_id=monitor,
                    severity="warning",
                    status=status,
                    opened_at=at - timedelta(minutes=minutes),
                    evidence=evidence,
                    acknowledged_by=7 if status == "acknowledged" else None,
                    acknowledged_at=at if status == "acknowledged" else None,
                    resolved_at=at - timedelta(minutes=5) if status == "resolved" else None,
                    resolved_by=7 if status == "resolved" else None,
                    resolution_note="**restarted** <b>it</b>" if status == "resolved" else None,
                )
            )
    status = _read(engine, at)
    assert [i.monitor_id for i in status.open_incidents] == ["backup.age", "disk.free"]
    assert status.open_incidents[0].acknowledged_by == "Ana Ops"
    assert status.open_incidents[0].evidence == "x 1"
    (resolved,) = status.resolved_incidents
    assert resolved.resolved_by == "Ana Ops"
    assert resolved.resolution_note == "**restarted** <b>it</b>"  # stored as typed


def test_overrides_are_applied_and_marked(engine: Engine) -> None:
    at = now()
    with write_unit(engine) as session:
        session.add(
            OpsMonitorOverride(monitor_id="disk.free", warning=50.0, updated_at=at, channel="none")
        )
    status = _read(engine, at, locale="es_AR")
    disk = status.monitor("disk.free")
    declared = next(m for m in WATCHED if m.monitor_id == "disk.free")
    assert disk is not None and disk.overridden and disk.override_version == 1
    assert disk.warning == 50.0 and disk.critical == declared.critical
    assert disk.declared_warning == declared.warning
    assert disk.channel == "none"
    assert disk.thresholds.startswith("≤ 50 /")
    assert disk.state == UNKNOWN  # never evaluated
    other = status.monitor("backup.age")
    assert other is not None and not other.overridden and other.override_version == 0


def test_sparklines_average_each_quarter_hour_in_sql(engine: Engine) -> None:
    at = datetime(2025, 3, 4, 12, 0, 0)
    start = at - timedelta(hours=24)
    with write_unit(engine) as session:
        # Slice 0: 10 and 20 (mean 15); slice 95: 7; one row outside the window; a NULL.
        for offset_s, value in ((60, 10.0), (600, 20.0), (24 * 3600 - 30, 7.0), (-60, 99.0)):
            session.add(
                OpsMonitorResult(
                    monitor_id="disk.free",
                    checked_at=start + timedelta(seconds=offset_s),
                    state="ok",
                    value=value,
                    evidence="{}",
                )
            )
        session.add(
            OpsMonitorResult(
                monitor_id="disk.free",
                checked_at=start + timedelta(hours=5),
                state="unknown",
                value=None,
                evidence="{}",
            )
        )
    with read_session(engine) as session:
        lines = sparklines(session=session, at=at)
    line = lines["disk.free"]
    assert len(line) == SPARKLINE_POINTS == 96
    assert line[0] == pytest.approx(15.0)
    assert line[95] == pytest.approx(7.0)
    assert sum(v is not None for v in line) == 2


def test_the_version_moves_with_what_the_page_shows(engine: Engine) -> None:
    at = now()
    with read_session(engine) as session:
        before = status_version(session=session, at=at)
    with write_unit(engine) as session:
        session.add(
            OpsMaintenanceWindow(
                monitor_id=None,
                starts_at=at - timedelta(minutes=1),
                ends_at=at + timedelta(hours=1),
                reason="upgrade",
                created_at=at,
            )
        )
    with read_session(engine) as session:
        after = status_version(session=session, at=at)
        assert status_version(session=session, at=at) == after  # stable while nothing changes
    assert after != before
    status = _read(engine, at)
    (window,) = status.maintenance
    assert window.active and window.scope == "All monitors" and window.reason == "upgrade"
