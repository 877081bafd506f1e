"""Regional Performance detail tables: GMV per tenant per day, and where cities are.

GMV per tenant and day comes from the tenant-day rollup (only days with completed
appointments, so the frame stays a fraction of tenants × days); the page sums it over any
date range and attributes it to the tenant's registered province and city. City
coordinates are the mean position of the platform's own locations in that city, so the
map needs no geocoding service and no internet.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.schema import Location, RollupTenantDay

TENANT_DAY_COLUMNS = ["tenant_id", "day", "gmv_ars", "completed"]
CITY_COLUMNS = ["province", "city", "latitude", "longitude", "locations"]


def read_tenant_days(*, session: Session, as_of: date) -> pd.DataFrame:
    rows = session.execute(
        select(
            RollupTenantDay.tenant_id,
            RollupTenantDay.day,
            RollupTenantDay.gmv_ars,
            RollupTenantDay.completed,
        ).where(RollupTenantDay.completed > 0, RollupTenantDay.day <= as_of)
    ).all()
    frame = pd.DataFrame(rows, columns=TENANT_DAY_COLUMNS)
    frame["day"] = pd.to_datetime(frame["day"])
    # Compact types: this is the biggest frame of the page (≈ tenants × active days).
    return frame.astype({"tenant_id": "int32", "gmv_ars": "float64", "completed": "int32"})


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


PROVIDERS = [
    FrameProvider(
        name="regions",
        frames=("regions_tenant_day", "regions_cities"),
        compute=compute_regions,
        description="GMV and completed appointments per tenant per active day (rollup), "
        "and city coordinates from the platform's locations.",
    )
]
