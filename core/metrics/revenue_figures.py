"""Revenue figures of tenant-month frames: MRR at a month, movements, NRR/GRR, churn,
cohorts. Pure pandas, no SQL.

The Revenue, Churn & Retention and Lifetime Value dashboards compute their figures here
from the ``revenue_tenant_months`` detail frame (one row per tenant per month with MRR >
0, plus churn months; core/metrics/frames/subscriptions.py), so one rule gives one
number on every page. The metrics' labels and definitions are in core/metrics/registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd

from core.inflation.deflate import cpi_factors, to_constant_ars
from core.metrics.mrr_months import (
    classify_movements,
    continuing,
    month_index,
    month_start,
    split_by_plan_seat_part,
)

# The steps of the MRR bridge, in order: their signed ARS add up to end MRR - start MRR.
BRIDGE_STEPS = (
    "new",
    "reactivation",
    "price_update",
    "plan_seat_expansion",
    "plan_seat_contraction",
    "churn",
)
RETENTION_MONTHS = 12  # NRR and GRR: MRR now of the tenants paying 12 months before


class MonthSpan(Protocol):
    """An inclusive range of month indexes (``year * 12 + month - 1``)."""

    @property
    def first(self) -> int: ...

    @property
    def last(self) -> int: ...


def with_movement_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``price_update_ars`` and ``plan_seat_ars``; a frame stored before the
    split existed reads its whole continuing change as plan/seat."""
    if "plan_seat_ars" in frame and "price_update_ars" in frame:
        return frame
    keep = continuing(frame) if len(frame) else np.zeros(0, dtype=bool)
    change = frame["change_ars"].to_numpy(dtype=float)
    return frame.assign(price_update_ars=0.0, plan_seat_ars=np.where(keep, change, 0.0))


