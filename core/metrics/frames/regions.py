"""Regional Performance detail tables: GMV per tenant per day, and where cities are.

GMV per tenant and day comes from the tenant-day rollup (only days with completed
appointments, so the frame stays a fraction of tenants × days); the page sums it over any
date range and attributes it to the tenant's registered province and city. City
coordinates are the mean position of the platform's own locations in that city, so the
map needs no geocoding service and no internet.

Incremental: a run re-reads from the rollup only the days whose bookings changed since
the previous run (every tenant of such a day, a few hundred rows) and keeps the rest of
its previous table; the cities (a few hundred locations) are read whole.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.metrics.detail_changes import Touched
from core.schema import Location, RollupTenantDay

TENANT_DAY_COLUMNS = ["tenant_id", "day", "gmv_ars", "completed"]
# Beyond this many touched days an update reads the whole rollup instead.
MAX_DAYS_PER_UPDATE = 400
CITY_COLUMNS = ["province", "city", "latitude", "longitude", "locations"]


def read_tenant_days(
    *, session: Session, as_of: date, days: list[date] | None = None
) -> pd.DataFrame:
    """GMV and completed appointments per tenant and day (days with some), to ``as_of``;
    only the given ``days`` when set. Sorted by tenant and day."""
    query = select(
        RollupTenantDay.tenant_id,
        RollupTenantDay.day,
        RollupTenantDay.gmv_ars,
        RollupTenantDay.completed,
    ).where(RollupTenantDay.completed > 0, RollupTenantDay.day <= as_of)
    if days is not None:
        query = query.where(RollupTenantDay.day.in_(days))
    result = session.connection().execute(query)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    return _typed(pd.DataFrame(rows, columns=TENANT_DAY_COLUMNS))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(day=pd.to_datetime(frame["day"]).astype("datetime64[ns]"))
    # Compact types: this is the biggest frame of the page (≈ tenants × active days).
    frame = frame.astype({"tenant_id": "int32", "gmv_ars": "float64", "completed": "int32"})
    return frame.sort_values(["tenant_id", "day"], ignore_index=True)


def read_cities(*, session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            Location.province,
            Location.city,
            func.avg(Location.latitude),
            func.avg(Location.longitude),
            func.count(),
        ).group_by(Location.province, Location.city)
    ).all()
    frame = pd.DataFrame(rows, columns=CITY_COLUMNS)
    return frame.astype({"latitude": float, "longitude": float, "locations": "int64"})


def compute_regions(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    return {
        "regions_tenant_day": read_tenant_days(session=session, as_of=as_of),
        "regions_cities": read_cities(session=session),
    }


def update_regions(
    session: Session, as_of: date, previous: dict[str, pd.DataFrame], touched: Touched
) -> dict[str, pd.DataFrame]:
    """``compute_regions``'s tables from the previous ones and the touched tenant-days."""
    kept = previous["regions_tenant_day"]
    days = sorted(day for day in touched.days("bookings") if day <= as_of)
    if len(days) > MAX_DAYS_PER_UPDATE:  # a bulk change: one full read is cheaper
        return compute_regions(session, as_of)
    if days:
        stale = pd.to_datetime(kept["day"]).isin(pd.to_datetime(pd.Series(days)))
        fresh = read_tenant_days(session=session, as_of=as_of, days=days)
        parts = [frame for frame in (kept[~stale], fresh) if not frame.empty]
        kept = pd.concat(parts, ignore_index=True) if parts else fresh
    return {
        "regions_tenant_day": _typed(kept[TENANT_DAY_COLUMNS]),
        "regions_cities": read_cities(session=session),
    }


PROVIDERS = [
    FrameProvider(
        name="regions",
        frames=("regions_tenant_day", "regions_cities"),
        compute=compute_regions,
        update=update_regions,
        description="GMV and completed appointments per tenant per active day (rollup), "
        "and city coordinates from the platform's locations.",
    )
]
