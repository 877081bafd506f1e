"""Month arithmetic and MRR movements on tenant-month frames: pure pandas, no SQL.

Shared by the revenue frames provider (core/metrics/frames/subscriptions.py) and the
dashboards that restate MRR in constant pesos.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def month_index(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1) of dates or datetimes."""
    stamps = pd.DatetimeIndex(pd.to_datetime(values))
    return (stamps.year * 12 + stamps.month - 1).to_numpy(dtype="int64")


def month_start(index: np.ndarray | int) -> pd.DatetimeIndex:
    """First day of the month of each month index."""
    index = np.atleast_1d(np.asarray(index, dtype="int64"))
    return pd.DatetimeIndex(
        pd.to_datetime({"year": index // 12, "month": index % 12 + 1, "day": 1})
    )


def classify_movements(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (tenant_id, month, mrr_ars; churn months present with MRR 0) with
    ``change_ars`` and ``movement`` recomputed, sorted by tenant and month.

    A month missing for a tenant means MRR 0 that month; a tenant's first row is "new",
    a later row after a gap or a churn row is "reactivation".
    """
    ordered = frame.sort_values(["tenant_id", "month"], kind="stable").reset_index(drop=True)
    tenant = ordered["tenant_id"].to_numpy()
    index = month_index(ordered["month"])
    mrr = ordered["mrr_ars"].to_numpy(dtype=float)
    same = np.zeros(len(ordered), dtype=bool)
    same[1:] = (tenant[1:] == tenant[:-1]) & (index[1:] == index[:-1] + 1)
    previous = np.zeros(len(ordered))
    previous[1:] = mrr[:-1]
    previous = np.where(same, previous, 0.0)
    seen = np.zeros(len(ordered), dtype=bool)
    seen[1:] = tenant[1:] == tenant[:-1]  # an earlier row exists: the tenant paid before
    movement = np.select(
        [
            (previous == 0) & (mrr > 0) & ~seen,
            (previous == 0) & (mrr > 0) & seen,
            (previous > 0) & (mrr == 0),
            (previous > 0) & (mrr > previous),
            (previous > 0) & (mrr < previous) & (mrr > 0),
        ],
        ["new", "reactivation", "churn", "expansion", "contraction"],
        "",
    )
    return ordered.assign(change_ars=mrr - previous, movement=movement)


def continuing(frame: pd.DataFrame) -> np.ndarray:
    """Rows of tenants paying both this month and the month before (``change_ars`` set)."""
    mrr = frame["mrr_ars"].to_numpy(dtype=float)
    previous = mrr - frame["change_ars"].to_numpy(dtype=float)
    return (mrr > 0) & (previous > 0)


def split_by_price_part(frame: pd.DataFrame, price_ars: np.ndarray) -> pd.DataFrame:
    """``frame`` with ``price_update_ars`` (``price_ars`` on continuing rows) and
    ``plan_seat_ars`` (the rest of ``change_ars``); both 0 on new, reactivation and
    churn rows, so on every row ``price_update_ars + plan_seat_ars`` is the change of a
    continuing tenant."""
    keep = continuing(frame)
    price = np.where(keep, np.asarray(price_ars, dtype=float), 0.0)
    plan = np.where(keep, frame["change_ars"].to_numpy(dtype=float) - price, 0.0)
    return frame.assign(price_update_ars=price, plan_seat_ars=plan)


def split_by_plan_seat_part(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` restated in constant ARS, its movements recomputed: ``plan_seat_ars`` (already
    restated at each month's CPI) is kept on continuing rows and ``price_update_ars``
    becomes the rest of the change, i.e. the list-price updates net of the inflation that
    eroded the tenant's MRR of the month before."""
    keep = continuing(frame)
    plan = np.where(keep, frame["plan_seat_ars"].to_numpy(dtype=float), 0.0)
    price = np.where(keep, frame["change_ars"].to_numpy(dtype=float) - plan, 0.0)
    return frame.assign(price_update_ars=price, plan_seat_ars=plan)
