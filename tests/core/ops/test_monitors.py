"""Monitors, the flapping guard and ops incidents, on a real database.

A test monitor measures from a list of values the test controls, so each round's state
is known in advance; the watchdog round (``evaluate_once``) stores it exactly as in
production. The catalog's measures are checked against seeded rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.backup.manifest import backup_name
from core.clock import now
from core.config import PROJECT_ROOT, Settings
from core.db import write_unit
from core.ops import measures
from core.ops.catalog import COMPONENTS, MONITORS, monitors_markdown
from core.ops.monitors import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    Limits,
    Monitor,
    Reading,
    evidence_text,
    judge,
    limits_for,
)
from core.ops.notify import deliver_ops_due
from core.ops.watchdog import LEASE_NAME, RESULTS_KEPT_DAYS, Watchdog, evaluate_once, prune
from core.schema import (
    ConsoleLock,
    JobRun,
    OpsIncident,
    OpsMaintenanceWindow,
    OpsMonitorOverride,
    OpsMonitorResult,
    OpsMonitorState,
    OpsNotification,
    OpsProbe,
    SchedulerHeartbeat,
    SignInAttempt,
)
from tests.core.workflows.notify_stubs import WebhookStub, webhook_server

T0 = datetime(2026, 12, 7, 10, 0, 0)


class Dial:
    """The value the test monitor reads next; ``None`` raises inside the measure."""

    def __init__(self) -> None:
        self.value: float | None = 0.0

    def measure(self, _probe: measures.Probe) -> Reading:
        if self.value is None:
            raise RuntimeError("the check broke")
        return Reading(self.value, "dial at {value}", {"value": self.value})


@pytest.fixture
def dial() -> Dial:
    return Dial()


def dial_monitor(dial: Dial, **changes: object) -> Monitor:
    base = Monitor(
        "test.dial",
        "database",
        "Test dial",
        "A value the test sets",
        "ms",
        "above",
        warning=50.0,
        critical=300.0,
        runbook="Turn the dial down.",
        measure=dial.measure,
        window_s=60.0,
        consecutive=2,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def settings_for(engine: Engine, tmp_path: Path, **changes: object) -> Settings:
    base = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        data_dir=tmp_path,
        environment="test",
        simulator_enabled=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def rounds(
    engine: Engine, settings: Settings, monitor: Monitor, dial: Dial, values: list[float | None]
) -> list[str]:
    """One watchdog round per value, a minute apart; the shown state after each."""
    shown = []
    for index, value in enumerate(values):
        dial.value = value
        evaluate_once(engine, settings, at=T0 + timedelta(minutes=index), monitors=(monitor,))
        with Session(engine) as session:
            shown.append(session.get(OpsMonitorState, monitor.monitor_id).state)  # type: ignore[union-attr]
    return shown


# ------------------------------------------------------------------------ judging


def test_thresholds_in_both_directions() -> None:
    above = dial_monitor(Dial())
    limits = above.declared_limits()
    assert [judge(above, Reading(v, ""), limits) for v in (10, 50, 299, 300)] == [
        OK,
        WARNING,
        WARNING,
        CRITICAL,
    ]
    below = replace(above, direction="below", warning=15.0, critical=5.0)
    limits = below.declared_limits()
    assert [judge(below, Reading(v, ""), limits) for v in (40, 15, 6, 5)] == [
        OK,
        WARNING,
        WARNING,
        CRITICAL,
    ]
    # Nothing to measure is ok; a forced state wins over the thresholds.
    assert judge(above, Reading(None, ""), limits) == OK
    assert judge(above, Reading(1.0, "", state=CRITICAL), limits) == CRITICAL


def test_an_override_replaces_only_what_it_sets() -> None:
    monitor = dial_monitor(Dial())
    override = OpsMonitorOverride(
        monitor_id="test.dial", warning=None, critical=100.0, window_s=None, consecutive=None
    )
    assert limits_for(monitor, override) == Limits(50.0, 100.0, 60.0, 2, "ops")


def test_population_stability_index_matches_the_hand_computed_value() -> None:
    expected = [float(v) for v in range(1, 11)]
    # Deciles of 1..10: one value per bin (share 0.1 each). The actual sample puts half
    # its values in the first bin, 0.1 in each of the next five and nothing in the last
    # four (floored at 1e-4):
    #   (0.5 - 0.1) ln(0.5 / 0.1) + 4 (1e-4 - 0.1) ln(1e-4 / 0.1)
    #   = 0.4 × 1.6094379 + 4 × 0.0999 × 6.9077553 = 0.6437752 + 2.7603390 = 3.4041142
    actual = [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert measures.psi(expected, actual) == pytest.approx(3.4041142, abs=1e-6)
    assert measures.psi(expected, list(expected)) == pytest.approx(0.0)


# --------------------------------------------------------- flapping guard, incidents


def test_an_incident_opens_escalates_and_closes_with_the_flapping_guard(
    engine: Engine, tmp_path: Path, dial: Dial
) -> None:
    stub = WebhookStub()
    with webhook_server(stub) as url:
        settings = settings_for(engine, tmp_path, ops_webhook_url=url, webhook_allow_local=True)
        monitor = dial_monitor(dial)
        shown = rounds(engine, settings, monitor, dial, [10, 100, 100, 100, 500, 500, 10, 10])
        assert shown == [OK, OK, WARNING, WARNING, WARNING, CRITICAL, CRITICAL, OK]
        delivery = deliver_ops_due(engine, settings, at=T0 + timedelta(minutes=10))
    assert delivery.delivered == 3
    with Session(engine) as session:
        incidents = session.scalars(select(OpsIncident)).all()
        assert len(incidents) == 1
        incident = incidents[0]
        assert (incident.severity, incident.status) == (CRITICAL, "resolved")
        assert incident.opened_at == T0 + timedelta(minutes=2)
        assert incident.resolved_at == T0 + timedelta(minutes=7)
        assert incident.resolved_by is None  # it recovered on its own
        events = session.scalars(select(OpsNotification.event).order_by(OpsNotification.id)).all()
        assert events == ["opened", "escalated", "resolved"]
        assert (
            session.scalar(
                select(func.count())
                .select_from(OpsMonitorResult)
                .where(OpsMonitorResult.monitor_id == "test.dial")
            )
            == 8
        )
    texts = [message["text"] for message in stub.received]
    assert texts[0].startswith(
        f"[BarberPro ops] OPENED incident #{incident.id}: Test dial is WARNING"
    )
    assert "Runbook: Turn the dial down." in texts[0]
    assert "ESCALATED" in texts[1] and "CRITICAL" in texts[1]
    assert "RESOLVED" in texts[2] and "dial at 10" in texts[2]


def test_a_blip_opens_nothing(sqlite_engine: Engine, tmp_path: Path, dial: Dial) -> None:
    settings = settings_for(sqlite_engine, tmp_path)
    shown = rounds(sqlite_engine, settings, dial_monitor(dial), dial, [10, 400, 10, 400, 10])
    assert shown == [OK] * 5
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(OpsIncident)) == 0


def test_a_broken_check_is_unknown_and_moves_nothing(
    sqlite_engine: Engine, tmp_path: Path, dial: Dial
) -> None:
    settings = settings_for(sqlite_engine, tmp_path)
    monitor = dial_monitor(dial)
    assert rounds(sqlite_engine, settings, monitor, dial, [400, 400, None, None]) == [
        OK,
        CRITICAL,
        CRITICAL,
        CRITICAL,
    ]
    with Session(sqlite_engine) as session:
        row = session.get(OpsMonitorState, "test.dial")
        assert row is not None and row.observed == UNKNOWN
        assert evidence_text(row.evidence, "en") == "the check itself failed: the check broke"


def test_no_channel_no_message_and_quiet_when_silenced_or_in_maintenance(
    sqlite_engine: Engine, tmp_path: Path, dial: Dial
) -> None:
    settings = settings_for(
        sqlite_engine, tmp_path, ops_webhook_url="https://hooks.slack.com/services/T/B/x"
    )
    monitor = dial_monitor(dial, consecutive=1)
    with write_unit(sqlite_engine) as session:
        session.add(
            OpsMaintenanceWindow(
                monitor_id="test.dial",
                starts_at=T0,
                ends_at=T0 + timedelta(minutes=2),
                reason="upgrade",
                created_at=T0,
            )
        )
    rounds(sqlite_engine, settings, monitor, dial, [400])  # opens in maintenance: silent
    with write_unit(sqlite_engine) as session:
        incident = session.scalars(select(OpsIncident)).one()
        incident.silenced_until = T0 + timedelta(hours=1)
    dial.value = 10
    evaluate_once(sqlite_engine, settings, at=T0 + timedelta(minutes=5), monitors=(monitor,))
    with Session(sqlite_engine) as session:
        assert session.scalars(select(OpsIncident.status)).all() == ["resolved"]
        assert session.scalar(select(func.count()).select_from(OpsNotification)) == 0
    # Out of maintenance, unsilenced: the next incident is announced on the ops channel only
    # when a channel is set, and never when the monitor's channel is "none".
    dial.value = 400
    evaluate_once(sqlite_engine, settings, at=T0 + timedelta(minutes=6), monitors=(monitor,))
    with Session(sqlite_engine) as session:
        assert session.scalars(select(OpsNotification.event)).all() == ["opened"]
    with write_unit(sqlite_engine) as session:
        session.add(OpsMonitorOverride(monitor_id="test.dial", channel="none", updated_at=T0))
    dial.value = 10
    evaluate_once(sqlite_engine, settings, at=T0 + timedelta(minutes=7), monitors=(monitor,))
    with Session(sqlite_engine) as session:
        assert session.scalars(select(OpsNotification.event)).all() == ["opened"]


def test_an_incident_a_person_resolved_stays_closed_until_the_monitor_recovers(
    sqlite_engine: Engine, tmp_path: Path, dial: Dial
) -> None:
    settings = settings_for(sqlite_engine, tmp_path)
    monitor = dial_monitor(dial, consecutive=1)
    rounds(sqlite_engine, settings, monitor, dial, [400])
    with write_unit(sqlite_engine) as session:
        incident = session.scalars(select(OpsIncident)).one()
        incident.status, incident.resolved_at = "resolved", T0
        incident.resolution_note = "known: the dial is being replaced"
    for minute, value in ((1, 60), (2, 400), (3, 10), (4, 400)):
        dial.value = value
        evaluate_once(
            sqlite_engine, settings, at=T0 + timedelta(minutes=minute), monitors=(monitor,)
        )
    with Session(sqlite_engine) as session:
        statuses = session.scalars(select(OpsIncident.status).order_by(OpsIncident.id)).all()
    # Still failing (minutes 1-2): no new incident; ok at 3, failing at 4: a new one.
    assert statuses == ["resolved", "open"]


# ----------------------------------------------------------------- the catalog


def test_every_declared_monitor_is_well_formed() -> None:
    ids = [monitor.monitor_id for monitor in MONITORS]
    assert len(ids) == len(set(ids))
    components = {component for component, _ in COMPONENTS}
    for monitor in MONITORS:
        assert monitor.component in components, monitor.monitor_id
        assert monitor.runbook and monitor.measures and monitor.consecutive >= 1
        if monitor.warning is not None and monitor.critical is not None:
            worse = monitor.critical > monitor.warning
            assert worse == (monitor.direction == "above"), monitor.monitor_id
    for required in (
        "database.reachable",
        "database.latency",
        "database.size",
        "database.growth",
        "disk.free",
        "scheduler.heartbeat",
        "scheduler.leases",
        "jobs.failure_rate",
        "job.metrics_refresh",
        "refresh.duration",
        "refresh.snapshot_age",
        "refresh.detail_age",
        "ingestion.lag",
        "notifications.backlog",
        "notifications.failures",
        "churn.model_age",
        "churn.score_coverage",
        "churn.score_drift",
        "churn.feature_drift",
        "health.coverage",
        "data_quality.checks",
        "signin.failures",
        "signin.lockouts",
        "backup.age",
        "backup.drill",
    ):
        assert required in ids


def test_the_readme_monitors_table_is_generated_from_the_declarations() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- monitors:start -->", "<!-- monitors:end -->"
    assert start in readme and end in readme, "README lacks the generated monitors table"
    table = readme.split(start, 1)[1].split(end, 1)[0].strip()
    assert table == monitors_markdown(), "run: python -m core.ops monitors --markdown"


@pytest.fixture
def probe_on(sqlite_engine: Engine, tmp_path: Path) -> Iterator[measures.Probe]:
    settings = settings_for(sqlite_engine, tmp_path, backup_dir=tmp_path / "backups")
    with Session(sqlite_engine) as session:
        yield measures.Probe(
            engine=sqlite_engine, session=session, settings=settings, at=T0, window_s=3600.0
        )


def test_scheduler_heartbeat_and_dead_lease_holders(probe_on: measures.Probe) -> None:
    assert measures.scheduler_heartbeat(probe_on).state == CRITICAL  # never beat
    with write_unit(probe_on.engine) as session:
        for name, age in (("host:11:a", 45), ("host:12:b", 300)):
            session.add(
                SchedulerHeartbeat(
                    scheduler_id=name,
                    hostname="host",
                    pid=int(name.split(":")[1]),
                    mode="standalone",
                    started_at=T0 - timedelta(hours=1),
                    beat_at=T0 - timedelta(seconds=age),
                )
            )
        session.add(
            ConsoleLock(
                name="metrics_refresh", holder="host:12:b", expires_at=T0 + timedelta(minutes=1)
            )
        )
        session.add(
            ConsoleLock(
                name="alert_rules", holder="host:11:a", expires_at=T0 + timedelta(minutes=1)
            )
        )
        session.add(
            ConsoleLock(
                name=LEASE_NAME, holder="watchdog:host:9", expires_at=T0 + timedelta(minutes=1)
            )
        )
    probe_on.session.rollback()
    reading = measures.scheduler_heartbeat(probe_on)
    assert reading.value == 45.0 and reading.params["scheduler"] == "host:11:a"
    leases = measures.lease_holders(probe_on)
    assert leases.value == 1 and leases.params["names"] == "metrics_refresh"


def test_job_measures_read_the_run_history(probe_on: measures.Probe) -> None:
    with write_unit(probe_on.engine) as session:
        for minute in range(10):
            status = "failed" if minute < 3 else "success"
            session.add(
                JobRun(
                    job_id="metrics_refresh",
                    scheduler_id="host:1:a",
                    started_at=T0 - timedelta(minutes=50 - minute, seconds=4 + minute),
                    finished_at=T0 - timedelta(minutes=50 - minute),
                    status=status,
                )
            )
    probe_on.session.rollback()
    rate = measures.job_failure_rate(probe_on)
    assert rate.value == pytest.approx(30.0)  # 3 of 10
    last = measures.job_last_success(next(s for s in _jobs() if s.job_id == "metrics_refresh"))
    assert last(probe_on).value == pytest.approx(41 * 60)  # the run finished at T0 - 41 min
    # Durations of the 7 successes: 7..13 s; p95 by linear interpolation = 12.7 s.
    assert measures.refresh_duration(probe_on).value == pytest.approx(12.7)


def _jobs():  # type: ignore[no-untyped-def]
    from core.jobs.registry import JOBS

    return JOBS


def test_lockouts_count_accounts_past_the_failure_limit(probe_on: measures.Probe) -> None:
    with write_unit(probe_on.engine) as session:
        for index in range(5):
            for key in ("ana@barberpro.com.ar", "luis@barberpro.com.ar"):
                if key.startswith("luis") and index == 4:
                    continue  # four failures: not locked
                session.add(
                    SignInAttempt(
                        attempted_at=T0 - timedelta(minutes=index),
                        account_key=key,
                        address="10.0.0.1",
                        succeeded=False,
                    )
                )
    probe_on.session.rollback()
    assert measures.sign_in_lockouts(probe_on).value == 1
    assert measures.sign_in_failures(probe_on).value == 9


def test_backups_and_drills_from_the_backup_folder(probe_on: measures.Probe) -> None:
    folder = probe_on.settings.backups_dir
    assert measures.backup_age(probe_on).state == CRITICAL
    folder.mkdir(parents=True)
    created = T0 - timedelta(hours=30)
    name = backup_name("sqlite", created)
    (folder / name).write_bytes(b"x" * 1024)
    manifest = {
        "format": "barberpro-backup/1",
        "created_at": created.isoformat(),
        "backend": "sqlite",
        "file": name,
        "bytes": 1024,
        "sha256": "0" * 64,
    }
    (folder / name).with_suffix(".json").write_text(json.dumps(manifest), encoding="utf-8")
    age = measures.backup_age(probe_on)
    assert age.state is None and age.value == pytest.approx(30.0)
    drill = {
        "at": (T0 - timedelta(days=3)).isoformat(),
        "backup": name,
        "passed": False,
        "kpis": {},
        "seconds": 1.0,
        "error": "KPIs differ: mrr",
    }
    (folder / "drills.jsonl").write_text(json.dumps(drill) + "\n", encoding="utf-8")
    failed = measures.backup_drill(probe_on)
    assert failed.state == CRITICAL and "KPIs differ: mrr" in str(failed.params["error"])


# ----------------------------------------------------------------- the watchdog


def test_one_watchdog_at_a_time_and_results_are_pruned(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = settings_for(sqlite_engine, tmp_path)
    first = Watchdog(sqlite_engine, settings, holder="watchdog:a")
    second = Watchdog(sqlite_engine, settings, holder="watchdog:b")
    assert first.step() is not None
    assert second.step() is None  # the lease is held
    with Session(sqlite_engine) as session:
        evaluated = session.scalar(select(func.count()).select_from(OpsMonitorResult))
        assert evaluated == len(MONITORS)
        assert session.get(ConsoleLock, LEASE_NAME).holder == "watchdog:a"  # type: ignore[union-attr]
        # The round's own probe, and the minute's freshness: no snapshot yet is a bad minute.
        probes = dict(session.execute(select(OpsProbe.component, OpsProbe.value)).all())
        assert "watchdog" in probes and probes["freshness"] is None
    with write_unit(sqlite_engine) as session:
        session.add(
            OpsMonitorResult(
                monitor_id="disk.free",
                checked_at=now() - timedelta(days=RESULTS_KEPT_DAYS + 1),
                state=OK,
                value=50.0,
                evidence="{}",
            )
        )
    assert prune(sqlite_engine, at=now()) == 1
