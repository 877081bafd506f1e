"""Revenue & Subscriptions: a hand-made case computed by hand, and the generated set
checked against an independent month-end MRR computation from raw subscription rows.

Also holds the fixtures the churn, LTV and page tests share (hand-made frames, one
generated console per test process).
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics import revenue_figures as revenue_core
from core.metrics.frames.subscriptions import (
    read_subscriptions,
    read_tenants,
    tenant_month_mrr,
)
from core.metrics.snapshots import latest_detail_version, latest_version, load_snapshot
from dashboards import kit
from dashboards import revenue_subscriptions as revenue
from dashboards.filters import Filters
from dashboards.kit import MonthRange
from tests.generated_console import TODAY, generated_console

AS_OF = date(2025, 4, 15)

# (tenant, tier, signup, [(mrr, started_on, ended_on, reason), ...])
HAND = [
    (
        1,
        "starter",
        date(2025, 1, 10),
        [(1000, "2025-01-10", "2025-03-01", "new"), (1200, "2025-03-01", None, "price_update")],
    ),
    (
        2,
        "pro",
        date(2025, 1, 5),
        [(3000, "2025-01-05", "2025-03-15", "new"), (5000, "2025-03-15", None, "upgrade")],
    ),
    (3, "pro", date(2025, 2, 3), [(2000, "2025-02-03", "2025-03-10", "new")]),
    (
        4,
        "starter",
        date(2025, 1, 20),
        [(1500, "2025-01-20", "2025-03-05", "new"), (1000, "2025-03-05", None, "downgrade")],
    ),
    (5, "starter", date(2025, 3, 12), [(800, "2025-03-12", None, "new")]),
    (
        6,
        "pro",
        date(2024, 12, 1),
        [(2500, "2024-12-01", "2025-02-01", "new"), (2600, "2025-03-20", None, "reactivation")],
    ),
]


def hand_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    subscriptions, tenants = [], []
    for tenant_id, tier, signup, periods in HAND:
        for mrr, start, end, reason in periods:
            subscriptions.append(
                {
                    "tenant_id": tenant_id,
                    "plan": tier,
                    "tier": tier,
                    "mrr_ars": float(mrr),
                    "started_on": date.fromisoformat(start),
                    "ended_on": date.fromisoformat(end) if end else None,
                    "change_reason": reason,
                }
            )
        tenants.append(
            {
                "tenant_id": tenant_id,
                "trade_name": f"Tenant {tenant_id}",
                "tier": tier,
                "vertical": "salon" if tenant_id % 2 else "barbershop",
                "province": "Córdoba",
                "partner_id": None,
                "signup_date": signup,
                "status": "churned" if tenant_id == 3 else "active",
                "churned_on": date(2025, 3, 10) if tenant_id == 3 else None,
                "churn_reason": "price" if tenant_id == 3 else None,
                "mrr_ars": 0.0 if tenant_id == 3 else 1.0,
                "bookings_28d": 0,
                "bookings_prev_28d": 0,
            }
        )
    return pd.DataFrame(subscriptions), pd.DataFrame(tenants)


def month_end_mrr(subscriptions: pd.DataFrame, year: int, month: int, as_of: date) -> dict:
    """tenant -> MRR on the month's last day (the as-of day for its month), from raw rows."""
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    day = min(last, as_of)
    mrr: dict[int, float] = {}
    for row in subscriptions.itertuples():
        start = pd.Timestamp(row.started_on).date()
        end = None if pd.isna(row.ended_on) else pd.Timestamp(row.ended_on).date()
        if start <= day and (end is None or day < end):
            mrr[row.tenant_id] = mrr.get(row.tenant_id, 0.0) + float(row.mrr_ars)
    return {k: v for k, v in mrr.items() if v > 0}


def mrr_on(subscriptions: pd.DataFrame, day: date) -> dict:
    """tenant -> MRR of the periods open on ``day`` (``started_on <= day < ended_on``)."""
    started = pd.to_datetime(subscriptions["started_on"]).dt.date
    ended = pd.to_datetime(subscriptions["ended_on"]).dt.date
    open_ = (started <= day) & (ended.isna() | (ended > day))
    return subscriptions[open_].groupby("tenant_id")["mrr_ars"].sum().to_dict()


