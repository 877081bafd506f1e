"""The ``cpi_monthly`` frame behind every dashboard's constant-ARS option.

It copies ``console_cpi_monthly`` (a few hundred rows) up to the snapshot's month, so
the filter bar offers base months up to now and pages never read the table themselves.
An empty table (a database migrated before the seeding existed) is seeded first.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from core.inflation.table import cpi_frame, load_cpi, seed_cpi_if_empty
from core.metrics.detail import FrameProvider


def compute_cpi(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    table = load_cpi(session=session)
    if table.empty:
        engine = session.get_bind()
        seed_cpi_if_empty(engine)  # type: ignore[arg-type]
        with Session(engine) as fresh:  # this session's read snapshot predates the seed
            table = load_cpi(session=fresh)
    return {"cpi_monthly": cpi_frame(table, through=as_of)}


PROVIDERS = [
    FrameProvider(
        name="cpi",
        frames=("cpi_monthly",),
        compute=compute_cpi,
        description="Monthly CPI index (month, index_value, approximate) for constant ARS",
    )
]
