"""The per-process visit cache gives exactly what a fresh read of the visits gives.

After bookings change (a visit cancelled, one completed late, one moved, one written
for a day already read, new days covered), the cache re-reads only the changed rows and
still equals ``client_base.load_visits``; a window reaching further back reads again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.models.health.client_base import load_visits
from core.models.health.visit_cache import cache_for, cached_visits
from core.schema import Booking
from data.generate import generate_demo_data

TODAY = date(2026, 4, 10)
FIRST = TODAY - timedelta(days=6)  # the first run's as-of days: FIRST..SECOND
SECOND = TODAY - timedelta(days=5)
LATER = TODAY - timedelta(days=2)  # a later run covers new days


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["tenant_id", "customer_id", "day", "known_day", "amount"]
    return frame[columns].sort_values(columns).reset_index(drop=True)


def _assert_fresh(session: Session, first: date, last: date) -> pd.DataFrame:
    cached = cached_visits(session, first, last)
    fresh = load_visits(session, first, last)
    pd.testing.assert_frame_equal(_sorted(cached), _sorted(fresh), check_dtype=False)
    return cached


def _completed_between(session: Session, low: date, high: date) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking)
            .where(
                Booking.status == "completed",
                Booking.start_at >= datetime.combine(low, datetime.min.time()),
                Booking.start_at < datetime.combine(high, datetime.min.time()),
            )
            .order_by(Booking.id)
            .limit(5)
        )
    )


def test_changed_late_and_new_bookings_are_reflected(database_url: str) -> None:
    generate_demo_data(database_url, tenants=3, months=13, seed=5, today=TODAY)
    engine = create_engine_for(database_url)
    with Session(engine) as session:
        first = _assert_fresh(session, FIRST, SECOND)
        assert len(first) > 1000
    cache = cache_for(Session(engine))
    assert (cache.loads, cache.refreshes) == (1, 0)

    with Session(engine) as session, session.begin():
        in_window = _completed_between(session, FIRST - timedelta(days=200), FIRST)
        in_new_days = _completed_between(session, SECOND, LATER)
        assert len(in_window) == 5 and len(in_new_days) == 5
        in_window[0].status = "cancelled"  # a visit corrected: it leaves
        in_window[1].start_at -= timedelta(days=40)  # moved to another day of the window
        in_window[2].price_ars = 1.0  # repriced: same visit, new amount and known day
        in_new_days[0].status = "no_show"  # a newly covered day, changed as well
        not_completed = session.scalars(
            select(Booking)
            .where(Booking.status == "no_show", Booking.start_at < in_window[0].start_at)
            .limit(1)
        ).one()
        not_completed.status = "completed"  # completed late: it comes in
        # Written today for a day the cache read long ago (a late entry).
        late = in_window[3]
        session.add(
            Booking(
                tenant_id=late.tenant_id,
                location_id=late.location_id,
                staff_id=late.staff_id,
                service_id=late.service_id,
                customer_id=late.customer_id,
                created_at=late.created_at,
                start_at=late.start_at + timedelta(days=3),
                duration_min=30,
                status="completed",
                channel="walk_in",
                price_ars=5000.0,
            )
        )

    with Session(engine) as session:
        later = _assert_fresh(session, FIRST, LATER)
    assert (cache.loads, cache.refreshes) == (1, 1)
    assert 6 <= cache.rows_changed < 100  # the changed rows, not the window
    assert len(later) != len(first)

    # An older as-of day than the cache holds: read again, still exact.
    with Session(engine) as session:
        _assert_fresh(session, FIRST - timedelta(days=30), LATER)
    assert cache.loads == 2

    # Nothing changed: the cache answers (an earlier span within it, too).
    with Session(engine) as session:
        _assert_fresh(session, FIRST, SECOND)
    assert (cache.loads, cache.refreshes) == (2, 2) and cache.rows_changed <= 10

    # Another engine on the same database has its own cache.
    assert cache_for(Session(create_engine_for(database_url))) is not cache