def restate_tenant_months(
    tenant_months: pd.DataFrame,
    tenant_ids: Iterable[int],
    *,
    constant_ars_month: date | None = None,
    cpi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The tenant-months of ``tenant_ids``, with ``month_index``; in constant ARS of
    ``constant_ars_month`` when it is set (MRR and the plan/seat part restated at each
    month's CPI, movements recomputed, the price-update part the rest of the change)."""
    kept = {int(tenant_id) for tenant_id in tenant_ids}
    frame = with_movement_parts(tenant_months[tenant_months["tenant_id"].isin(kept)])
    if constant_ars_month is not None and cpi is not None and not frame.empty:
        restated = to_constant_ars(
            frame,
            ["mrr_ars", "plan_seat_ars"],
            month_column="month",
            base_month=constant_ars_month,
            cpi=cpi,
        )
        frame = split_by_plan_seat_part(classify_movements(restated))
    return frame.assign(month_index=month_index(frame["month"]) if len(frame) else [])


def sum_by(rows: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    """A pivot table of sums (groupby + unstack: pivot_table is ~10x slower)."""
    return rows.groupby([index, columns])[values].sum().unstack(fill_value=0.0)


def mrr_at(frame: pd.DataFrame, index: int) -> pd.Series:
    """MRR per tenant in one month (tenants without a row pay 0)."""
    rows = frame[frame["month_index"] == index]
    return rows.groupby("tenant_id")["mrr_ars"].sum()


def movement_totals(frame: pd.DataFrame, period: MonthSpan) -> dict[str, float]:
    """Signed ARS of each movement over the period, plus churn events.

    New, reactivation and churn are the changes of those tenant-months. A continuing
    tenant-month's change is split into its price-update and plan/seat parts; each part
    counts as expansion when it rose and as contraction when it fell, so ``expansion =
    price_update_expansion + plan_seat_expansion`` (contraction likewise) and the
    ``BRIDGE_STEPS`` add up to the change of MRR over the period.
    """
    rows = frame[(frame["month_index"] >= period.first) & (frame["month_index"] <= period.last)]
    sums = rows.groupby("movement")["change_ars"].sum()
    totals = {name: float(sums.get(name, 0.0)) for name in ("new", "churn", "reactivation")}
    price = rows["price_update_ars"].to_numpy(dtype=float)
    plan = rows["plan_seat_ars"].to_numpy(dtype=float)
    for name, part in (("price_update", price), ("plan_seat", plan)):
        totals[name] = float(part.sum())
        totals[f"{name}_expansion"] = float(part[part > 0].sum())
        totals[f"{name}_contraction"] = float(part[part < 0].sum())
    totals["expansion"] = totals["price_update_expansion"] + totals["plan_seat_expansion"]
    totals["contraction"] = totals["price_update_contraction"] + totals["plan_seat_contraction"]
    totals["churn_events"] = float((rows["movement"] == "churn").sum())
    return totals


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def revenue_figures(frame: pd.DataFrame, period: MonthSpan) -> dict[str, float | None]:
    """Every revenue KPI of one period (their definitions: core.metrics.registry)."""
    start, end = mrr_at(frame, period.first - 1), mrr_at(frame, period.last)
    start, end = start[start > 0], end[end > 0]
    mrr_start, mrr_end = float(start.sum()), float(end.sum())
    moves = movement_totals(frame, period)
    losses = 0.0 - (moves["churn"] + moves["contraction"])  # 0.0 - 0.0 is not -0.0
    return {
        "mrr": mrr_end,
        "arr": 12 * mrr_end,
        "arpa": _ratio(mrr_end, len(end)),
        "paying": float(len(end)),
        "mrr_start": mrr_start,
        "paying_start": float(len(start)),
        "quick_ratio": _ratio(moves["new"] + moves["expansion"], losses),
        "gross_mrr_churn": _ratio(losses, mrr_start),
        "net_mrr_churn": _ratio(losses - moves["expansion"], mrr_start),
        "paying_logo_churn": _ratio(moves["churn_events"], len(start)),
        "churned_tenants": moves["churn_events"],
        "churned_mrr": -moves["churn"],
        **{f"move_{k}": v for k, v in moves.items()},
    }


def _then_and_now(frame: pd.DataFrame, last: int, months: int) -> tuple[pd.Series, pd.Series]:
    """MRR per tenant ``months`` before ``last`` (paying tenants only) and in ``last``."""
    rows = frame.loc[frame["month_index"].isin([last - months, last])]
    table = rows.groupby(["tenant_id", "month_index"])["mrr_ars"].sum().unstack(fill_value=0.0)
    table = table.reindex(columns=[last - months, last], fill_value=0.0)
    table = table[table[last - months] > 0]
    return table[last - months], table[last]


def _kept(then: pd.Series, now: pd.Series) -> dict:
    base = float(then.sum())
    return {
        "nrr": _ratio(float(now.sum()), base),
        "grr": _ratio(float(np.minimum(now, then).sum()), base),
        "base_mrr": base,
        "base_tenants": float(len(then)),
    }


def retention(frame: pd.DataFrame, last: int, *, months: int = RETENTION_MONTHS) -> dict:
    """NRR and GRR of the tenants paying ``months`` before month ``last``: their MRR in
    ``last`` over their MRR then (GRR: each counts at most its MRR then); also that base
    (``base_mrr``, ``base_tenants``). Ratios are None without a base."""
    return _kept(*_then_and_now(frame, last, months))


def retention_figures(
    frame: pd.DataFrame,
    last: int,
    *,
    cpi: pd.DataFrame | None,
    months: int = RETENTION_MONTHS,
) -> dict[str, float | None]:
    """``nrr``/``grr`` of ``retention`` on the nominal ``frame``, and ``nrr_constant``/
    ``grr_constant`` with both months' MRR in constant pesos (None without ``cpi``).

    The constant figures restate each month at its CPI; a ratio of amounts of one base
    month does not depend on which month that is, so the latest CPI month is used.
    """
    then, now = _then_and_now(frame, last, months)
    nominal = _kept(then, now)
    out: dict[str, float | None] = {
        "nrr": nominal["nrr"],
        "grr": nominal["grr"],
        "base_tenants": nominal["base_tenants"],
        "nrr_constant": None,
        "grr_constant": None,
    }
    if cpi is None or cpi.empty:
        return out
    both = pd.Series(month_start(np.array([last - months, last])))
    factor = cpi_factors(both, pd.Timestamp(cpi["month"].max()).date(), cpi)
    constant = _kept(then * factor[0], now * factor[1])
    out["nrr_constant"], out["grr_constant"] = constant["nrr"], constant["grr"]
    return out


def cohort_shares(
    frame: pd.DataFrame,
    tenants: pd.DataFrame,
    period: MonthSpan,
    *,
    last_month: int,
    value: str = "mrr",
) -> pd.DataFrame:
    """Signup-month cohorts of the period (rows) × months since signup (columns).

    ``value="mrr"``: cohort MRR at that age over its MRR in the signup month;
    ``value="logo"``: share of the cohort's tenants paying at that age. Ages after
    ``last_month`` are left empty. A ``tenants`` column gives the cohort size; the
    index is the signup month (``YYYY-MM``).
    """
    signup = tenants[["tenant_id", "signup_date"]].assign(
        cohort=month_index(tenants["signup_date"]) if len(tenants) else []
    )
    signup = signup[(signup["cohort"] >= period.first) & (signup["cohort"] <= period.last)]
    rows = frame.merge(signup[["tenant_id", "cohort"]], on="tenant_id")
    rows = rows[rows["mrr_ars"] > 0].assign(age=lambda r: r["month_index"] - r["cohort"])
    rows = rows[rows["age"] >= 0]
    if value == "mrr":
        table = sum_by(rows, "cohort", "age", "mrr_ars")
        base = table.get(0)
    else:
        table = rows.groupby(["cohort", "age"])["tenant_id"].nunique().unstack()
        base = signup.groupby("cohort")["tenant_id"].nunique().reindex(table.index)
    if table.empty or base is None:
        return pd.DataFrame()
    shares = table.fillna(0.0).div(base, axis=0)
    for cohort in shares.index:  # the future is unknown, not zero
        shares.loc[cohort, shares.columns > last_month - cohort] = np.nan
    shares = shares.replace([np.inf, -np.inf], np.nan)
    sizes = signup.groupby("cohort")["tenant_id"].nunique().reindex(table.index)
    shares.insert(0, "tenants", sizes.fillna(0).astype(int).to_numpy())
    months = month_start(shares.index.to_numpy())
    shares.index = pd.Index([month.strftime("%Y-%m") for month in months], name="cohort")
    return shares
