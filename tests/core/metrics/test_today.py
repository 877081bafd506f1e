"""Today so far: counted from the raw rows, against the same time a week earlier."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.metrics.registry import TODAY_SO_FAR
from core.metrics.today import today_so_far
from core.schema import Booking, OnboardingSession, Tenant
from tests.factories import add_booking, add_tenant

# A Monday just after midnight: the hour the live test first failed.
AS_OF = datetime(2026, 12, 7, 0, 5)
WEEK = timedelta(days=7)


def _plain_pandas(bookings: pd.DataFrame, start: datetime, end: datetime) -> dict[str, float]:
    made = bookings[(bookings.created_at >= start) & (bookings.created_at <= end)]
    started = bookings[(bookings.start_at >= start) & (bookings.start_at <= end)]
    completed = started[started.status == "completed"]
    return {
        "today_bookings_made": float(len(made)),
        "today_completed": float(len(completed)),
        "today_no_shows": float((started.status == "no_show").sum()),
        "today_gmv": float(completed.price_ars.sum()),
    }


def test_today_so_far_matches_the_raw_rows(engine) -> None:  # type: ignore[no-untyped-def]
    midnight = datetime.combine(AS_OF.date(), datetime.min.time())
    with Session(engine) as session, session.begin():
        refs = add_tenant(session, 1, signup=date(2025, 1, 6), mrr=20000)
        other = add_tenant(session, 2, signup=date(2025, 1, 6), mrr=30000)
        # Last week, before and after the same time of day, and today.
        cases = [
            (refs, midnight - WEEK + timedelta(minutes=2), "completed", 9000, timedelta(0)),
            (refs, midnight - WEEK + timedelta(minutes=4), "no_show", 7000, timedelta(0)),
            (other, midnight - WEEK + timedelta(hours=3), "completed", 5000, timedelta(0)),
            (refs, midnight + timedelta(minutes=1), "completed", 12000, timedelta(0)),
            (other, midnight + timedelta(minutes=3), "no_show", 8000, timedelta(0)),
            (other, midnight + timedelta(hours=11), "scheduled", 6000, timedelta(0)),
            (refs, midnight - timedelta(minutes=1), "completed", 4000, timedelta(0)),
        ]
        for tenant, start, status, price, _ in cases:
            add_booking(session, tenant, start_at=start, status=status, price=price)
        # Bookings made since midnight (for days ahead), and one made at this time last week.
        for minutes, start_days in ((1, 2), (4, 9), (6, 1)):
            booking = add_booking(
                session, refs, start_at=midnight + timedelta(days=start_days, hours=10)
            )
            booking.created_at = midnight + timedelta(minutes=minutes)
        late = add_booking(session, other, start_at=midnight + timedelta(days=3))
        late.created_at = midnight - WEEK + timedelta(minutes=3)
    with Session(engine) as session:
        frame = today_so_far(session=session, as_of=AS_OF).set_index("key")
        rows = session.execute(
            select(Booking.created_at, Booking.start_at, Booking.status, Booking.price_ars)
        ).all()
    raw = pd.DataFrame(rows, columns=["created_at", "start_at", "status", "price_ars"])
    current = _plain_pandas(raw, midnight, AS_OF)
    previous = _plain_pandas(raw, midnight - WEEK, AS_OF - WEEK)
    for key in current:
        assert frame.at[key, "value"] == current[key], key
        assert frame.at[key, "previous"] == previous[key], key
    # The hand count, so the reference itself is checked.
    assert frame.at["today_bookings_made", "value"] == 2  # the one at 00:06 is after 00:05
    assert frame.at["today_completed", "value"] == 1 and frame.at["today_gmv", "value"] == 12000
    assert frame.at["today_no_shows", "value"] == 1
    assert (
        frame.at["today_completed", "previous"] == 1 and frame.at["today_gmv", "previous"] == 9000
    )
    assert frame.at["today_no_shows", "previous"] == 1
    assert frame.at["today_bookings_made", "previous"] == 1


def test_the_visits_of_today_read_each_tenants_slice_of_the_index(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    """On SQLite the planner must not scan every booking for one day (it did: 2.6 s at the
    default scale, most of a 30-second refresh, against 8 ms for the index slices)."""
    from sqlalchemy import event

    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, executemany):  # type: ignore[no-untyped-def]
        if "start_at" in statement and statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(sqlite_engine, "before_cursor_execute", capture)
    try:
        with Session(sqlite_engine) as session:
            today_so_far(session=session, as_of=datetime(2026, 12, 7, 12, 0))
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", capture)
    assert captured
    with sqlite_engine.connect() as connection:
        for statement, parameters in captured:
            plan = " / ".join(
                str(row[3])
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert "SCAN bookings" not in plan, plan
            assert "USING COVERING INDEX ix_bookings_tenant_start_cover (tenant_id=?" in plan, plan


def test_signups_and_onboardings_activated_count_up_to_the_same_time_last_week(engine) -> None:  # type: ignore[no-untyped-def]
    midnight = datetime.combine(AS_OF.date(), datetime.min.time())
    week_ago = midnight - WEEK
    with Session(engine) as session, session.begin():
        # Tenants stamped when they went live: two today before 00:05 (one at 00:05 sharp,
        # inclusive), one just after, one yesterday 23:59; last week: one at 00:02, one
        # at 00:05:01 (after the same time), one at 10:00.
        signups = [
            midnight + timedelta(minutes=1),
            AS_OF,
            AS_OF + timedelta(seconds=1),
            midnight - timedelta(minutes=1),
            week_ago + timedelta(minutes=2),
            AS_OF - WEEK + timedelta(seconds=1),
            week_ago + timedelta(hours=10),
        ]
        for index, moment in enumerate(signups, start=1):
            refs = add_tenant(session, index, signup=moment.date())
            session.get(Tenant, refs.tenant_id).created_at = moment
        # Onboarding sessions: activated today at 00:03 and 00:04, one "activated" at
        # 00:04 but later rejected (does not count), one in progress; last week, one at
        # 00:01 and one at 00:30.
        sessions = [
            ("activated", midnight + timedelta(minutes=3)),
            ("activated", midnight + timedelta(minutes=4)),
            ("rejected", midnight + timedelta(minutes=4)),
            ("in_progress", None),
            ("activated", week_ago + timedelta(minutes=1)),
            ("activated", week_ago + timedelta(minutes=30)),
        ]
        for number, (status, activated_at) in enumerate(sessions):
            session.add(
                OnboardingSession(
                    business_name=f"Salón {number}",
                    vertical="salon",
                    tier="pro",
                    started_at=week_ago - timedelta(days=1),
                    current_step="review" if status == "in_progress" else "done",
                    status=status,
                    activated_at=activated_at,
                )
            )
    with Session(engine) as session:
        frame = today_so_far(session=session, as_of=AS_OF).set_index("key")
    assert list(frame.index) == list(TODAY_SO_FAR)
    assert frame.at["today_signups", "value"] == 2
    assert frame.at["today_signups", "previous"] == 1
    assert frame.at["today_onboardings_activated", "value"] == 2
    assert frame.at["today_onboardings_activated", "previous"] == 1
