"""The live activity simulator: what it writes, to whom, how, and its command line."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.clock import now
from core.config import PROJECT_ROOT
from core.db import create_engine_for
from core.migrate import upgrade_database
from core.schema import (
    AdminActivity,
    Booking,
    Customer,
    NpsResponse,
    Payment,
    Service,
    Staff,
    StaffWorkingHours,
    SupportTicket,
    Tenant,
)
from data.simulate import ActivityCounts, Simulator, main
from data.simulation.calendar import free_starts, opening_hours
from data.simulation.catalog import load_catalog, weighted_median
from tests.data.simulation_fixtures import (
    PRICE_LEVEL,
    SampleDatabase,
    booking_start_times,
    build_sample_database,
)

POSTGRES_URL_VARIABLE = "BARBERPRO_TEST_POSTGRES_URL"
CHARGED = ("approved", "refunded", "charged_back")


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> SampleDatabase:
    path = tmp_path_factory.mktemp("simulator") / "template.db"
    return build_sample_database(f"sqlite:///{path}")


def _copy(template: SampleDatabase, target: Path) -> SampleDatabase:
    # The backup API gives a consistent copy even while WAL pages are not checkpointed.
    source = sqlite3.connect(make_url(template.url).database)
    copy = sqlite3.connect(target)
    source.backup(copy)
    source.close()
    copy.close()
    return SampleDatabase(
        f"sqlite:///{target}", template.at, template.active_ids, template.inactive_ids
    )


@pytest.fixture
def sample(template: SampleDatabase, tmp_path: Path) -> SampleDatabase:
    """A private copy of the sample database."""
    return _copy(template, tmp_path / "sample.db")


@pytest.fixture
def engine(sample: SampleDatabase) -> Iterator[Engine]:
    engine = create_engine_for(sample.url)
    yield engine
    engine.dispose()


def _state(engine: Engine) -> dict[str, dict]:  # type: ignore[type-arg]
    """Every row the simulator may touch, by table and id."""
    with engine.connect() as conn:

        def rows(*columns):  # type: ignore[no-untyped-def]
            return {r[0]: tuple(r[1:]) for r in conn.execute(select(*columns))}

        return {
            "bookings": rows(
                Booking.id, Booking.tenant_id, Booking.status, Booking.start_at, Booking.updated_at
            ),
            "payments": rows(
                Payment.id,
                Payment.tenant_id,
                Payment.status,
                Payment.fee_ars,
                Payment.method,
                Payment.updated_at,
            ),
            "customers": rows(Customer.id, Customer.tenant_id, Customer.updated_at),
            "admin": rows(AdminActivity.id, AdminActivity.tenant_id, AdminActivity.updated_at),
            "tickets": rows(
                SupportTicket.id,
                SupportTicket.tenant_id,
                SupportTicket.closed_at,
                SupportTicket.updated_at,
            ),
            "nps": rows(NpsResponse.id, NpsResponse.tenant_id, NpsResponse.updated_at),
        }


def _changes(before: dict, after: dict) -> dict[str, tuple[dict, dict]]:  # type: ignore[type-arg]
    """Per table: rows added, and rows changed (id -> (old, new))."""
    result = {}
    for table in after:
        added = {k: v for k, v in after[table].items() if k not in before[table]}
        changed = {
            k: (before[table][k], v)
            for k, v in after[table].items()
            if k in before[table] and before[table][k] != v
        }
        result[table] = (added, changed)
    return result


def _status_moves(changed: dict) -> Counter[tuple[str, str]]:  # type: ignore[type-arg]
    return Counter((old[1], new[1]) for old, new in changed.values())


# ------------------------------------------------------------------ apply


def _apply_and_check(
    simulator: Simulator, engine: Engine, events: int, at: datetime, active: tuple[int, ...]
) -> ActivityCounts:
    """Apply ``events``; check the counts against the rows, tenants and ``updated_at``."""
    before = _state(engine)
    started = now()
    counts = simulator.apply(events, at=at)
    finished = now()
    changes = _changes(before, _state(engine))
    added_bookings, changed_bookings = changes["bookings"]
    moves = _status_moves(changed_bookings)
    assert counts.total == events
    assert counts.new_bookings == len(added_bookings)
    assert counts.completed == moves[("scheduled", "completed")]
    assert counts.no_shows == moves[("scheduled", "no_show")]
    assert counts.cancellations == moves[("scheduled", "cancelled")]
    assert sum(moves.values()) == counts.completed + counts.no_shows + counts.cancellations
    assert counts.payments == len(changes["payments"][0])
    assert counts.payment_updates == len(changes["payments"][1])
    assert counts.logins == len(changes["admin"][0])
    assert counts.tickets == len(changes["tickets"][0]) + len(changes["tickets"][1])
    assert counts.nps == len(changes["nps"][0])
    for table, (added, changed) in changes.items():
        for row in [*added.values(), *(new for _, new in changed.values())]:
            assert row[0] in active, table
            assert started <= row[-1] <= finished, table
    return counts


def test_counts_match_the_rows_written_and_every_write_is_stamped_now(
    sample: SampleDatabase, engine: Engine
) -> None:
    simulator = Simulator(engine, seed=1)
    counts = _apply_and_check(simulator, engine, 400, sample.at, sample.active_ids)
    counts += _apply_and_check(
        simulator, engine, 400, sample.at + timedelta(minutes=1), sample.active_ids
    )
    # Every kind of activity shows up in batches this size.
    assert (
        min(
            counts.new_bookings,
            counts.completed,
            counts.cancellations,
            counts.payments,
            counts.payment_updates,
            counts.logins,
        )
        > 0
    )


def test_rows_are_stamped_after_waiting_for_another_writer(
    sample: SampleDatabase, engine: Engine
) -> None:
    """Stamps follow commit order, so a refresh reading by updated_at never skips a batch."""
    other = sqlite3.connect(
        make_url(sample.url).database, isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a moment
    released: list[datetime] = []

    def release() -> None:
        time.sleep(0.8)
        released.append(now())
        other.execute("COMMIT")

    before = _state(engine)
    thread = threading.Thread(target=release)
    thread.start()
    Simulator(engine, seed=13).apply(50, at=sample.at)
    thread.join()
    other.close()
    stamps = [
        row[-1]
        for added, changed in _changes(before, _state(engine)).values()
        for row in [*added.values(), *(new for _, new in changed.values())]
    ]
    assert stamps
    assert min(stamps) >= released[0]


def test_only_active_tenants_get_activity(sample: SampleDatabase, engine: Engine) -> None:
    before = _state(engine)
    simulator = Simulator(engine, seed=2)
    for minute in range(5):
        simulator.apply(150, at=sample.at + timedelta(minutes=minute))
    touched = Counter()
    for added, changed in _changes(before, _state(engine)).values():
        for row in [*added.values(), *(new for _, new in changed.values())]:
            touched[row[0]] += 1
    assert set(touched) <= set(sample.active_ids)
    assert set(touched) == set(sample.active_ids)  # each active tenant gets some


def test_a_tenant_that_churns_stops_at_the_next_batch(
    sample: SampleDatabase, engine: Engine
) -> None:
    simulator = Simulator(engine, seed=3)
    simulator.apply(50, at=sample.at)
    gone = sample.active_ids[0]
    with engine.begin() as conn:
        conn.execute(update(Tenant).where(Tenant.id == gone).values(status="churned"))
    before = _state(engine)
    simulator.apply(300, at=sample.at + timedelta(seconds=2))
    for added, changed in _changes(before, _state(engine)).values():
        assert all(row[0] != gone for row in added.values())
        assert all(new[0] != gone for _, new in changed.values())


def test_nothing_happens_without_active_tenants(sample: SampleDatabase, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(Tenant).values(status="suspended"))
    before = _state(engine)
    assert Simulator(engine).apply(100, at=sample.at) == ActivityCounts()
    assert _state(engine) == before


def test_start_at_is_never_changed(sample: SampleDatabase, engine: Engine) -> None:
    before = booking_start_times(sample.url)
    simulator = Simulator(engine, seed=4)
    for step in range(6):
        simulator.apply(300, at=sample.at + timedelta(hours=step))
    after = booking_start_times(sample.url)
    assert len(after) > len(before)
    assert {k: after[k] for k in before} == before


def test_completed_visits_get_payments_with_method_fees(
    sample: SampleDatabase, engine: Engine
) -> None:
    simulator = Simulator(engine, seed=5)
    for step in range(8):
        simulator.apply(250, at=sample.at + timedelta(minutes=30 * step))
    with Session(engine) as conn:
        rows = conn.execute(
            select(Payment, Booking.status, Booking.price_ars, Booking.tenant_id)
            .join(Booking, Booking.id == Payment.booking_id)
            .where(Payment.created_at >= sample.at)
        ).all()
        per_booking = conn.execute(
            select(Payment.booking_id, func.count())
            .where(Payment.booking_id.is_not(None))
            .group_by(Payment.booking_id)
            .having(func.count() > 1)
        ).all()
    assert len(rows) > 20
    assert per_booking == []  # never charged twice
    methods = Counter()
    for payment, status, price, tenant_id in rows:
        methods[payment.method] += 1
        assert status == "completed"
        assert payment.tenant_id == tenant_id
        assert payment.amount_ars == pytest.approx(price)
        rate = payment.fee_ars / payment.amount_ars
        if payment.method in ("cash", "transfer") or payment.status not in CHARGED:
            assert payment.fee_ars == 0
        else:  # the fee is charged on approval and kept on a refund
            low, high = {"mercadopago": (0.044, 0.056), "card": (0.029, 0.031)}[payment.method]
            assert low <= rate <= high, payment.method
    assert set(methods) == {"mercadopago", "cash", "card", "transfer"}
    assert methods["mercadopago"] > methods["transfer"]


def test_pending_payments_settle(sample: SampleDatabase, engine: Engine) -> None:
    before = _state(engine)
    simulator = Simulator(engine, seed=6)
    for step in range(4):
        simulator.apply(200, at=sample.at + timedelta(minutes=step))
    _, changed = _changes(before, _state(engine))["payments"]
    moves = _status_moves(changed)
    assert moves
    allowed = {
        ("pending", "approved"),
        ("pending", "rejected"),
        ("pending", "cancelled"),
        ("in_process", "approved"),
        ("in_process", "rejected"),
        ("approved", "refunded"),
        ("approved", "charged_back"),
    }
    assert set(moves) <= allowed
    for old, new in changed.values():
        if old[1] != "approved" and new[1] == "approved" and new[3] in ("mercadopago", "card"):
            assert new[2] > 0  # the fee is charged once the payment goes through


def test_new_bookings_are_plausible(sample: SampleDatabase, engine: Engine) -> None:
    simulator = Simulator(engine, seed=7)
    for step in range(3):
        simulator.apply(300, at=sample.at + timedelta(minutes=step))
    with Session(engine) as conn:
        new = conn.execute(
            select(
                Booking,
                Staff.location_id,
                Staff.active,
                Staff.tenant_id,
                Service.active,
                Service.price_ars,
                Tenant.vertical,
                Customer.tenant_id,
            )
            .join(Staff, Staff.id == Booking.staff_id)
            .join(Service, Service.id == Booking.service_id)
            .join(Tenant, Tenant.id == Booking.tenant_id)
            .join(Customer, Customer.id == Booking.customer_id)
            .where(Booking.created_at >= sample.at)
        ).all()
        booked = conn.execute(
            select(Booking.staff_id, Booking.start_at, Booking.duration_min).where(
                Booking.status.in_(("scheduled", "completed"))
            )
        ).all()
    assert len(new) > 100
    walk_ins = 0
    for (
        booking,
        location,
        staff_active,
        staff_tenant,
        service_active,
        list_price,
        vertical,
        customer_tenant,
    ) in new:
        assert staff_active and service_active
        assert staff_tenant == customer_tenant == booking.tenant_id
        assert booking.location_id == location
        assert booking.duration_min > 0
        assert booking.price_ars == pytest.approx(list_price * PRICE_LEVEL, rel=0.02)
        if booking.channel == "walk_in":
            walk_ins += 1
            assert booking.start_at <= booking.created_at < booking.start_at + timedelta(minutes=1)
        else:
            assert booking.start_at >= booking.created_at + timedelta(minutes=30)
            assert booking.start_at < booking.created_at + timedelta(days=22)
        hours = opening_hours(vertical, booking.start_at.date())
        assert hours is not None
        end = booking.start_at + timedelta(minutes=booking.duration_min)
        assert hours[0] <= booking.start_at and end <= hours[1]
    assert walk_ins > 0
    # Mostly within the week, even once the first days fill up.
    lead = Counter((b.start_at.date() - b.created_at.date()).days for b, *_ in new)
    assert sum(lead[d] for d in range(8)) > sum(lead.values()) / 2
    # A professional is never booked twice at once by the simulator.
    by_staff: dict[int, list[tuple[datetime, datetime]]] = {}
    for staff_id, start, minutes in booked:
        by_staff.setdefault(staff_id, []).append((start, start + timedelta(minutes=minutes)))
    new_ids = {b.id for b, *_ in new}
    with engine.connect() as conn:
        mine = conn.execute(
            select(Booking.id, Booking.staff_id, Booking.start_at, Booking.duration_min).where(
                Booking.id.in_(new_ids), Booking.status == "scheduled"
            )
        ).all()
    for booking_id, staff_id, start, minutes in mine:
        end = start + timedelta(minutes=minutes)
        overlapping = [i for i in by_staff[staff_id] if i[0] < end and start < i[1]]
        assert len(overlapping) == 1, booking_id  # only itself


def test_some_bookings_come_from_new_customers(sample: SampleDatabase, engine: Engine) -> None:
    before = _state(engine)
    Simulator(engine, seed=8).apply(600, at=sample.at)
    added, _ = _changes(before, _state(engine))["customers"]
    assert added
    with Session(engine) as conn:
        customers = conn.execute(select(Customer).where(Customer.id.in_(added))).scalars().all()
        used = set(
            conn.execute(
                select(Booking.customer_id).where(Booking.customer_id.in_(added))
            ).scalars()
        )
    assert used == set(added)  # a new customer exists because they booked
    for customer in customers:
        assert customer.full_name.count(" ") >= 1
        assert customer.phone.startswith("+549") and len(customer.phone) == 14


def test_same_seed_and_state_give_the_same_events(template: SampleDatabase, tmp_path: Path) -> None:
    results = []
    for name in ("a.db", "b.db"):
        copy = _copy(template, tmp_path / name)
        engine = create_engine_for(copy.url)
        simulator = Simulator(engine, seed=11)
        counts = [simulator.apply(120, at=copy.at + timedelta(seconds=2 * i)) for i in range(3)]
        state = _state(engine)
        engine.dispose()
        # updated_at is wall-clock time: compare everything else.
        results.append(
            (counts, {t: {k: v[:-1] for k, v in rows.items()} for t, rows in state.items()})
        )
    assert results[0] == results[1]
    other = _copy(template, tmp_path / "c.db")
    engine = create_engine_for(other.url)
    different = [
        Simulator(engine, seed=12).apply(120, at=other.at + timedelta(seconds=2 * i))
        for i in range(3)
    ]
    engine.dispose()
    assert different != results[0][0]


def test_the_constructor_touches_no_database_and_checks_its_input(tmp_path: Path) -> None:
    target = tmp_path / "never.db"
    engine = create_engine_for(f"sqlite:///{target}")
    Simulator(engine, seed=1, rate_per_min=60)
    assert not target.exists()
    with pytest.raises(ValueError):
        Simulator(engine, rate_per_min=-1)
    with pytest.raises(ValueError):
        Simulator(engine, rate_per_min=float("nan"))
    with pytest.raises(ValueError):
        Simulator(engine).apply(-1)
    assert Simulator(engine).apply(0) == ActivityCounts()
    assert not target.exists()
    engine.dispose()


def test_catalog_prices_follow_recent_bookings(sample: SampleDatabase, engine: Engine) -> None:
    with engine.connect() as conn:
        catalog = load_catalog(conn, sample.at)
        listed = dict(conn.execute(select(Service.id, Service.price_ars)).all())
    assert catalog.ids == list(sample.active_ids)
    for tenant in catalog.tenants.values():
        assert tenant.bookable
        for service_id, _, price in tenant.services:
            assert price == pytest.approx(round(listed[service_id] * PRICE_LEVEL, -2))


def test_catalog_falls_back_to_list_prices_scaled_by_the_tenant_level(
    sample: SampleDatabase, engine: Engine
) -> None:
    tenant_id = sample.active_ids[0]
    with engine.begin() as conn:
        conn.execute(
            Service.__table__.insert().values(
                tenant_id=tenant_id,
                name="Nuevo",
                category="general",
                duration_min=40,
                price_ars=10000.0,
                active=True,
                updated_at=now(),
            )
        )
        catalog = load_catalog(conn, sample.at)
    prices = {s[0]: s[2] for s in catalog.tenants[tenant_id].services}
    assert prices[max(prices)] == pytest.approx(10000.0 * PRICE_LEVEL, rel=0.02)


# ------------------------------------------------------------------ run_forever


def test_run_forever_stops_when_the_event_is_set(sample: SampleDatabase, engine: Engine) -> None:
    simulator = Simulator(engine, seed=9, rate_per_min=6000)
    stop = threading.Event()
    batches: list[ActivityCounts] = []
    thread = threading.Thread(
        target=simulator.run_forever,
        kwargs={"stop_event": stop, "interval_s": 0.05, "on_batch": batches.append},
    )
    thread.start()
    deadline = time.monotonic() + 10
    while len(batches) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(batches) >= 3
    assert simulator.totals.total == sum(b.total for b in batches) > 0


def test_run_forever_survives_a_failing_batch(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables at all
    simulator = Simulator(engine, rate_per_min=6000)
    stop = threading.Event()
    thread = threading.Thread(
        target=simulator.run_forever, kwargs={"stop_event": stop, "interval_s": 0.01}
    )
    thread.start()
    time.sleep(0.3)
    stop.set()
    thread.join(timeout=5)
    engine.dispose()
    assert not thread.is_alive()
    assert simulator.totals.total == 0


# ------------------------------------------------------------------ pure parts


@given(
    busy=st.lists(st.tuples(st.integers(0, 720), st.integers(5, 120)), max_size=8),
    duration=st.integers(5, 180),
    earliest=st.integers(-60, 800),
)
def test_free_starts_fit_the_day_and_avoid_busy_time(
    busy: list[tuple[int, int]], duration: int, earliest: int
) -> None:
    opens = datetime(2026, 10, 14, 9)
    closes = opens + timedelta(hours=11)
    intervals = [(opens + timedelta(minutes=s), opens + timedelta(minutes=s + n)) for s, n in busy]
    first = opens + timedelta(minutes=earliest)
    starts = free_starts(opens, closes, intervals, duration, earliest=first)
    length = timedelta(minutes=duration)
    grid = [opens + timedelta(minutes=m) for m in range(0, 11 * 60, 15)]
    expected = [
        s
        for s in grid
        if s >= first
        and s + length <= closes
        and not any(s < e and b < s + length for b, e in intervals)
    ]
    assert starts == expected


@given(st.lists(st.integers(1, 50), min_size=1, max_size=30))
def test_weighted_median_is_the_low_median(values: list[int]) -> None:
    histogram = Counter(float(v) for v in values)
    assert weighted_median(histogram) == statistics.median_low(values)


def test_holidays_and_closing_days_are_closed() -> None:
    assert opening_hours("barbershop", datetime(2026, 10, 18).date()) is None  # Sunday
    assert opening_hours("barbershop", datetime(2026, 10, 12).date()) is None  # holiday
    assert opening_hours("salon", datetime(2026, 10, 19).date()) is None  # Monday
    assert opening_hours("spa", datetime(2026, 10, 18).date()) is not None


# ------------------------------------------------------------------ command line


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60):  # type: ignore[no-untyped-def]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BARBERPRO_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "data.simulate", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_line(stream: str) -> str:
    lines = stream.strip().splitlines()
    assert len(lines) == 1, stream
    assert "Traceback" not in stream
    return lines[0]


def test_cli_once_applies_n_events(sample: SampleDatabase) -> None:
    result = _cli("--once", "150", "--seed", "3", "--database-url", sample.url)
    assert result.returncode == 0, result.stderr
    assert _one_line(result.stdout).startswith("applied 150 events")
    engine = create_engine_for(sample.url)
    with engine.connect() as conn:
        recent = conn.execute(
            select(func.count())
            .select_from(AdminActivity)
            .where(AdminActivity.updated_at >= now() - timedelta(minutes=5))
        ).scalar_one()
    engine.dispose()
    assert recent > 0


def test_cli_reads_the_database_from_the_environment(sample: SampleDatabase) -> None:
    result = _cli("--once", "10", env={"BARBERPRO_DATABASE_URL": sample.url})
    assert result.returncode == 0, result.stderr


def test_cli_disabled_says_so_and_exits_0(sample: SampleDatabase) -> None:
    result = _cli(
        "--once", "10", "--database-url", sample.url, env={"BARBERPRO_SIMULATOR": "false"}
    )
    assert result.returncode == 0
    assert "disabled" in _one_line(result.stdout)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--rate", "-5"], {}, "--rate"),
        (["--rate", "fast"], {}, "--rate"),
        (["--once", "-1"], {}, "--once"),
        (["--database-url", "not a url"], {}, "not a valid database URL"),
        (["--database-url", "mysql://x@localhost/db"], {}, "sqlite or postgresql"),
        (["--database-url", "postgresql+psycopg://nobody@127.0.0.1:9/none"], {}, "cannot connect"),
        ([], {"BARBERPRO_SIMULATOR_RATE": "-1"}, "BARBERPRO_SIMULATOR_RATE"),
        ([], {"BARBERPRO_SIMULATOR": "maybe"}, "BARBERPRO_SIMULATOR"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    args: list[str], env: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = _cli(*args, env={"BARBERPRO_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env})
    assert result.returncode == 2
    assert message in _one_line(result.stderr)
    assert result.stdout == ""


def test_cli_missing_database_file_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "missing.db"
    result = _cli("--once", "5", "--database-url", f"sqlite:///{target}")
    assert result.returncode == 2
    assert "no database file" in _one_line(result.stderr)
    assert not target.exists()


def test_cli_database_without_schema_or_tenants(tmp_path: Path) -> None:
    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).close()
    result = _cli("--once", "5", "--database-url", f"sqlite:///{bare}")
    assert result.returncode == 2
    assert "no BarberPro schema" in _one_line(result.stderr)

    empty = tmp_path / "empty.db"
    upgrade_database(f"sqlite:///{empty}")
    result = _cli("--once", "5", "--database-url", f"sqlite:///{empty}")
    assert result.returncode == 2
    assert "no tenants" in _one_line(result.stderr)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_runs_until_signalled_and_exits_cleanly(sample: SampleDatabase, signum: int) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BARBERPRO_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "data.simulate", "--rate", "600", "--database-url", sample.url],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("simulating 600 events/min")
        time.sleep(2.5)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    line = _one_line(stdout)
    assert line.startswith("simulator stopped after")
    assert int(line.split()[3]) > 0


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture
def postgres_sample() -> Iterator[SampleDatabase]:
    """The sample data in a schema of its own, so other suites' tables are left alone."""
    base = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} (a postgresql+psycopg URL)")
    schema = f"simulator_test_{os.getpid()}"
    admin = create_engine_for(base)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield build_sample_database(url.render_as_string(hide_password=False))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_postgres_apply_counts_and_start_at(postgres_sample: SampleDatabase) -> None:
    engine = create_engine_for(postgres_sample.url)
    try:
        starts = booking_start_times(postgres_sample.url)
        simulator = Simulator(engine, seed=1)
        counts = ActivityCounts()
        for minute in range(3):
            at = postgres_sample.at + timedelta(minutes=minute)
            counts += _apply_and_check(simulator, engine, 300, at, postgres_sample.active_ids)
        assert min(counts.new_bookings, counts.completed, counts.payments, counts.logins) > 0
        after = booking_start_times(postgres_sample.url)
        assert {k: after[k] for k in starts} == starts
    finally:
        engine.dispose()