def price_update_parts(subscriptions: pd.DataFrame, year: int, month: int, as_of: date) -> dict:
    """tenant -> change of its MRR (ARS) on the days of the month (up to ``as_of``) a
    price-update period started: MRR that day minus MRR the day before, from raw rows."""
    parts: dict[int, float] = {}
    updates = subscriptions[subscriptions["change_reason"] == "price_update"]
    for row in updates.itertuples():
        day = pd.Timestamp(row.started_on).date()
        if (day.year, day.month) != (year, month) or day > as_of:
            continue
        after = mrr_on(subscriptions, day).get(row.tenant_id, 0.0)
        before = mrr_on(subscriptions, day - timedelta(days=1)).get(row.tenant_id, 0.0)
        parts[row.tenant_id] = parts.get(row.tenant_id, 0.0) + after - before
    return parts


@lru_cache(maxsize=1)
def generated_url() -> str:
    """One generated console per test process, shared by the revenue/churn/LTV tests."""
    return generated_console(Path(tempfile.mkdtemp(prefix="revenue_")) / "console.db")


@lru_cache(maxsize=1)
def generated_frames() -> dict[str, pd.DataFrame]:
    """Raw rows and the stored snapshot frames of the generated console."""
    engine = create_engine_for(generated_url())
    with Session(engine) as session:
        snapshot = load_snapshot(session=session, version=latest_version(session=session))
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
        frames = {
            "subscriptions": read_subscriptions(session=session),
            "raw_tenants": read_tenants(session=session),
            "tenants": snapshot.frames["tenants"],
            **detail.frames,
        }
    engine.dispose()
    return frames


MARCH = Filters(start=date(2025, 3, 1), end=date(2025, 3, 31))


@pytest.fixture(scope="module")
def hand():
    subscriptions, tenants = hand_frames()
    months = tenant_month_mrr(subscriptions, AS_OF)
    frame = kit.tenant_months_for(months, tenants, MARCH)
    return frame, tenants, kit.month_range(MARCH, as_of=AS_OF)


def test_hand_case_movements(hand):
    frame, _tenants, period = hand
    moves = revenue_core.movement_totals(frame, period)
    # new T5 800; expansion T1 +200 (price update) and T2 +2000; contraction T4 -500;
    # churn T3 -2000; reactivation T6 2600
    assert moves["new"] == 800 and moves["reactivation"] == 2600
    assert moves["expansion"] == 2200 and moves["price_update_expansion"] == 200
    assert moves["contraction"] == -500 and moves["churn"] == -2000


def test_hand_case_kpis(hand):
    frame, _tenants, period = hand
    figures = revenue_core.revenue_figures(frame, period)
    assert figures["mrr_start"] == 7500 and figures["mrr"] == 10600
    assert figures["arr"] == 12 * 10600 and figures["arpa"] == 10600 / 5
    # retention over the one month of the period (the tiles' is over 12 months)
    kept = revenue_core.retention(frame, period.last, months=1)
    assert kept["nrr"] == pytest.approx(7200 / 7500)  # T1 1200 + T2 5000 + T4 1000
    assert kept["grr"] == pytest.approx(5000 / 7500)  # min: 1000 + 3000 + 0 + 1000
    assert kept["base_tenants"] == 4 and kept["base_mrr"] == 7500
    assert figures["quick_ratio"] == pytest.approx((800 + 2200) / (500 + 2000))
    assert figures["gross_mrr_churn"] == pytest.approx(2500 / 7500)
    assert figures["net_mrr_churn"] == pytest.approx((2500 - 2200) / 7500)
    assert figures["paying_logo_churn"] == pytest.approx(1 / 4)
    before = revenue_core.revenue_figures(frame, period.previous)  # February
    assert before["mrr_start"] == 8000 and before["mrr"] == 7500
    # T6 churned on 1 February
    assert revenue_core.retention(frame, period.last - 1, months=1)["nrr"] == pytest.approx(
        5500 / 8000
    )


