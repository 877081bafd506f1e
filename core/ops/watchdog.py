"""The watchdog: evaluates every monitor every 30 s, independently of the scheduler.

``python -m core.ops.watchdog`` is its own small process (``make run`` and the deploy
files start it next to the scheduler and the console), so a stopped scheduler is itself
detected and reported. Several may run (one per host): a database lease
(``ops_watchdog``) lets one evaluate at a time; the others wait and take over within a
lease when it stops.

Each round (:func:`evaluate_once`) measures the monitors that are due, stores every
reading in ``ops_monitor_results``, folds it into ``ops_monitor_states`` with the
flapping guard and opens or closes incidents (``core.ops.incidents``), then delivers the
ops messages due (``core.ops.notify``). It also writes this process's availability probe
and each minute's snapshot age (the freshness SLO), and prunes old results hourly.

When the database itself does not answer, nothing can be stored: the watchdog keeps the
outage in memory, sends the ops webhook directly once the flapping guard agrees, and
records the outage as an incident (opened and resolved) when the database is back.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from core.clock import now
from core.config import ConfigError, Settings, get_settings
from core.db import get_engine, write_connection, write_unit
from core.i18n import N_
from core.locks import release, try_acquire
from core.ops.catalog import MONITORS
from core.ops.incidents import Transition, ops_message, record_evaluation
from core.ops.measures import Probe, database_reachable, process_id
from core.ops.monitors import CRITICAL, UNKNOWN, Monitor, Reading, judge, limits_for
from core.ops.notify import deliver_ops_due
from core.ops.probes import WATCHDOG, upsert_probe
from core.ops.uptime import record_freshness
from core.schema import (
    OpsIncident,
    OpsMonitorOverride,
    OpsMonitorResult,
    OpsMonitorState,
    OpsNotification,
    OpsProbe,
)

log = logging.getLogger("barberpro.watchdog")

LEASE_NAME = "ops_watchdog"
RESULTS_KEPT_DAYS = 8  # a week of sparklines and the readiness window, plus a day
PROBES_KEPT_DAYS = 90
PRUNE_EVERY_S = 3600.0
DATABASE_MONITOR = "database.reachable"


@dataclass(frozen=True)
class Evaluation:
    monitor_id: str
    state: str
    reading: Reading


@dataclass(frozen=True)
class Round:
    at: datetime
    evaluations: list[Evaluation] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    database_error: str | None = None


def _measure(monitor: Monitor, probe: Probe) -> Reading:
    try:
        return monitor.measure(probe)
    except Exception as exc:  # one broken check must not blind the others
        log.exception("monitor %s failed", monitor.monitor_id)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return Reading(None, N_("the check itself failed: {error}"), {"error": first}, UNKNOWN)


def _due(monitor: Monitor, state: OpsMonitorState | None, at: datetime) -> bool:
    if state is None or monitor.every_s <= 0:
        return True
    return (at - state.checked_at).total_seconds() >= monitor.every_s - 1.0


def evaluate_once(
    engine: Engine,
    settings: Settings,
    *,
    at: datetime | None = None,
    monitors: tuple[Monitor, ...] = MONITORS,
) -> Round:
    """Measure the due monitors, store the readings, move states and incidents."""
    at = at or now()
    with Session(engine) as session:
        probe = Probe(engine=engine, session=session, settings=settings, at=at, window_s=60.0)
        reachable = database_reachable(probe)
        if reachable.state == CRITICAL:
            return Round(
                at,
                [Evaluation(DATABASE_MONITOR, CRITICAL, reachable)],
                [],
                str(reachable.params.get("error")),
            )
        overrides = {o.monitor_id: o for o in session.scalars(select(OpsMonitorOverride))}
        states = {s.monitor_id: s for s in session.scalars(select(OpsMonitorState))}
        evaluations: list[Evaluation] = []
        for monitor in monitors:
            if not _due(monitor, states.get(monitor.monitor_id), at):
                continue
            limits = limits_for(monitor, overrides.get(monitor.monitor_id))
            probe.window_s = limits.window_s
            reading = (
                reachable if monitor.monitor_id == DATABASE_MONITOR else _measure(monitor, probe)
            )
            evaluations.append(
                Evaluation(monitor.monitor_id, judge(monitor, reading, limits), reading)
            )
            session.rollback()  # end the read transaction: the next measure sees fresh rows
    by_id = {m.monitor_id: m for m in monitors}
    transitions: list[Transition] = []
    with write_unit(engine) as session:
        overrides = {o.monitor_id: o for o in session.scalars(select(OpsMonitorOverride))}
        for evaluation in evaluations:
            monitor = by_id[evaluation.monitor_id]
            session.add(
                OpsMonitorResult(
                    monitor_id=monitor.monitor_id,
                    checked_at=at,
                    state=evaluation.state,
                    value=evaluation.reading.value,
                    evidence=evaluation.reading.evidence_json(),
                )
            )
            change = record_evaluation(
                session,
                monitor,
                limits_for(monitor, overrides.get(monitor.monitor_id)),
                evaluation.reading,
                evaluation.state,
                at=at,
                settings=settings,
            )
            if change is not None:
                transitions.append(change)
        upsert_probe(session, WATCHDOG, at)
        if any(e.monitor_id == "refresh.snapshot_age" for e in evaluations):
            record_freshness(session, at, probe.cache.get("snapshot_age_s"))
    for change in transitions:
        log.warning(
            "monitor %s: %s -> %s (%s)",
            change.monitor_id,
            change.before,
            change.after,
            change.event or "no incident change",
        )
    return Round(at, evaluations, transitions)


def prune(engine: Engine, *, at: datetime) -> int:
    """Delete monitor results and probes past their keeping time; returns rows deleted."""
    with write_connection(engine) as connection:
        results = connection.execute(
            delete(OpsMonitorResult).where(
                OpsMonitorResult.checked_at < at - timedelta(days=RESULTS_KEPT_DAYS)
            )
        ).rowcount
        probes = connection.execute(
            delete(OpsProbe).where(OpsProbe.minute < at - timedelta(days=PROBES_KEPT_DAYS))
        ).rowcount
    return int(results or 0) + int(probes or 0)


# ---------------------------------------------------------------- database outages


@dataclass
class Outage:
    """A database outage seen by this watchdog, kept in memory until it can be stored."""

    started_at: datetime
    error: str
    rounds: int = 1
    notified: bool = False


def _record_outage(engine: Engine, settings: Settings, outage: Outage, *, at: datetime) -> None:
    """The database is back: store the outage as an incident, resolved, and say so."""
    monitor = next(m for m in MONITORS if m.monitor_id == DATABASE_MONITOR)
    evidence = Reading(
        None,
        N_("the database did not answer from {start} to {end}: {error}"),
        {
            "start": outage.started_at.isoformat(" ", "seconds"),
            "end": at.isoformat(" ", "seconds"),
            "error": outage.error,
        },
    ).evidence_json()
    with write_unit(engine) as session:
        incident = OpsIncident(
            monitor_id=DATABASE_MONITOR,
            severity=CRITICAL,
            status="resolved",
            opened_at=outage.started_at,
            evidence=evidence,
            resolved_at=at,
        )
        session.add(incident)
        session.flush()
        if not outage.notified:
            return
        state = OpsMonitorState(
            monitor_id=DATABASE_MONITOR,
            state="ok",
            since=at,
            observed="ok",
            streak=1,
            evidence=evidence,
            checked_at=at,
        )
        payload = ops_message(monitor, incident, "resolved", state)
        if settings.ops_webhook_url:
            session.add(
                OpsNotification(
                    incident_id=incident.id,
                    event="resolved",
                    channel="webhook",
                    payload=payload,
                    status="pending",
                    attempts=0,
                    next_attempt_at=at,
                    created_at=at,
                )
            )


def _announce_outage(settings: Settings, outage: Outage) -> bool:
    """Send the outage straight to the ops webhook (the outbox is in the database)."""
    if not settings.ops_webhook_url:
        return False
    from core.workflows.alerts.webhook_client import send_webhook

    text = (
        f"[BarberPro ops] OPENED: Database reachable is CRITICAL since "
        f"{outage.started_at.isoformat(' ', 'seconds')}: {outage.error}"
    )
    try:
        send_webhook(
            settings.ops_webhook_url,
            {"text": text, "event": "opened", "monitor": DATABASE_MONITOR, "state": CRITICAL},
            settings=settings,
        )
    except Exception as exc:  # retried next round
        log.warning("could not announce the database outage: %s", exc)
        return False
    return True


# ---------------------------------------------------------------------- the loop


class Watchdog:
    """Rounds every ``interval_s`` under the ``ops_watchdog`` lease, until stopped."""

    def __init__(self, engine: Engine, settings: Settings, *, holder: str | None = None) -> None:
        self.engine, self.settings = engine, settings
        self.interval_s = settings.watchdog_interval_s
        self.holder = holder or f"watchdog:{process_id()}"
        self.stop_event = threading.Event()
        self.outage: Outage | None = None
        self.last_prune = 0.0
        self.rounds = 0

    def lease_s(self) -> float:
        return max(60.0, 3 * self.interval_s)

    def step(self) -> Round | None:
        """One round if this process holds (or takes) the lease; None when another does."""
        at = now()
        try:
            held = try_acquire(self.engine, LEASE_NAME, self.holder, lease_s=self.lease_s())
        except Exception as exc:  # the database is down: judged below
            held = self.outage is not None or self.rounds > 0
            if not held:
                log.warning("watchdog: cannot reach the database to take the lease: %s", exc)
                return None
        if not held:
            return None
        result = evaluate_once(self.engine, self.settings, at=at)
        self.rounds += 1
        if result.database_error is not None:
            self._outage_round(result.database_error, at)
            return result
        if self.outage is not None:
            _record_outage(self.engine, self.settings, self.outage, at=at)
            self.outage = None
        deliver_ops_due(self.engine, self.settings, at=at)
        if time.monotonic() - self.last_prune > PRUNE_EVERY_S:
            prune(self.engine, at=at)
            self.last_prune = time.monotonic()
        return result

    def _outage_round(self, error: str, at: datetime) -> None:
        if self.outage is None:
            self.outage = Outage(at, error)
        else:
            self.outage.rounds += 1
        monitor = next(m for m in MONITORS if m.monitor_id == DATABASE_MONITOR)
        if not self.outage.notified and self.outage.rounds >= monitor.consecutive:
            self.outage.notified = _announce_outage(self.settings, self.outage)

    def run(self) -> None:
        log.info("watchdog %s: every %.0f s", self.holder, self.interval_s)
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                self.step()
            except Exception:  # a bad round must not end the watchdog
                log.exception("watchdog round failed")
            self.stop_event.wait(max(0.5, self.interval_s - (time.monotonic() - started)))
        try:
            release(self.engine, LEASE_NAME, self.holder)
        except Exception:  # the lease expires on its own
            log.warning("watchdog: could not release its lease")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.ops.watchdog",
        description="Evaluate every monitor every BARBERPRO_WATCHDOG_INTERVAL_S seconds.",
    )
    parser.add_argument("--once", action="store_true", help="one round, print it, and exit")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        settings = get_settings()
    except ConfigError as exc:
        print(f"watchdog: {exc}", file=sys.stderr)
        return 2
    engine = get_engine(settings.database_url)
    if args.once:
        result = evaluate_once(engine, settings)
        for evaluation in result.evaluations:
            from core.ops.monitors import evidence_text

            print(
                f"{evaluation.state.upper():<8} {evaluation.monitor_id:<32} "
                f"{evidence_text(evaluation.reading.evidence_json(), 'en')}"
            )
        return 1 if result.database_error else 0
    watchdog = Watchdog(engine, settings)

    def stop(_signum: int, _frame: object) -> None:
        watchdog.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    watchdog.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
