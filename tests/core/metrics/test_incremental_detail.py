"""Incremental detail tables equal a full recomputation after random changes.

The same property as the rollups' (test_incremental_refresh.py): random batches of new
bookings and payments (on today, on future days and late rows on old days), status
changes (completions, cancellations, no-shows), repricings and payment outcomes; after
each batch the metrics refresh and the detail job run, and every incremental provider's
stored tables must equal what its full computation gives on the same rows.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core import clock
from core.metrics.detail import (
    FULL,
    INCREMENTAL,
    KEPT,
    FrameProvider,
    compute_detail_frames,
    discover_providers,
    refresh_detail_frames,
)
from core.metrics.frames import bookings, finance, finance_ledger
from core.metrics.refresh import refresh_metrics
from core.metrics.rollups import WATERMARK_OVERLAP
from core.metrics.snapshots import latest_detail_version, load_snapshot
from core.schema import Booking, Customer, OnboardingSession
from tests.conftest import truncate_all
from tests.core.metrics.test_incremental_refresh import (
    AS_OF,
    PAYMENT_STATUSES,
    apply_batch,
    operation,
    seed_tenants,
)
from tests.factories import add_booking, add_payment

# A payment of an existing booking (deposit days before it, or paid after), whole or
# partial: the reconciliation of the booking's day depends on it, not of the payment's.
pay_booking_op = st.tuples(
    st.just("pay_booking"),
    st.integers(0, 10_000),  # which booking
    st.integers(-3, 2),  # days from the booking's start
    st.sampled_from(PAYMENT_STATUSES),
    st.sampled_from([1.0, 0.5]),  # share of the price
)
batches = st.lists(
    st.lists(st.one_of(operation, pay_booking_op), min_size=1, max_size=12), min_size=1, max_size=4
)


def apply_changes(engine: Engine, refs: list, batch: list) -> None:
    """The rollups' random operations, plus payments of existing bookings."""
    apply_batch(engine, refs, [op for op in batch if op[0] != "pay_booking"])
    with Session(engine) as session, session.begin():
        bookings = session.scalars(select(Booking).order_by(Booking.id)).all()
        tenants = {ref.tenant_id: ref for ref in refs}
        for _, pick, offset, status, share in (op for op in batch if op[0] == "pay_booking"):
            if not bookings:
                return
            booking = bookings[pick % len(bookings)]
            add_payment(
                session,
                tenants[booking.tenant_id],
                created_at=booking.start_at + timedelta(days=offset),
                amount=round(float(booking.price_ars) * share, 2),
                status=status,
                booking_id=booking.id,
            )


INCREMENTAL_PROVIDERS = [p for p in discover_providers() if p.incremental]


