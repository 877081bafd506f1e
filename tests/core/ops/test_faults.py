"""Fault injection with real processes: the monitors see each fault and say so.

* a stopped scheduler: the watchdog (its own process) turns the heartbeat monitor
  critical, opens an incident and posts it to a local webhook; a restarted scheduler
  closes it;
* an unreachable database: a private PostgreSQL cluster this test creates (its own data
  directory, socket and port; never the shared server) is stopped; the watchdog reports
  the outage straight to the webhook, the console keeps showing its last good snapshot
  with a red notice, and the outage is stored as an incident once the cluster is back;
* a full disk: a free-space threshold override (tests run as root, so permissions would
  hide nothing) turns the disk monitor critical; nothing stored before is lost.

The thresholds are overridden the way an admin does (``ops_monitor_overrides``) so each
test stays within a minute; the watchdog evaluates every second or two.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.auth.sessions import SignedInUser
from core.clock import OFFSET_VARIABLE, now
from core.config import Settings
from core.db import create_engine_for, write_unit
from core.ops.watchdog import DATABASE_MONITOR, Watchdog, evaluate_once
from core.schema import (
    MetricSnapshot,
    OpsIncident,
    OpsMonitorOverride,
    OpsMonitorResult,
    OpsMonitorState,
    SchedulerHeartbeat,
)
from tests import db_templates
from tests import snapshot_factory as factory
from tests.core.workflows.notify_stubs import WebhookStub, webhook_server
from tests.pages.helpers import page_env
from ui.auth import signed_in_as

ROOT = Path(__file__).resolve().parents[3]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds it took ``condition`` to hold; fails after ``timeout_s``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.25)
    return time.monotonic() - started


def child_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BARBERPRO_")}
    if os.environ.get(OFFSET_VARIABLE):
        env[OFFSET_VARIABLE] = os.environ[OFFSET_VARIABLE]
    return env | {
        "BARBERPRO_DATABASE_URL": url,
        "BARBERPRO_ENV": "test",
        "BARBERPRO_SIMULATOR": "false",
        "BARBERPRO_MODEL_JOBS_DELAY_S": "3600",
        "BARBERPRO_PASSWORD_HASH": "fast",
        **extra,
    }


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def override(engine: Engine, monitor_id: str, **limits: float | int) -> None:
    with write_unit(engine) as session:
        session.add(OpsMonitorOverride(monitor_id=monitor_id, updated_at=now(), **limits))


def state_of(engine: Engine, monitor_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(OpsMonitorState, monitor_id)
        return None if row is None else row.state


def _beating(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(SchedulerHeartbeat)) > 0


def _observed(engine: Engine, monitor_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(OpsMonitorState, monitor_id)
        return None if row is None else row.observed


def received(stub: WebhookStub, monitor_id: str, event: str) -> bool:
    return any(m.get("monitor") == monitor_id and m.get("event") == event for m in stub.received)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'faults.db'}")


def test_a_stopped_scheduler_opens_an_incident_that_its_restart_closes(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = create_engine_for(sqlite_url)
    # Heartbeats come every 10 s: 12 s of silence is a warning, 15 s critical (the defaults,
    # 20 and 30 s with a round every 30 s, take up to 80 s).
    override(engine, "scheduler.heartbeat", warning=12.0, critical=15.0, consecutive=2)
    stub = WebhookStub()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with webhook_server(stub) as url:
            env = child_env(
                sqlite_url,
                BARBERPRO_WATCHDOG_INTERVAL_S="1",
                BARBERPRO_OPS_WEBHOOK_URL=url,
                BARBERPRO_WEBHOOK_ALLOW_LOCAL="true",
                BARBERPRO_DATA_DIR=str(tmp_path),
            )
            log = tmp_path / "processes.log"
            scheduler = start([sys.executable, "scheduler.py"], env, log)
            processes.append(scheduler)
            processes.append(start([sys.executable, "-m", "core.ops.watchdog"], env, log))
            wait_for(lambda: _beating(engine), 60, "the scheduler's first heartbeat")
            wait_for(lambda: _observed(engine, "scheduler.heartbeat") == "ok", 30, "a round")
            time.sleep(2)  # a couple of rounds with the scheduler alive
            assert state_of(engine, "scheduler.heartbeat") == "ok"

            stop(scheduler)
            took = wait_for(
                lambda: (
                    state_of(engine, "scheduler.heartbeat") == "critical"
                    and received(stub, "scheduler.heartbeat", "escalated")
                ),
                90,
                "the critical incident and its message",
            )
            with Session(engine) as session:
                incident = session.scalars(
                    select(OpsIncident).where(OpsIncident.monitor_id == "scheduler.heartbeat")
                ).one()
                assert (incident.status, incident.severity) == ("open", "critical")
            assert received(stub, "scheduler.heartbeat", "opened")  # at warning, first
            print(f"heartbeat incident announced {took:.1f} s after the scheduler stopped")

            processes.append(start([sys.executable, "scheduler.py"], env, log))
            wait_for(lambda: received(stub, "scheduler.heartbeat", "resolved"), 60, "recovery")
            with Session(engine) as session:
                closed = session.get(OpsIncident, incident.id)
                assert closed is not None and closed.status == "resolved"
                assert closed.resolved_by is None  # the monitor recovered on its own
            message = next(
                m
                for m in stub.received
                if m["monitor"] == "scheduler.heartbeat" and m["event"] == "opened"
            )
            assert message["text"].startswith("[BarberPro ops] OPENED incident #")
            assert "Start the scheduler" in message["text"]  # the runbook line
    finally:
        for process in processes:
            stop(process)
        engine.dispose()


# ----------------------------------------------------------- private PostgreSQL


class PrivateCluster:
    """A PostgreSQL 15 cluster in a temporary folder, on its own socket and port."""

    def __init__(self, folder: Path) -> None:
        self.data = folder / "data"
        self.socket = folder / "socket"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["su", "postgres", "-c", " ".join(command)], check=True, capture_output=True, timeout=60
        )

    def create(self) -> None:
        self.socket.mkdir(parents=True)
        self.data.mkdir(parents=True)
        shutil.chown(self.data.parent, "postgres")
        shutil.chown(self.data, "postgres")
        shutil.chown(self.socket, "postgres")
        self._as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        )
        self.start()
        self._as_postgres(
            str(PG_BIN / "createdb"),
            "-h",
            str(self.socket),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "console",
        )

    def start(self) -> None:
        options = f"\"-k {self.socket} -p {self.port} -c listen_addresses='' -c fsync=off\""
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.data.parent / "pg.log"),
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/console?host={self.socket}&port={self.port}"


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    if not (PG_BIN / "initdb").exists() or shutil.which("su") is None:
        pytest.skip("PostgreSQL 15's initdb is needed for a private cluster")
    # Not under pytest's temporary folder: the postgres user cannot enter root's 0700 one.
    folder = Path(tempfile.mkdtemp(prefix="barberpro-cluster-"))
    folder.chmod(0o755)
    private = PrivateCluster(folder)
    try:
        private.create()
        yield private
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            private.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_an_unreachable_database_is_reported_and_the_console_keeps_its_last_snapshot(
    cluster: PrivateCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory.make_database(cluster.url)
    at = now()
    factory.add_snapshot(cluster.url, at - timedelta(seconds=5), factory.realistic_daily(at.date()))
    engine = create_engine_for(cluster.url)
    stub = WebhookStub()
    with webhook_server(stub) as url:
        settings = Settings(
            database_url=cluster.url,
            environment="test",
            data_dir=tmp_path,
            simulator_enabled=False,
            ops_webhook_url=url,
            webhook_allow_local=True,
            watchdog_interval_s=1.0,
        )
        page_env(monkeypatch, cluster.url)
        watchdog = Watchdog(engine, settings, holder="watchdog:test:1")
        assert watchdog.step() is not None
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        with signed_in_as(SignedInUser(1, "exec@barberpro.com.ar", "Ejecutiva", "executive")):
            app.run()
            app.switch_page("app_pages/executive_overview.py")
            app.run()
            assert not app.exception
            shown = [metric.value for metric in app.metric]
            assert shown, "the overview shows its KPIs while the database answers"

            cluster.stop()
            for _ in range(3):  # the flapping guard: two rounds agree, then it is announced
                result = watchdog.step()
                assert result is not None and result.database_error is not None
            assert any("Database reachable is CRITICAL" in m["text"] for m in stub.received)

            app.run()
            assert not app.exception
            assert [metric.value for metric in app.metric] == shown  # the last good snapshot
            errors = " ".join(str(error.value) for error in app.error)
            assert "La base de datos no responde" in errors  # the console's default: Spanish

            cluster.start()
            wait_for(lambda: _answers(engine), 30, "the cluster to answer again")
            result = watchdog.step()
            assert result is not None and result.database_error is None
    with Session(engine) as session:
        outage = session.scalars(
            select(OpsIncident).where(OpsIncident.monitor_id == DATABASE_MONITOR)
        ).one()
        assert outage.status == "resolved" and outage.resolved_at is not None
    engine.dispose()


def _answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception:
        return False
    return True


# ------------------------------------------------------------------ a full disk


def test_a_full_disk_turns_the_disk_monitor_critical_and_loses_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = create_engine_for(sqlite_url)
    settings = replace(
        Settings(database_url=sqlite_url, environment="test", simulator_enabled=False),
        data_dir=tmp_path,
    )
    base = now()
    # Thresholds this machine passes whatever its disk holds (the real one may be low).
    override(engine, "disk.free", warning=0.2, critical=0.1)
    for minute in range(2):
        evaluate_once(engine, settings, at=base + timedelta(minutes=minute))
    assert state_of(engine, "disk.free") == "ok"
    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(OpsMonitorResult))
    # The disk is "full": any free share at or under 100 % is critical.
    with write_unit(engine) as session:
        limits = session.get_one(OpsMonitorOverride, "disk.free")
        limits.warning = limits.critical = 100.0
    for minute in range(2, 4):
        evaluate_once(engine, settings, at=base + timedelta(minutes=minute))
    assert state_of(engine, "disk.free") == "critical"
    with Session(engine) as session:
        incident = session.scalars(
            select(OpsIncident).where(OpsIncident.monitor_id == "disk.free")
        ).one()
        assert incident.status == "open" and incident.severity == "critical"
        after = session.scalar(select(func.count()).select_from(OpsMonitorResult))
        # Every earlier reading is still there, and the two new rounds were stored.
        assert after is not None and before is not None and after > before
        assert session.scalar(select(func.count()).select_from(MetricSnapshot)) == 0
    engine.dispose()
