"""Live activity simulator: keeps appending realistic platform activity to the database.

``python -m data.simulate`` runs in small batches (one short transaction every couple of
seconds) so a running console's numbers move between metric refreshes: new bookings,
visit outcomes, cancellations, payments and their status changes, back-office logins,
support tickets and NPS responses, for active tenants only. Each tenant's habits (volume,
prices, no-show rate, channel and payment mix...) are learned from its recent rows; see
``data/simulation/`` for the parts.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from core.clock import ARGENTINA, FUTURE_TOLERANCE, now
from core.config import ConfigError, get_settings, resolve_database_url
from core.db import DatabaseUnavailable, check_connection, create_engine_for, write_connection
from data.demo_guard import DemoToolRefusedError, refuse_in_production, refuse_non_demo
from data.simulation.batch import ActivityCounts, Batch
from data.simulation.catalog import TENANTS, Catalog, active_tenant_ids, load_catalog

__all__ = ["ActivityCounts", "Simulator", "SimulatorError", "main", "open_database"]

log = logging.getLogger(__name__)

BATCH_INTERVAL_S = 2.0
CATALOG_TTL = timedelta(minutes=5)
ONCE_CHUNK = 2000  # events per transaction for --once, so the write lock stays short
REQUIRED_TABLES = (
    "tenants",
    "staff",
    "services",
    "customers",
    "bookings",
    "payments",
    "admin_activity",
    "support_tickets",
    "nps_responses",
)


class SimulatorError(RuntimeError):
    """The simulator cannot run against this database; the message says why in one line."""


def _local(at: datetime) -> datetime:
    return at.astimezone(ARGENTINA).replace(tzinfo=None) if at.tzinfo else at


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Simulator:
    """Appends realistic activity for the active tenants of ``engine``'s database.

    Parameters
    ----------
    engine
        Where to read and write; nothing is read until the first ``apply``.
    seed
        Seed of the random draws: the same seed, database state and ``at`` give the same
        events.
    rate_per_min
        Events per minute for ``run_forever``.
    """

    def __init__(self, engine: Engine, *, seed: int = 0, rate_per_min: float = 120.0) -> None:
        if not math.isfinite(rate_per_min) or rate_per_min < 0:
            raise ValueError(f"rate_per_min must be a non-negative number, got {rate_per_min!r}")
        self.engine = engine
        self.seed = seed
        self.rate_per_min = float(rate_per_min)
        self.totals = ActivityCounts()
        self._rng = random.Random(seed)
        self._catalog: Catalog | None = None
        # Cancelled appointments waiting to be booked again: tenant -> (customer, service, staff).
        self._rebooks: dict[int, list[tuple[int, int, int]]] = {}

    def apply(self, events: int, *, at: datetime | None = None) -> ActivityCounts:
        """Apply ``events`` events happening at ``at`` (default: now) in one transaction."""
        if events < 0:
            raise ValueError(f"events must be zero or more, got {events}")
        at = _local(at) if at is not None else now()
        if at > now() + FUTURE_TOLERANCE:
            # Rows stamped in the future are not what a platform writes, and the refresh
            # will not let them move its watermark (core/metrics/rollups.py).
            raise ValueError(
                f"events cannot happen in the future: {at:%Y-%m-%d %H:%M} is after now"
            )
        if events == 0:
            return ActivityCounts()
        with write_connection(self.engine) as conn:
            catalog = self._current_catalog(conn, at)
            if not catalog.ids:
                return ActivityCounts()
            batch = Batch(conn, at, catalog, self._rng, self._rebooks)
            counts = batch.run(events)
            batch.write()
        # Only committed rows may enter the in-memory state.
        for customer in batch.customers:
            tenant = catalog.tenants[customer.tenant_id]
            tenant.customer_count += 1
            if tenant.regulars is not None and customer.id is not None:
                tenant.regulars.append(customer.id)
        self._rebooks = batch.rebooks
        self.totals = self.totals + counts
        return counts

    def _current_catalog(self, conn: Connection, at: datetime) -> Catalog:
        # The active list is re-read every batch (it is tiny) so a churned or suspended
        # tenant stops at once and a newly activated one shows up without waiting.
        active = active_tenant_ids(conn)
        catalog = self._catalog
        fresh = catalog is not None and timedelta(0) <= at - catalog.loaded_at < CATALOG_TTL
        if catalog is None or not fresh or catalog.ids != active:
            catalog = self._catalog = load_catalog(conn, at)
        return catalog

    def run_forever(
        self,
        *,
        stop_event: threading.Event | None = None,
        interval_s: float = BATCH_INTERVAL_S,
        on_batch: Callable[[ActivityCounts], None] | None = None,
    ) -> None:
        """Apply events at ``rate_per_min`` in small batches until ``stop_event`` is set.

        A failed batch (database locked or gone) is logged and retried with backoff.
        """
        stop = stop_event or threading.Event()
        per_s = self.rate_per_min / 60.0
        backlog, last = per_s * interval_s, time.monotonic()  # the first batch goes at once
        failures, reported = 0, time.monotonic()
        while not stop.is_set():
            started = time.monotonic()
            # After a stall, catch up a little but never burst.
            backlog = min(backlog + per_s * (started - last), max(1.0, 5 * per_s * interval_s))
            last = started
            events = int(backlog)
            if events:
                try:
                    counts = self.apply(events)
                except SQLAlchemyError as exc:
                    failures += 1
                    log.warning("batch failed (%s: %s); retrying", type(exc).__name__, _reason(exc))
                else:
                    backlog -= events
                    failures = 0
                    if on_batch is not None:
                        on_batch(counts)
            if started - reported >= 60:
                reported = started
                log.info("%d events so far: %s", self.totals.total, self.totals.summary())
            pause = interval_s * 2 ** min(failures, 5) - (time.monotonic() - started)
            stop.wait(min(max(pause, 0.01), 60.0))


# ------------------------------------------------------------------ command line


def open_database(url: str, *, allow_non_demo: bool = False) -> Engine:
    """An engine for ``url`` once the database is reachable, migrated and has tenants.

    Unless ``allow_non_demo``, the database must hold data the demo generator wrote
    (``data.demo_guard``): simulated bookings never land among real ones by mistake.
    Raises SimulatorError, ConfigError or DatabaseUnavailable with a one-line message.
    """
    url = resolve_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise SimulatorError("an in-memory SQLite database has no tenants to simulate")
        if not Path(parsed.database).is_file():
            # Connecting would create an empty file; bad input must change nothing.
            raise SimulatorError(
                f"no database file at {parsed.database}; create it with python -m data.generate"
            )
    try:
        engine = create_engine_for(url)
    except (ImportError, SQLAlchemyError) as exc:
        raise SimulatorError(f"cannot use the database URL: {exc}".splitlines()[0]) from None
    check_connection(engine)
    try:
        missing = sorted(set(REQUIRED_TABLES) - set(inspect(engine).get_table_names()))
        if missing:
            raise SimulatorError(
                f"the database has no BarberPro schema (missing {', '.join(missing)}); "
                "create it with python -m data.generate"
            )
        with engine.connect() as conn:
            tenants = conn.execute(select(func.count()).select_from(TENANTS)).scalar_one()
            active = conn.execute(
                select(func.count()).select_from(TENANTS).where(TENANTS.c.status == "active")
            ).scalar_one()
    except SQLAlchemyError as exc:
        raise SimulatorError(f"cannot read the database: {type(exc).__name__}") from None
    if tenants == 0:
        raise SimulatorError(
            "the database has no tenants; load demo data with python -m data.generate"
        )
    if active == 0:
        raise SimulatorError("the database has no active tenants to simulate")
    if not allow_non_demo:
        try:
            refuse_non_demo(engine, doing="the simulator would add fake activity to it")
        except DemoToolRefusedError as exc:
            raise SimulatorError(f"refused: {exc}") from None
    return engine


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, no usage block: bad input gets one clear message.
        print(f"data.simulate: {message}", file=sys.stderr)
        raise SystemExit(2)


def _non_negative(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {raw!r}") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"must be zero or more, got {raw!r}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m data.simulate",
        description="Keep appending realistic platform activity to the BarberPro database.",
    )
    parser.add_argument(
        "--rate",
        type=_non_negative(float),
        metavar="EVENTS_PER_MIN",
        help="events per minute (default: BARBERPRO_SIMULATOR_RATE or 120)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="database to write to (default: BARBERPRO_DATABASE_URL)",
    )
    parser.add_argument("--seed", type=int, help="random seed (default: a fresh one)")
    parser.add_argument(
        "--once", type=_non_negative(int), metavar="N", help="apply N events now and exit"
    )
    parser.add_argument(
        "--allow-non-demo",
        action="store_true",
        help="write into a database whose data the demo generator did not write",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        refuse_in_production("the simulator")
    except DemoToolRefusedError as exc:
        print(f"data.simulate: refused: {exc}", file=sys.stderr)
        return 2
    try:
        settings = get_settings()
        if not settings.simulator_enabled:
            print("simulator disabled (BARBERPRO_SIMULATOR is false); nothing to do")
            return 0
        rate = settings.simulator_rate_per_min if args.rate is None else args.rate
        engine = open_database(
            args.database_url or settings.database_url, allow_non_demo=args.allow_non_demo
        )
    except (ConfigError, DatabaseUnavailable, SimulatorError) as exc:
        print(f"data.simulate: {exc}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    simulator = Simulator(engine, seed=seed, rate_per_min=rate)
    try:
        if args.once is not None:
            return _run_once(simulator, args.once)
        if rate == 0:
            print("simulator rate is 0 events/min; nothing to do")
            return 0
        return _run(simulator, engine)
    except SQLAlchemyError as exc:
        print(f"data.simulate: database error: {_reason(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Only --once gets here (run mode handles Ctrl-C itself); the open batch rolled back.
        print(f"data.simulate: interrupted after {simulator.totals.total} events", file=sys.stderr)
        return 130
    finally:
        engine.dispose()


def _run_once(simulator: Simulator, events: int) -> int:
    started = time.perf_counter()
    counts = ActivityCounts()
    # Chunks keep each write transaction short on a database others share.
    for done in range(0, events, ONCE_CHUNK):
        counts = counts + simulator.apply(min(ONCE_CHUNK, events - done))
    elapsed = time.perf_counter() - started
    speed = counts.total / elapsed if elapsed > 0 else 0.0
    print(f"applied {counts.total} events in {elapsed:.2f} s ({speed:.0f}/s): {counts.summary()}")
    return 0


def _run(simulator: Simulator, engine: Engine) -> int:
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s data.simulate: %(message)s", stream=sys.stderr
    )
    print(
        f"simulating {simulator.rate_per_min:g} events/min on "
        f"{engine.url.render_as_string()} (seed {simulator.seed}); Ctrl-C to stop",
        flush=True,
    )
    started = time.monotonic()
    simulator.run_forever(stop_event=stop)
    minutes = (time.monotonic() - started) / 60
    print(f"simulator stopped after {simulator.totals.total} events in {minutes:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