@pytest.fixture(autouse=True)
def whole_finance_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full computation adds older finance history within a time budget; on a loaded
    machine it could stop short of what the incremental runs reached. Compare whole ones."""
    monkeypatch.setattr(finance_ledger, "BACKFILL_BUDGET_S", 1e9)


def stored_frames(engine: Engine) -> dict[str, pd.DataFrame]:
    with Session(engine) as session:
        version = latest_detail_version(session=session)
        assert version is not None
        snapshot = load_snapshot(session=session, version=version)
    assert snapshot is not None
    return snapshot.frames


def assert_equal_to_full(engine: Engine, providers: list[FrameProvider]) -> None:
    """The stored tables equal each provider's full computation, and finance's stored
    ledger cells equal a fresh ledger's.

    Finance's full computation is ``compute_finance``: ``finance_frames`` of a new
    ledger. Building that ledger is most of this property's time, so the one fresh
    ledger serves both checks (the cells, then the frames) instead of being built twice.
    """
    stored = stored_frames(engine)
    others = [p for p in providers if p.name != "finance"]
    with Session(engine) as session:
        expected, _timings, errors = compute_detail_frames(session, AS_OF.date(), others)
        if len(others) < len(providers):
            (provider,) = (p for p in providers if p.name == "finance")
            assert provider.compute is finance.compute_finance, "the oracle below is its body"
            fresh = assert_ledger_cells_equal_a_fresh_ledger(engine, session)
            produced = finance.finance_frames(session, AS_OF.date(), fresh)
            expected.update({name: produced[name] for name in provider.frames})
    assert errors == {}
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(
            stored[name].reset_index(drop=True),
            frame.reset_index(drop=True),
            check_dtype=False,
            atol=0.005,
            check_exact=False,
            obj=name,
        )


KEYS = ["tenant_id", "day"]


def assert_ledger_cells_equal_a_fresh_ledger(
    engine: Engine, session: Session | None = None
) -> finance_ledger.Ledger:
    """Finance's cells live in their own tables, updated in place by the detail job.

    Returns the fresh ledger (built in ``session`` if given, else in a new one).
    """
    if session is None:
        with Session(engine) as own:
            return assert_ledger_cells_equal_a_fresh_ledger(engine, own)
    fresh = finance_ledger.update_ledger(session, AS_OF.date())
    for part, keys in (("payments", ["tenant_id", "day", "method"]), ("recon", KEYS)):
        kept = finance_ledger.stored_cells(session.connection(), part, None)
        pd.testing.assert_frame_equal(
            kept.sort_values(keys, ignore_index=True),
            getattr(fresh, part).sort_values(keys, ignore_index=True),
            check_dtype=False,
            atol=0.005,
            check_exact=False,
            obj=f"stored {part} cells",
        )
    return fresh


def test_the_finance_ledger_is_kept_in_its_tables_not_in_the_snapshot(engine: Engine) -> None:
    refs = seed_tenants(engine)
    with Session(engine) as session, session.begin():
        add_payment(session, refs[0], created_at=AS_OF - timedelta(days=3), amount=500.0)
    refresh_metrics(engine, as_of=AS_OF)
    refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS)
    with Session(engine) as session:
        version = latest_detail_version(session=session)
        assert version is not None
        snapshot = load_snapshot(session=session, version=version)
        assert snapshot is not None
        cells = finance_ledger.stored_cells(session.connection(), "payments", None)
    assert not any(name.startswith("_finance_ledger_payments") for name in snapshot.frames)
    assert not set(finance_ledger.CHANGE_FRAMES.values()) & set(snapshot.frames)
    assert len(cells) > 0
    assert_ledger_cells_equal_a_fresh_ledger(engine)


def test_some_providers_are_incremental() -> None:
    assert {p.name for p in INCREMENTAL_PROVIDERS} >= {
        "regions",
        "finance",
        "onboarding_funnel",
        "bookings",
    }


def seed_onboarding(engine: Engine, refs: list) -> None:
    """Wizard sessions of the seeded tenants (activated long ago, lately, and one still in
    progress), so the random bookings move their first bookings."""
    with Session(engine) as session, session.begin():
        for k, (ref, days_ago, status) in enumerate(
            [(refs[0], 70, "activated"), (refs[1], 6, "activated"), (None, 2, "in_progress")]
        ):
            started = AS_OF - timedelta(days=days_ago, hours=3)
            session.add(
                OnboardingSession(
                    business_name=f"Negocio {k}",
                    vertical="barbershop",
                    tier="starter",
                    started_at=started,
                    current_step="activation" if ref is not None else "services",
                    status=status,
                    tenant_id=None if ref is None else ref.tenant_id,
                    activated_at=None if ref is None else started + timedelta(hours=2),
                )
            )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=batches)
def test_incremental_detail_tables_equal_full_recomputation(engine: Engine, batches) -> None:
    truncate_all(engine)
    refs = seed_tenants(engine)
    seed_onboarding(engine, refs)
    refresh_metrics(engine, as_of=AS_OF)
    first = refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS)
    assert set(first.modes.values()) == {FULL}
    assert_equal_to_full(engine, INCREMENTAL_PROVIDERS)
    start = clock.offset()
    try:
        for step, batch in enumerate(batches, start=1):
            # Each batch is stamped past the watermarks' overlap after the one before, so
            # a run re-reads only its batch's rows (else every row is "touched" anew).
            clock.set_offset(start + step * (WATERMARK_OVERLAP * 4))
            apply_changes(engine, refs, batch)
            refresh_metrics(engine, as_of=AS_OF)
            result = refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS)
            assert result.errors == {}
            assert set(result.modes.values()) == {INCREMENTAL}
            assert_equal_to_full(engine, INCREMENTAL_PROVIDERS)
    finally:
        clock.set_offset(start)


def test_a_change_the_rollups_have_not_read_yet_is_folded_in_later(engine: Engine) -> None:
    """The detail job may run between a write and the metrics refresh that reads it: the
    provider must not skip the change once the rollups have it."""
    refs = seed_tenants(engine)
    refresh_metrics(engine, as_of=AS_OF)
    refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS)
    with Session(engine) as session, session.begin():
        add_booking(session, refs[0], start_at=AS_OF - timedelta(days=40), status="completed")
    refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS)  # rollups behind
    refresh_metrics(engine, as_of=AS_OF)
    result = refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS)
    assert set(result.modes.values()) == {INCREMENTAL}
    assert_equal_to_full(engine, INCREMENTAL_PROVIDERS)


def test_a_new_day_or_a_full_request_recomputes_whole(engine: Engine) -> None:
    seed_tenants(engine)
    refresh_metrics(engine, as_of=AS_OF)
    refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS)
    forced = refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS, full=True)
    assert set(forced.modes.values()) == {FULL}
    next_day = refresh_detail_frames(
        engine, at=AS_OF + timedelta(days=1), providers=INCREMENTAL_PROVIDERS
    )
    # Finance's ledger turns the day itself (its stored history is not thrown away).
    assert next_day.modes.pop("finance") == INCREMENTAL
    assert set(next_day.modes.values()) == {FULL}


def test_finance_turns_the_day_without_losing_its_history(engine: Engine) -> None:
    refs = seed_tenants(engine)
    with Session(engine) as session, session.begin():
        for days_ago in (1, 20, 45):
            add_payment(session, refs[0], created_at=AS_OF - timedelta(days=days_ago), amount=70.0)
    refresh_metrics(engine, as_of=AS_OF)
    refresh_detail_frames(engine, at=AS_OF, providers=INCREMENTAL_PROVIDERS)
    tomorrow = AS_OF + timedelta(days=1)
    result = refresh_detail_frames(engine, at=tomorrow, providers=INCREMENTAL_PROVIDERS)
    assert result.modes["finance"] == INCREMENTAL and result.errors == {}
    stored = stored_frames(engine)
    with Session(engine) as session:
        expected, _timings, errors = compute_detail_frames(
            session, tomorrow.date(), [p for p in INCREMENTAL_PROVIDERS if p.name == "finance"]
        )
    assert errors == {}
    for name in ("finance_payments_monthly", "finance_reconciliation_monthly", "finance_coverage"):
        pd.testing.assert_frame_equal(
            stored[name].reset_index(drop=True),
            expected[name].reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )


def test_a_provider_that_is_not_incremental_keeps_its_cadence(engine: Engine) -> None:
    calls: list[int] = []

    def compute(session, as_of):  # type: ignore[no-untyped-def]
        calls.append(1)
        return {"slow_table": pd.DataFrame({"run": [len(calls)]})}

    slow = FrameProvider("slow", ("slow_table",), compute, "a provider with no update")
    refresh_detail_frames(engine, at=AS_OF, providers=[slow], slow_cadence_s=300)
    kept = refresh_detail_frames(
        engine, at=AS_OF + timedelta(seconds=30), providers=[slow], slow_cadence_s=300
    )
    assert kept.modes == {"slow": KEPT}
    assert stored_frames(engine)["slow_table"]["run"].tolist() == [1]  # copied, not rerun
    due = refresh_detail_frames(
        engine, at=AS_OF + timedelta(seconds=301), providers=[slow], slow_cadence_s=300
    )
    assert due.modes == {"slow": FULL}
    assert stored_frames(engine)["slow_table"]["run"].tolist() == [2]


BOOKINGS = [p for p in INCREMENTAL_PROVIDERS if p.name == "bookings"]


def test_bookings_follow_moves_and_rebookings_across_month_boundaries(engine: Engine) -> None:
    """The cases the random batches reach only by luck: a booking moved from one open
    month to the one before, another moved from today into the future (it leaves the
    tables), a late visit in a closed month (April: its rebooking window closed on May 1)
    and the May booking that makes it a rebooking, and a cancellation that undoes one."""
    refs = seed_tenants(engine)
    with Session(engine) as session, session.begin():
        early_june = add_booking(session, refs[1], start_at=AS_OF - timedelta(days=12)).id
        today = add_booking(session, refs[1], start_at=AS_OF - timedelta(hours=1)).id
    refresh_metrics(engine, as_of=AS_OF)
    first = refresh_detail_frames(engine, at=AS_OF, providers=BOOKINGS)
    assert first.modes == {"bookings": FULL}

    def step(change) -> dict[str, pd.DataFrame]:  # type: ignore[no-untyped-def]
        clock.set_offset(clock.offset() + WATERMARK_OVERLAP * 4)
        with Session(engine) as session, session.begin():
            change(session)
        refresh_metrics(engine, as_of=AS_OF)
        result = refresh_detail_frames(engine, at=AS_OF, providers=BOOKINGS)
        assert result.modes == {"bookings": INCREMENTAL} and result.errors == {}
        assert_equal_to_full(engine, BOOKINGS)
        return stored_frames(engine)

    start = clock.offset()
    try:

        def move(session: Session) -> None:
            session.get(Booking, early_june).start_at = AS_OF - timedelta(days=16)  # May 30
            session.get(Booking, today).start_at = AS_OF + timedelta(days=3)

        before = stored_frames(engine)["bookings_channel_monthly"]
        frames = step(move)
        # refs[1]'s June: the seeded June 8 visit stays, the 3rd and the 15th moved away.
        assert month_bookings(before, refs[1].tenant_id, "2026-06-01") == 3
        assert (
            month_bookings(frames["bookings_channel_monthly"], refs[1].tenant_id, "2026-06-01") == 1
        )
        may = month_bookings(frames["bookings_channel_monthly"], refs[1].tenant_id, "2026-05-01")
        assert may == month_bookings(before, refs[1].tenant_id, "2026-05-01") + 1

        late = {}

        def late_visit(session: Session) -> None:
            # A new client of refs[2]: visits April 6 and May 6 (30 days later).
            client = Customer(tenant_id=refs[2].tenant_id, full_name="Cliente Nuevo")
            session.add(client)
            session.flush()
            for when, key in (
                (AS_OF - timedelta(days=70), "april"),
                (AS_OF - timedelta(days=40), "may"),
            ):
                booking = add_booking(session, refs[2], start_at=when)
                booking.customer_id = client.id
                late[key] = booking.id

        frames = step(late_visit)
        # refs[2]'s April: the seeded April 20 visit (next: May 11) and the new client's.
        assert rebooked(frames, refs[2].tenant_id, "2026-04-01") == (2, 2)

        def cancel(session: Session) -> None:
            session.get(Booking, late["may"]).status = "cancelled"

        frames = step(cancel)
        assert rebooked(frames, refs[2].tenant_id, "2026-04-01") == (2, 1)
    finally:
        clock.set_offset(start)


def month_bookings(channel: pd.DataFrame, tenant_id: int, month: str) -> int:
    rows = channel[(channel["tenant_id"] == tenant_id) & (channel["month"] == pd.Timestamp(month))]
    return int(rows["bookings"].sum())


def rebooked(frames: dict[str, pd.DataFrame], tenant_id: int, month: str) -> tuple[int, int]:
    table = frames["bookings_rebooking_monthly"]
    row = table[(table["tenant_id"] == tenant_id) & (table["month"] == pd.Timestamp(month))]
    return int(row["eligible"].sum()), int(row["rebooked"].sum())


def test_the_months_an_update_recomputes() -> None:
    as_of = AS_OF.date()  # 2026-06-15: rebooking windows closed up to 2026-05-01
    open_months = {date(2026, 5, 1), date(2026, 6, 1)}
    assert bookings.months_to_update(as_of, set()) == open_months
    # a late row on 2026-03-10 can be the rebooking of a visit since 2026-01-24
    assert bookings.months_to_update(as_of, {date(2026, 3, 10)}) == open_months | {
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    }
    # days in the future or before the history do not reach the tables
    assert bookings.months_to_update(as_of, {date(2026, 7, 2), date(2024, 1, 5)}) == open_months
