"""What a long-running refresher keeps between runs, so a refresh costs what changed.

A scheduler refreshes every 30 s in the same process. Between runs it keeps the small
dimension tables (tenants, subscriptions) and the series derived from them, and each
tenant's 28-day window totals, which it then moves by the deltas of the cells it
recomputes. The state is trusted only while the newest snapshot in the database is the
one this process wrote, on the same local day; otherwise (another scheduler refreshed,
the day turned, a refresh failed) it is rebuilt from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.metrics.registry import kpi_windows
from core.metrics.rollups import TENANT_DAY_MEASURES, WINDOW_TOTAL_COLUMNS, dirty_cells
from core.schema import RollupTenantDay, Subscription, Tenant

# The per-tenant window measures, in WINDOW_TOTAL_COLUMNS order after tenant_id.
_CURRENT = {
    "bookings_28d": "bookings",
    "gmv_28d": "gmv_ars",
    "no_show_28d": "no_show",
    "completed_28d": "completed",
}

DimensionSignature = tuple[object, ...]


@dataclass
class WarmState:
    version: int
    as_of_day: date
    dimension_signature: DimensionSignature
    tenants: pd.DataFrame
    subscriptions: pd.DataFrame
    series_range: tuple[date, int] | None = None
    series: dict[str, np.ndarray] | None = None
    window: dict[int, list[float]] = field(default_factory=dict)
    seen: dict[tuple[str, int], datetime] = field(default_factory=dict)
    # Platform totals per day, as stored in console_rollup_day, keyed by day.
    day_rows: dict[date, tuple] | None = None

    # The snapshot's daily table, kept and patched on the refolded days.
    daily: pd.DataFrame | None = None

    def patch_daily(self, dirty_days: set[date]) -> None:
        """Copy the refolded days' totals into the kept daily table (zeros if none left)."""
        assert self.daily is not None and self.day_rows is not None
        assert self.series_range is not None
        if not dirty_days:
            return
        first = self.series_range[0]
        days = sorted(dirty_days)
        positions = [(day - first).days for day in days]
        values = [
            self.day_rows[day][1 : 1 + len(TENANT_DAY_MEASURES)]
            if day in self.day_rows
            else (0,) * len(TENANT_DAY_MEASURES)
            for day in days
        ]
        daily = self.daily.copy()  # the previous snapshot's frame may still be referenced
        for column, name in enumerate(TENANT_DAY_MEASURES):
            current = daily[name].to_numpy(copy=True)
            current[positions] = [row[column] for row in values]
            daily[name] = np.round(current, 2) if name.endswith("_ars") else current
        self.daily = daily

    def patch_day_rows(self, dirty_days: set[date], fresh: dict[date, tuple]) -> None:
        """Replace the refolded days by their new rows (a day with no row left is dropped)."""
        assert self.day_rows is not None
        for day in dirty_days:
            self.day_rows.pop(day, None)
        self.day_rows.update(fresh)

    def window_frame(self) -> pd.DataFrame:
        rows = [[tenant_id, *values] for tenant_id, values in sorted(self.window.items())]
        frame = pd.DataFrame(rows, columns=WINDOW_TOTAL_COLUMNS)
        for name in WINDOW_TOTAL_COLUMNS:
            if name != "gmv_28d":
                frame[name] = frame[name].astype("int64")
        frame["gmv_28d"] = frame["gmv_28d"].astype(float).round(2)
        return frame

    def move_window(self, old: list[dict], new: list[dict]) -> None:
        """Apply the change of recomputed cells: subtract their old rows, add the new ones."""
        (current_start, end), (previous_start, _) = kpi_windows(self.as_of_day)
        for records, sign in ((old, -1), (new, 1)):
            for record in records:
                day = record["day"]
                if day < previous_start or day > end:
                    continue
                totals = self.window.setdefault(record["tenant_id"], [0, 0, 0.0, 0, 0])
                if day < current_start:
                    totals[1] += sign * record["bookings"]
                    continue
                totals[0] += sign * record["bookings"]
                totals[2] = round(totals[2] + sign * float(record["gmv_ars"]), 2)
                totals[3] += sign * record["no_show"]
                totals[4] += sign * record["completed"]


_states: dict[str, WarmState] = {}


def state_for(url: str, *, latest_version: int | None, as_of_day: date) -> WarmState | None:
    """Take the kept state, if it still describes the database; None means rebuild.

    The state is removed from the registry: a refresh mutates it as it goes, so only a
    refresh that commits may put it back (``remember``). A failed one leaves nothing.
    """
    state = _states.pop(url, None)
    if state is None or state.version != latest_version or state.as_of_day != as_of_day:
        return None
    return state


def remember(url: str, state: WarmState) -> None:
    _states[url] = state


def dimension_signature(*, session: Session) -> DimensionSignature:
    """Changes whenever a tenant or subscription row is added or updated.

    Both maxima are answered from indexes (primary key, ``updated_at``) without a scan;
    the platform never deletes tenants or subscription periods.
    """
    connection = session.connection()
    tenants = connection.execute(select(func.max(Tenant.id), func.max(Tenant.updated_at))).one()
    subscriptions = connection.execute(
        select(func.max(Subscription.id), func.max(Subscription.updated_at))
    ).one()
    return (*tenants, *subscriptions)


def window_from_frame(frame: pd.DataFrame) -> dict[int, list[float]]:
    return {
        int(row[0]): [int(row[1]), int(row[2]), float(row[3]), int(row[4]), int(row[5])]
        for row in frame[WINDOW_TOTAL_COLUMNS].itertuples(index=False, name=None)
    }


def read_dirty_cell_rows(*, session: Session) -> list[dict]:
    """The rollup rows of the loaded dirty cells as they are before being replaced."""
    rollup = RollupTenantDay
    names = ["tenant_id", "day", "bookings", "gmv_ars", "no_show", "completed"]
    query = select(*[getattr(rollup, name) for name in names]).join(
        dirty_cells,
        (dirty_cells.c.tenant_id == rollup.tenant_id) & (dirty_cells.c.day == rollup.day),
    )
    return [dict(zip(names, row, strict=True)) for row in session.connection().execute(query)]


__all__ = [
    "WarmState",
    "dimension_signature",
    "read_dirty_cell_rows",
    "remember",
    "state_for",
    "window_from_frame",
]
