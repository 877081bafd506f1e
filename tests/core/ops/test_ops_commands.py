"""The System status commands on a real SQLite database: each does its one change with an
audit row; bad input, a stale version or a role without OPERATE_SYSTEM changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.clock import now
from core.commands import Actor, PermissionDeniedError, StaleWriteError, execute
from core.db import create_engine_for, write_unit
from core.ops.commands import (
    AcknowledgeIncident,
    EndMaintenance,
    OpsCommandError,
    OverrideMonitor,
    ResetMonitor,
    ResolveIncident,
    ScheduleMaintenance,
    SilenceIncident,
)
from core.ops.incidents import in_maintenance
from core.schema import (
    AuditEvent,
    ConsoleUser,
    OpsIncident,
    OpsMaintenanceWindow,
    OpsMonitorOverride,
    OpsMonitorState,
    OpsNotification,
)
from tests import snapshot_factory as factory
from tests.db_fingerprint import assert_unchanged, fingerprint

ADMIN = Actor(1)
EXECUTIVE = Actor(2)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine_for(factory.make_database(f"sqlite:///{tmp_path / 'ops.db'}"))
    with write_unit(engine) as session:
        session.add(
            ConsoleUser(id=1, full_name="Ana Ops", email="ana@barberpro.com.ar", role="admin")
        )
        session.add(
            ConsoleUser(id=2, full_name="Eva Exec", email="eva@barberpro.com.ar", role="executive")
        )
        session.add(
            OpsIncident(
                id=1,
                monitor_id="scheduler.heartbeat",
                severity="critical",
                status="open",
                opened_at=now() - timedelta(minutes=5),
                evidence="{}",
            )
        )
    yield engine
    engine.dispose()


def _incident(engine: Engine) -> OpsIncident:
    with Session(engine) as session:
        incident = session.get_one(OpsIncident, 1)
        session.expunge(incident)
        return incident


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _refused(engine: Engine, command: object, actor: Actor = ADMIN, error=OpsCommandError) -> str:
    before = fingerprint(engine)
    with pytest.raises(error) as caught:
        execute(command, actor=actor, engine=engine)  # type: ignore[arg-type]
    assert_unchanged(engine, before)
    return caught.value.translated(str)


def test_acknowledge_then_resolve_with_a_note(engine: Engine) -> None:
    execute(AcknowledgeIncident(1, expected_version=1), actor=ADMIN, engine=engine)
    incident = _incident(engine)
    assert incident.status == "acknowledged" and incident.acknowledged_by == 1
    assert incident.version == 2
    assert "already acknowledged" in _refused(engine, AcknowledgeIncident(1, expected_version=2))
    note = "  restarted the **scheduler** <script>  "
    execute(ResolveIncident(1, note, expected_version=2), actor=ADMIN, engine=engine)
    incident = _incident(engine)
    assert incident.status == "resolved" and incident.resolved_by == 1
    assert incident.resolution_note == note.strip() and incident.resolved_at is not None
    assert _actions(engine) == ["ops.incident.acknowledge", "ops.incident.resolve"]
    assert "already resolved" in _refused(engine, AcknowledgeIncident(1, expected_version=3))


def test_a_stale_window_and_other_roles_change_nothing(engine: Engine) -> None:
    _refused(engine, AcknowledgeIncident(1, expected_version=7), error=StaleWriteError)
    _refused(engine, AcknowledgeIncident(1), actor=EXECUTIVE, error=PermissionDeniedError)
    assert "does not exist" in _refused(engine, AcknowledgeIncident(99))
    assert "note is required" in _refused(engine, ResolveIncident(1, "   ", expected_version=1))
    assert "at most 2000" in _refused(engine, ResolveIncident(1, "x" * 2001, expected_version=1))
    assert _incident(engine).version == 1


def test_silence_for_a_period_and_lift_it(engine: Engine) -> None:
    at = now()
    assert "has already passed" in _refused(
        engine, SilenceIncident(1, at - timedelta(minutes=1), expected_version=1, at=at)
    )
    assert "at most 7 days" in _refused(
        engine, SilenceIncident(1, at + timedelta(days=8), expected_version=1, at=at)
    )
    assert "not silenced" in _refused(engine, SilenceIncident(1, None, expected_version=1))
    until = at + timedelta(hours=4)
    execute(SilenceIncident(1, until, expected_version=1, at=at), actor=ADMIN, engine=engine)
    assert _incident(engine).silenced_until == until
    execute(SilenceIncident(1, None, expected_version=2), actor=ADMIN, engine=engine)
    assert _incident(engine).silenced_until is None
    assert _actions(engine) == ["ops.incident.silence", "ops.incident.unsilence"]


def test_maintenance_windows_scheduled_ended_and_refused(engine: Engine) -> None:
    at = datetime(2025, 3, 4, 10, 0)
    one_hour = at + timedelta(hours=1)
    cases = [
        (ScheduleMaintenance(None, one_hour, at, "upgrade", at=at), "end after it starts"),
        (
            ScheduleMaintenance(None, at - timedelta(hours=2), at - timedelta(hours=1), "x", at=at),
            "has already passed",
        ),
        (ScheduleMaintenance(None, at, one_hour, "  ", at=at), "Say why"),
        (ScheduleMaintenance("no.such", at, one_hour, "x", at=at), "No monitor has the id"),
        (ScheduleMaintenance(None, at, at + timedelta(days=8), "x", at=at), "at most 7 days"),
        (ScheduleMaintenance(None, None, one_hour, "x", at=at), "start and end"),
    ]
    for command, message in cases:
        assert message in _refused(engine, command)
    window = execute(
        ScheduleMaintenance("disk.free", at - timedelta(minutes=10), one_hour, "disk swap", at=at),
        actor=ADMIN,
        engine=engine,
    )
    with Session(engine) as session:
        stored = session.get_one(OpsMaintenanceWindow, window.id)
        assert stored.starts_at == at  # a start already past means "from now"
        assert in_maintenance(session, "disk.free", at + timedelta(minutes=5))
        assert not in_maintenance(session, "backup.age", at + timedelta(minutes=5))
    execute(EndMaintenance(window.id, at=at + timedelta(minutes=20)), actor=ADMIN, engine=engine)
    with Session(engine) as session:
        assert session.get_one(OpsMaintenanceWindow, window.id).ends_at == at + timedelta(
            minutes=20
        )
    assert "already over" in _refused(engine, EndMaintenance(window.id, at=at + timedelta(hours=2)))
    assert _actions(engine) == ["ops.maintenance.schedule", "ops.maintenance.end"]


def test_override_validation_follows_the_monitor(engine: Engine) -> None:
    # scheduler.heartbeat: seconds, higher is worse; disk.free: %, lower is worse.
    cases = [
        (OverrideMonitor("scheduler.heartbeat", warning=300, critical=100), "must be below"),
        (OverrideMonitor("disk.free", warning=5, critical=10), "must be above"),
        (OverrideMonitor("disk.free", warning=150), "between 0 and 100"),
        (OverrideMonitor("disk.free", critical=-1), "cannot be negative"),
        (OverrideMonitor("disk.free", warning=float("nan")), "must be a number"),
        (OverrideMonitor("disk.free", window_s=0), "more than 0 seconds"),
        (OverrideMonitor("disk.free", consecutive=0), "from 1 to 20"),
        (OverrideMonitor("disk.free", channel="sms"), "one of: ops, none"),
        (OverrideMonitor("no.such", warning=1), "No monitor has the id"),
        (OverrideMonitor("scheduler.heartbeat", channel="ops"), "already the limits in force"),
    ]
    for command, message in cases:
        assert message in _refused(engine, command), message
    _refused(
        engine,
        OverrideMonitor("disk.free", warning=20),
        actor=EXECUTIVE,
        error=PermissionDeniedError,
    )


def test_override_then_reset_with_versions(engine: Engine) -> None:
    execute(
        OverrideMonitor("disk.free", warning=20, consecutive=3, channel="none", expected_version=0),
        actor=ADMIN,
        engine=engine,
    )
    with Session(engine) as session:
        row = session.get_one(OpsMonitorOverride, "disk.free")
        assert (row.warning, row.critical, row.consecutive, row.channel) == (20, None, 3, "none")
        assert row.version == 1 and row.updated_by == 1
    # A second window that also saw no override is stale now.
    _refused(
        engine, OverrideMonitor("disk.free", warning=25, expected_version=0), error=StaleWriteError
    )
    execute(
        OverrideMonitor("disk.free", warning=25, expected_version=1), actor=ADMIN, engine=engine
    )
    _refused(engine, ResetMonitor("disk.free", expected_version=1), error=StaleWriteError)
    execute(ResetMonitor("disk.free", expected_version=2), actor=ADMIN, engine=engine)
    with Session(engine) as session:
        assert session.get(OpsMonitorOverride, "disk.free") is None
    assert "already uses its declared limits" in _refused(engine, ResetMonitor("disk.free"))
    assert _actions(engine) == ["ops.monitor.override", "ops.monitor.override", "ops.monitor.reset"]


def test_a_person_who_resolves_an_incident_tells_the_ops_channel(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BARBERPRO_OPS_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/x")
    with write_unit(engine) as session:
        session.add(
            OpsMonitorState(
                monitor_id="scheduler.heartbeat",
                state="critical",
                since=now() - timedelta(minutes=5),
                observed="critical",
                streak=10,
                evidence="{}",
                checked_at=now(),
                incident_id=1,
            )
        )
    execute(
        ResolveIncident(1, "moved to the new host", expected_version=1), actor=ADMIN, engine=engine
    )
    with Session(engine) as session:
        queued = session.scalars(select(OpsNotification)).one()
    assert (queued.event, queued.channel, queued.incident_id) == ("resolved", "webhook", 1)
    assert "Closed by a person: moved to the new host" in queued.payload["text"]