def test_hand_case_waterfall_adds_up(hand):
    frame, _tenants, period = hand
    monthly = revenue.monthly_movements(frame, period)
    assert monthly["net"].tolist() == [3100.0]
    assert monthly["mrr_ars"].tolist() == [10600.0] and monthly["paying"].tolist() == [5]
    figure = revenue.waterfall_figure(revenue_core.revenue_figures(frame, period), locale="en")
    values = list(figure.data[0].y)
    assert values[0] + sum(values[1:-1]) == values[-1] == 10600


def test_constant_ars_recomputes_movements_and_still_adds_up():
    subscriptions, tenants = hand_frames()
    months = tenant_month_mrr(subscriptions, AS_OF)
    cpi = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
            "index_value": [100.0, 100.0, 110.0],
        }
    )
    filters = MARCH.with_(constant_ars_month=date(2025, 3, 1))
    frame = kit.tenant_months_for(months, tenants, filters, cpi=cpi)
    figures = revenue_core.revenue_figures(frame, kit.month_range(filters, as_of=AS_OF))
    assert figures["mrr_start"] == pytest.approx(7500 * 1.1) and figures["mrr"] == 10600
    # T1 1000 -> 1200 nominal is 1100 -> 1200 in March pesos
    t1 = frame[(frame["tenant_id"] == 1) & (frame["month_index"] == 2025 * 12 + 2)]
    assert t1["change_ars"].iloc[0] == pytest.approx(100)
    net = sum(
        figures[f"move_{m}"] for m in ("new", "expansion", "contraction", "churn", "reactivation")
    )
    assert figures["mrr_start"] + net == pytest.approx(figures["mrr"])


def test_filters_select_tenants_by_profile(hand):
    subscriptions, tenants = hand_frames()
    months = tenant_month_mrr(subscriptions, AS_OF)
    frame = kit.tenant_months_for(months, tenants, MARCH.with_(tiers=("starter",)))
    figures = revenue_core.revenue_figures(frame, kit.month_range(MARCH, as_of=AS_OF))
    assert figures["mrr"] == 1200 + 1000 + 800 and figures["mrr_start"] == 2500


def test_cohort_table_by_hand(hand):
    frame, tenants, _period = hand
    table = revenue_core.cohort_shares(
        frame, tenants, MonthRange(2025 * 12, 2025 * 12 + 2), last_month=2025 * 12 + 3
    )
    january = table.loc["2025-01"]  # T1, T2, T4: 5500 at the end of January
    assert january["tenants"] == 3
    assert january[0] == 1.0 and january[2] == pytest.approx((1200 + 5000 + 1000) / 5500)
    assert pd.isna(table.loc["2025-03"][2])  # the future is unknown, not zero


def test_build_view_messages():
    subscriptions, tenants = hand_frames()
    months = tenant_month_mrr(subscriptions, AS_OF)
    future = Filters(start=AS_OF + timedelta(days=30), end=AS_OF + timedelta(days=60))
    view = revenue.build_view(months, tenants, future, as_of=AS_OF, locale="en")
    assert view.message and "future" in view.message
    nobody = revenue.build_view(
        months, tenants, MARCH.with_(provinces=("Jujuy",)), as_of=AS_OF, locale="en"
    )
    assert nobody.message and "No tenant" in nobody.message
    before = revenue.build_view(
        months,
        tenants,
        Filters(start=date(2020, 1, 1), end=date(2020, 3, 1)),
        as_of=AS_OF,
        locale="en",
    )
    assert before.message == "No data for these filters"
    ok = revenue.build_view(months, tenants, MARCH, as_of=AS_OF, locale="en")
    assert ok.message is None and len(ok.tiles) == 6 and len(ok.detail) == 6
    assert [t.key for t in ok.retention] == ["nrr", "nrr_constant", "grr", "grr_constant"]


# --------------------------------------------------------------- generated data set
def _independent(subscriptions: pd.DataFrame, first: date, last_month: date, as_of: date):
    """MRR per tenant at the end of the month before ``first`` and of ``last_month``, and
    every month's per-tenant MRR in between, from raw rows."""
    months = pd.period_range(pd.Timestamp(first) - pd.offsets.MonthBegin(1), last_month, freq="M")
    return {m: month_end_mrr(subscriptions, m.year, m.month, as_of) for m in months}