def test_main_returns_instead_of_exiting_for_a_missing_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--once", "1", "--database-url", f"sqlite:///{tmp_path / 'nope.db'}"]) == 2
    assert "no database file" in capsys.readouterr().err


def test_activity_cannot_be_stamped_in_the_future(sample: SampleDatabase, engine: Engine) -> None:
    before = _state(engine)
    with pytest.raises(ValueError, match="future"):
        Simulator(engine).apply(100, at=now() + timedelta(hours=12))
    assert _state(engine) == before


def test_new_bookings_respect_stored_working_hours(sample: SampleDatabase, engine: Engine) -> None:
    """With stored shifts (as the generator and the wizard write them), the simulator books
    each professional only inside their own shifts and never on top of another booking."""
    shifts = {}  # staff id -> weekday -> (start, end) minutes
    with Session(engine) as session, session.begin():
        staff = session.execute(
            select(Staff.id).where(Staff.tenant_id.in_(sample.active_ids)).order_by(Staff.id)
        ).scalars()
        for k, staff_id in enumerate(staff):
            # Alternate a morning and an evening shift, six days a week (Sunday off).
            start, end = ((9 * 60, 14 * 60), (15 * 60, 20 * 60 + 30))[k % 2]
            shifts[staff_id] = {d: (start, end) for d in range(6)}
            for weekday in range(6):
                session.add(
                    StaffWorkingHours(
                        staff_id=staff_id,
                        weekday=weekday,
                        starts=f"{start // 60:02d}:{start % 60:02d}",
                        ends=f"{end // 60:02d}:{end % 60:02d}",
                    )
                )
    simulator = Simulator(engine, seed=12)
    for step in range(6):
        simulator.apply(300, at=sample.at + timedelta(hours=step))
    with engine.connect() as conn:
        new = conn.execute(
            select(Booking.staff_id, Booking.start_at, Booking.duration_min, Booking.status).where(
                Booking.created_at >= sample.at
            )
        ).all()
        held = conn.execute(
            select(Booking.staff_id, Booking.start_at, Booking.duration_min).where(
                Booking.status != "cancelled", Booking.start_at >= sample.at - timedelta(days=1)
            )
        ).all()
    assert len(new) > 50
    for staff_id, start, minutes, _ in new:
        day_start, day_end = shifts[staff_id][start.weekday()]
        minute = start.hour * 60 + start.minute
        assert day_start <= minute and minute + minutes <= day_end, (staff_id, start)
    new_keys = {(s, t) for s, t, _, _ in new}
    by_staff: dict[int, list[tuple[datetime, datetime, bool]]] = {}
    for staff_id, start, minutes in held:
        end = start + timedelta(minutes=minutes)
        by_staff.setdefault(staff_id, []).append((start, end, (staff_id, start) in new_keys))
    for intervals in by_staff.values():
        intervals.sort()
        for (_, end_a, new_a), (start_b, _, new_b) in itertools.pairwise(intervals):
            if new_a or new_b:  # the fixture's own history may overlap; new ones never do
                assert start_b >= end_a
