"""Incremental refreshes give exactly the numbers computed from scratch on the raw rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.clock import now
from core.metrics.reference import reference_snapshot_content
from core.metrics.refresh import refresh_metrics
from core.metrics.rollups import read_watermarks
from core.metrics.snapshots import load_latest_snapshot
from core.schema import Booking, Payment, RollupDay, RollupTenantDay
from tests.conftest import truncate_all
from tests.factories import add_booking, add_payment, add_tenant

AS_OF = datetime(2026, 6, 15, 12, 0)
STATUSES = ["scheduled", "completed", "cancelled", "no_show"]
PAYMENT_STATUSES = ["approved", "pending", "in_process", "rejected", "refunded", "charged_back"]

booking_op = st.tuples(
    st.just("book"),
    st.integers(0, 2),  # tenant
    st.integers(-75, 14),  # day offset from AS_OF
    st.sampled_from(STATUSES),
    st.integers(1000, 50000),  # price in pesos
)
status_op = st.tuples(st.just("set_status"), st.integers(0, 10_000), st.sampled_from(STATUSES))
reprice_op = st.tuples(st.just("reprice"), st.integers(0, 10_000), st.integers(1000, 50000))
# The channel feeds the per-tenant online_bookings measure (the churn features').
rechannel_op = st.tuples(
    st.just("rechannel"), st.integers(0, 10_000), st.sampled_from(["web", "walk_in", "app"])
)
payment_op = st.tuples(
    st.just("pay"),
    st.integers(0, 2),
    st.integers(-75, 0),
    st.sampled_from(PAYMENT_STATUSES),
    st.integers(100, 60000),
)
payment_status_op = st.tuples(
    st.just("pay_status"), st.integers(0, 10_000), st.sampled_from(PAYMENT_STATUSES)
)
operation = st.one_of(
    booking_op, status_op, reprice_op, rechannel_op, payment_op, payment_status_op
)
batches = st.lists(st.lists(operation, min_size=1, max_size=12), min_size=1, max_size=4)


def seed_tenants(engine: Engine) -> list:
    with Session(engine) as session, session.begin():
        refs = [
            add_tenant(session, 1, signup=date(2025, 11, 3), mrr=18000, tier="starter"),
            add_tenant(session, 2, signup=date(2026, 4, 20), mrr=45000, tier="pro"),
            add_tenant(
                session,
                3,
                signup=date(2025, 12, 1),
                churned_on=date(2026, 6, 1),
                mrr=90000,
                tier="enterprise",
            ),
        ]
        # Some history already there before the first (full) refresh.
        for offset in range(0, 60, 7):
            add_booking(session, refs[offset % 3], start_at=AS_OF - timedelta(days=offset, hours=2))
    return refs


def apply_batch(engine: Engine, refs: list, batch: list) -> None:
    with Session(engine) as session, session.begin():
        bookings = session.scalars(select(Booking).order_by(Booking.id)).all()
        payments = session.scalars(select(Payment).order_by(Payment.id)).all()
        for op in batch:
            kind = op[0]
            if kind == "book":
                _, tenant, offset, status, price = op
                add_booking(
                    session,
                    refs[tenant],
                    start_at=AS_OF + timedelta(days=offset, hours=-3),
                    status=status,
                    price=float(price),
                )
            elif kind == "set_status" and bookings:
                bookings[op[1] % len(bookings)].status = op[2]
            elif kind == "reprice" and bookings:
                bookings[op[1] % len(bookings)].price_ars = float(op[2])
            elif kind == "rechannel" and bookings:
                bookings[op[1] % len(bookings)].channel = op[2]
            elif kind == "pay":
                _, tenant, offset, status, amount = op
                add_payment(
                    session,
                    refs[tenant],
                    created_at=AS_OF + timedelta(days=offset, hours=-1),
                    amount=float(amount),
                    status=status,
                )
            elif kind == "pay_status" and payments:
                payments[op[1] % len(payments)].status = op[2]


def assert_matches_reference(engine: Engine) -> None:
    with Session(engine) as session:
        snapshot = load_latest_snapshot(session=session)
        reference = reference_snapshot_content(session=session, as_of=AS_OF.date())
    assert snapshot is not None
    for name, expected in reference.frames.items():
        actual = snapshot.frames[name]
        pd.testing.assert_frame_equal(
            actual.reset_index(drop=True),
            expected.reset_index(drop=True),
            check_dtype=False,
            atol=0.005,
            check_exact=False,
        )
    assert snapshot.kpis.keys() == reference.kpis.keys()
    for key, expected in reference.kpis.items():
        for part in ("value", "previous"):
            got, want = snapshot.kpis[key][part], expected[part]
            assert (got is None) == (want is None), (key, part, got, want)
            if want is not None:
                assert abs(got - want) <= 1e-6 * max(1.0, abs(want)), (key, part, got, want)


def rollup_tables(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    with Session(engine) as session:
        cells = pd.DataFrame([r.__dict__ for r in session.scalars(select(RollupTenantDay))]).drop(
            columns="_sa_instance_state"
        )
        days = pd.DataFrame([r.__dict__ for r in session.scalars(select(RollupDay))]).drop(
            columns="_sa_instance_state"
        )
    return (
        cells.sort_values(["tenant_id", "day"], ignore_index=True)[sorted(cells.columns)],
        days.sort_values("day", ignore_index=True)[sorted(days.columns)],
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=batches)
def test_incremental_refreshes_equal_scratch_computation(engine: Engine, batches) -> None:
    truncate_all(engine)
    refs = seed_tenants(engine)
    first = refresh_metrics(engine, as_of=AS_OF)
    assert first.kind == "full_rebuild"
    assert_matches_reference(engine)
    for batch in batches:
        apply_batch(engine, refs, batch)
        result = refresh_metrics(engine, as_of=AS_OF)
        assert result.kind == "incremental"
        assert_matches_reference(engine)

    incremental_tables = rollup_tables(engine)
    refresh_metrics(engine, full=True, as_of=AS_OF)
    rebuilt_tables = rollup_tables(engine)
    for incremental, rebuilt in zip(incremental_tables, rebuilt_tables, strict=True):
        pd.testing.assert_frame_equal(incremental, rebuilt, check_dtype=False, atol=0.005)
    assert_matches_reference(engine)


def test_refresh_touches_only_changed_cells(engine: Engine) -> None:
    refs = seed_tenants(engine)
    refresh_metrics(engine, as_of=AS_OF)
    with Session(engine) as session, session.begin():
        add_booking(session, refs[0], start_at=AS_OF + timedelta(hours=1), status="scheduled")
    result = refresh_metrics(engine, as_of=AS_OF)
    # The overlap window re-reads the seed rows written seconds ago, but only their cells.
    assert result.kind == "incremental"
    assert result.cells <= 10
    assert result.days <= result.cells


def test_a_failed_refresh_leaves_no_half_applied_state(engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    refs = seed_tenants(engine)
    refresh_metrics(engine, as_of=AS_OF)
    refresh_metrics(engine, as_of=AS_OF)  # the process now keeps warm state
    with Session(engine) as session, session.begin():
        add_booking(session, refs[0], start_at=AS_OF - timedelta(days=2), status="completed")

    def broken(**_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("snapshot store unavailable")

    with monkeypatch.context() as patch:
        patch.setattr("core.metrics.refresh.write_snapshot", broken)
        with pytest.raises(RuntimeError):
            refresh_metrics(engine, as_of=AS_OF)
    # The rolled-back refresh's cells are read again; they must count once, not twice.
    refresh_metrics(engine, as_of=AS_OF)
    assert_matches_reference(engine)


def test_a_row_stamped_in_the_future_does_not_hide_the_rows_written_after_it(
    engine: Engine, caplog
) -> None:  # type: ignore[no-untyped-def]
    """The live test's root cause: activity stamped "at noon" at 00:14 moved the watermark
    twelve hours ahead, and the refresh skipped every row written meanwhile."""
    refs = seed_tenants(engine)
    refresh_metrics(engine, as_of=AS_OF)
    ahead = now() + timedelta(hours=12)
    with Session(engine) as session, session.begin():
        future = add_booking(session, refs[0], start_at=AS_OF - timedelta(days=1))
        future.updated_at = ahead
    with caplog.at_level("WARNING", logger="core.metrics.rollups"):
        refresh_metrics(engine, as_of=AS_OF)
    assert "ahead of now" in caplog.text
    with Session(engine) as session:
        marks = read_watermarks(session=session)
    assert marks["bookings"] is not None and marks["bookings"] < now() + timedelta(minutes=1)
    # A row written now, after the future one, still reaches the rollups.
    with Session(engine) as session, session.begin():
        add_booking(session, refs[1], start_at=AS_OF - timedelta(days=3), status="no_show")
    refresh_metrics(engine, as_of=AS_OF)
    assert_matches_reference(engine)
    # A full rebuild does not take its high water from the future row either.
    refresh_metrics(engine, full=True, as_of=AS_OF)
    with Session(engine) as session:
        assert read_watermarks(session=session)["bookings"] < now() + timedelta(minutes=1)