def test_generated_set_matches_raw_rows():
    frames = generated_frames()
    subscriptions = frames["subscriptions"]
    months = frames["revenue_tenant_months"]
    tenants = frames["tenants"]
    filters = Filters(start=date(2026, 1, 1), end=TODAY)
    frame = kit.tenant_months_for(months, tenants, filters)
    period = kit.month_range(filters, as_of=TODAY)
    figures = revenue_core.revenue_figures(frame, period)
    by_month = _independent(subscriptions, date(2026, 1, 1), TODAY, TODAY)
    keys = sorted(by_month)
    start, end = by_month[keys[0]], by_month[keys[-1]]
    assert figures["mrr"] == pytest.approx(sum(end.values()))
    assert figures["mrr_start"] == pytest.approx(sum(start.values()))
    assert figures["paying"] == len(end)
    kept = revenue_core.retention(frame, period.last, months=period.length)
    assert kept["nrr"] == pytest.approx(sum(end.get(t, 0) for t in start) / sum(start.values()))
    assert kept["grr"] == pytest.approx(
        sum(min(end.get(t, 0), v) for t, v in start.items()) / sum(start.values())
    )
    # movements month by month, classified by hand; a continuing tenant's change split
    # into its price-update part and the rest, each a rise (expansion) or a fall
    totals = dict.fromkeys(("new", "expansion", "contraction", "churn", "reactivation"), 0.0)
    totals |= dict.fromkeys(("price_update_expansion", "plan_seat_contraction"), 0.0)
    seen = {
        t
        for m in _independent(
            subscriptions, date(2000, 2, 1), keys[0].to_timestamp(), TODAY
        ).values()
        for t in m
    }
    for before, after in itertools.pairwise(keys):
        a, b = by_month[before], by_month[after]
        prices = price_update_parts(subscriptions, after.year, after.month, TODAY)
        for tenant in set(a) | set(b):
            x, y = a.get(tenant, 0.0), b.get(tenant, 0.0)
            if x == 0 and y > 0:
                totals["reactivation" if tenant in seen else "new"] += y
            elif x > 0 and y == 0:
                totals["churn"] -= x
            else:
                price = prices.get(tenant, 0.0)
                rest = y - x - price
                totals["expansion"] += max(price, 0.0) + max(rest, 0.0)
                totals["contraction"] += min(price, 0.0) + min(rest, 0.0)
                totals["price_update_expansion"] += max(price, 0.0)
                totals["plan_seat_contraction"] += min(rest, 0.0)
        seen |= set(b)
    assert totals["price_update_expansion"] > 0 and totals["plan_seat_contraction"] < 0
    for name, value in totals.items():
        assert figures[f"move_{name}"] == pytest.approx(value), name
    churned = sum(
        1
        for before, after in itertools.pairwise(keys)
        for t in by_month[before]
        if t not in by_month[after]
    )
    assert figures["churned_tenants"] == churned


def test_generated_set_by_tier_and_detail_add_up():
    frames = generated_frames()
    filters = Filters(start=date(2025, 11, 1), end=TODAY)
    frame = kit.tenant_months_for(frames["revenue_tenant_months"], frames["tenants"], filters)
    period = kit.month_range(filters, as_of=TODAY)
    figures = revenue_core.revenue_figures(frame, period)
    by_tier = revenue.mrr_by_tier(frame, period)
    last = by_tier[by_tier["month"] == by_tier["month"].max()]
    assert last["mrr_ars"].sum() == pytest.approx(figures["mrr"])
    assert revenue.mrr_by_plan(frame, period)["mrr_ars"].sum() == pytest.approx(figures["mrr"])
    detail = revenue.detail_table(frame, frames["tenants"], period)
    assert detail["mrr_end"].sum() == pytest.approx(figures["mrr"])
    assert detail["change"].sum() == pytest.approx(figures["mrr"] - figures["mrr_start"])
