"""Today so far: the day's activity up to now, against the same time a week earlier.

The headline tiles cover whole windows of days and barely move within a day; these
figures move with every refresh, so a reader can see the platform is live. Comparing
with the same weekday and time a week earlier keeps the comparison fair at any hour
(Saturday carries a quarter of the week's bookings, and nobody books at 3 a.m.).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.schema import Booking, Tenant

WEEK = timedelta(days=7)


def _midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), datetime.min.time())


def _bookings_made(session: Session, start: datetime, end: datetime) -> int:
    # Served by ix_bookings_created_at: a range of today's rows, never a table scan.
    query = select(func.count()).where(Booking.created_at >= start, Booking.created_at <= end)
    return int(session.scalar(query) or 0)


def _visits(session: Session, start: datetime, end: datetime) -> tuple[int, int, float]:
    """Completed visits, no-shows and GMV of the appointments that started in [start, end]."""
    completed = Booking.status == "completed"
    # "tenant_id IN (every tenant)" lets each tenant's slice of the covering (tenant, start)
    # index answer the range. A join from tenants reads the same on paper, but SQLite's
    # planner scans the whole index instead: 2.6 s against 8 ms on the demo data.
    query = select(
        func.coalesce(func.sum(case((completed, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Booking.status == "no_show", 1), else_=0)), 0),
        func.coalesce(func.sum(case((completed, Booking.price_ars), else_=0)), 0),
    ).where(
        Booking.tenant_id.in_(select(Tenant.id)),
        Booking.start_at >= start,
        Booking.start_at <= end,
    )
    done, no_shows, gmv = session.execute(query).one()
    return int(done), int(no_shows), round(float(gmv), 2)


def _period(session: Session, start: datetime, end: datetime) -> dict[str, float]:
    done, no_shows, gmv = _visits(session, start, end)
    return {
        "today_bookings_made": _bookings_made(session, start, end),
        "today_completed": done,
        "today_no_shows": no_shows,
        "today_gmv": gmv,
    }


def today_so_far(*, session: Session, as_of: datetime) -> pd.DataFrame:
    """Each "today so far" figure from midnight to ``as_of`` and for the same span a week
    earlier: one row per key with its ``value`` and ``previous``."""
    current = _period(session, _midnight(as_of), as_of)
    previous = _period(session, _midnight(as_of) - WEEK, as_of - WEEK)
    return pd.DataFrame(
        {
            "key": list(current),
            "value": [float(current[key]) for key in current],
            "previous": [float(previous[key]) for key in current],
        }
    )
