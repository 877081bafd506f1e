"""Movements that add up and 12-month retention (issue 13, items 3 and 4).

Hand-made cases computed by hand (a list-price update and a plan change in the same
month; NRR/GRR over 12 months in nominal and constant pesos), and the generated sets
checked against plain pandas on the raw subscription rows and the CPI frame.
"""

from __future__ import annotations

import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics import revenue_figures as revenue_core
from core.metrics.frames.subscriptions import read_subscriptions, tenant_month_mrr
from core.metrics.snapshots import latest_detail_version, latest_version, load_snapshot
from dashboards import churn_retention as churn
from dashboards import kit
from dashboards import revenue_subscriptions as revenue
from dashboards.filters import Filters
from tests.dashboards.test_revenue_subscriptions import (
    generated_frames,
    month_end_mrr,
    price_update_parts,
)
from tests.generated_console import TODAY, generated_console

AS_OF = date(2025, 4, 15)
MARCH = Filters(start=date(2025, 3, 1), end=date(2025, 3, 31))
MARCH_INDEX = 2025 * 12 + 2

# tenant -> [(mrr, started_on, ended_on, reason), ...]
SPLIT = {
    # +1000 in March: +200 list price on the 1st, +800 upgrade on the 15th
    11: [
        (1000, "2025-01-10", "2025-03-01", "new"),
        (1200, "2025-03-01", "2025-03-15", "price_update"),
        (2000, "2025-03-15", None, "upgrade"),
    ],
    # -500 in March: +600 list price, -1100 downgrade (a contraction with a price rise)
    12: [
        (3000, "2025-01-05", "2025-03-01", "new"),
        (3600, "2025-03-01", "2025-03-20", "price_update"),
        (2500, "2025-03-20", None, "downgrade"),
    ],
    13: [(2000, "2025-01-03", "2025-03-01", "new"), (2400, "2025-03-01", None, "price_update")],
    # churns in March after a price update: the whole -2000 is churn
    14: [
        (2000, "2025-01-03", "2025-03-01", "new"),
        (2400, "2025-03-01", "2025-03-20", "price_update"),
    ],
    # a price update on the day of an upgrade is one period, recorded as the upgrade
    15: [(1000, "2025-01-03", "2025-03-01", "new"), (1800, "2025-03-01", None, "upgrade")],
}


def frames_of(periods: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    subscriptions = pd.DataFrame(
        [
            {
                "tenant_id": tenant,
                "plan": "pro",
                "tier": "pro",
                "mrr_ars": float(mrr),
                "started_on": date.fromisoformat(start),
                "ended_on": date.fromisoformat(end) if end else None,
                "change_reason": reason,
            }
            for tenant, rows in periods.items()
            for mrr, start, end, reason in rows
        ]
    )
    first = subscriptions.groupby("tenant_id")["started_on"].min()
    tenants = pd.DataFrame(
        {
            "tenant_id": first.index,
            "trade_name": [f"Tenant {t}" for t in first.index],
            "tier": "pro",
            "vertical": "barbershop",
            "province": "Córdoba",
            "partner_id": None,
            "signup_date": first.to_numpy(),
            "status": "active",
            "churned_on": None,
            "churn_reason": None,
            "mrr_ars": 1.0,
            "bookings_28d": 0,
            "bookings_prev_28d": 0,
        }
    )
    return subscriptions, tenants


def cpi_of(levels: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"month": pd.to_datetime(list(levels)), "index_value": list(levels.values())}
    )


def split_frame(filters: Filters = MARCH, cpi: pd.DataFrame | None = None) -> pd.DataFrame:
    subscriptions, tenants = frames_of(SPLIT)
    months = tenant_month_mrr(subscriptions, AS_OF)
    return kit.tenant_months_for(months, tenants, filters, cpi=cpi)


def march(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["month_index"] == MARCH_INDEX].set_index("tenant_id")


def test_price_update_and_plan_change_in_one_month_are_both_counted():
    rows = march(split_frame())
    assert rows["change_ars"].to_dict() == {11: 1000, 12: -500, 13: 400, 14: -2000, 15: 800}
    assert rows["price_update_ars"].to_dict() == {11: 200, 12: 600, 13: 400, 14: 0, 15: 0}
    assert rows["plan_seat_ars"].to_dict() == {11: 800, 12: -1100, 13: 0, 14: 0, 15: 800}
    assert rows["movement"].to_dict() == {
        11: "expansion",
        12: "contraction",
        13: "expansion",
        14: "churn",
        15: "expansion",
    }


def test_movement_totals_split_and_add_up():
    frame = split_frame()
    period = kit.month_range(MARCH, as_of=AS_OF)
    figures = revenue_core.revenue_figures(frame, period)
    assert figures["mrr_start"] == 9000 and figures["mrr"] == 8700
    # before: only T13's +400 counted as a price update (every period of the month was one)
    assert figures["move_price_update_expansion"] == 200 + 600 + 400
    assert figures["move_plan_seat_expansion"] == 800 + 800
    assert figures["move_expansion"] == 1200 + 1600
    assert figures["move_plan_seat_contraction"] == -1100
    assert figures["move_price_update_contraction"] == 0
    assert figures["move_contraction"] == -1100 and figures["move_churn"] == -2000
    assert figures["quick_ratio"] == pytest.approx(2800 / 3100)
    assert figures["gross_mrr_churn"] == pytest.approx(3100 / 9000)
    steps = [figures[f"move_{s}"] for s in revenue_core.BRIDGE_STEPS]
    assert sum(steps) == figures["mrr"] - figures["mrr_start"] == -300

    waterfall = list(revenue.waterfall_figure(figures, locale="en").data[0].y)
    assert waterfall == [9000, 0, 0, 1200, 1600, -1100, -2000, 8700]
    monthly = revenue.monthly_movements(frame, period)
    assert monthly.loc[0, ["price_update", "plan_seat_expansion", "net"]].tolist() == [
        1200,
        1600,
        -300,
    ]
    _subscriptions, tenants = frames_of(SPLIT)
    detail = revenue.detail_table(frame, tenants, period).set_index("tenant_id")
    parts = detail[list(revenue_core.BRIDGE_STEPS)].sum(axis=1)
    assert parts.to_dict() == detail["change"].to_dict()
    assert detail.loc[12, ["price_update", "plan_seat_contraction"]].tolist() == [600, -1100]


def test_price_note_says_what_it_covers():
    frame = split_frame()
    figures = revenue_core.revenue_figures(frame, kit.month_range(MARCH, as_of=AS_OF))
    note = revenue.price_note(figures, constant=False, locale="en")
    assert "2,800" in note and "1,200" in note  # expansion, of which list-price updates
    assert "also when its plan or seats changed" in note
    assert "inflation" in revenue.price_note(figures, constant=True, locale="en")


def test_constant_ars_price_part_is_net_of_inflation():
    cpi = cpi_of({"2025-01-01": 100.0, "2025-02-01": 100.0, "2025-03-01": 110.0})
    filters = MARCH.with_(constant_ars_month=date(2025, 3, 1))
    frame = split_frame(filters, cpi)
    rows = march(frame)
    # February in March pesos is x1.1; plan/seat changes are March amounts (factor 1)
    assert rows["change_ars"].to_dict() == pytest.approx(
        {11: 900, 12: -800, 13: 200, 14: -2200, 15: 700}
    )
    assert rows["plan_seat_ars"].to_dict() == pytest.approx(
        {11: 800, 12: -1100, 13: 0, 14: 0, 15: 800}
    )
    # the list-price update minus the erosion of February's MRR (10 %)
    assert rows["price_update_ars"].to_dict() == pytest.approx(
        {11: 200 - 100, 12: 600 - 300, 13: 400 - 200, 14: 0, 15: -100}
    )
    figures = revenue_core.revenue_figures(frame, kit.month_range(filters, as_of=AS_OF))
    assert figures["move_price_update_expansion"] == pytest.approx(600)
    assert figures["move_price_update_contraction"] == pytest.approx(-100)
    steps = sum(figures[f"move_{s}"] for s in revenue_core.BRIDGE_STEPS)
    assert steps == pytest.approx(8700 - 9900)


def test_a_frame_stored_before_the_split_reads_as_plan_seat():
    subscriptions, tenants = frames_of(SPLIT)
    old = tenant_month_mrr(subscriptions, AS_OF).drop(columns=["price_update_ars", "plan_seat_ars"])
    frame = kit.tenant_months_for(old, tenants, MARCH)
    rows = march(frame)
    assert rows["price_update_ars"].eq(0).all()
    assert rows["plan_seat_ars"].to_dict() == {11: 1000, 12: -500, 13: 400, 14: 0, 15: 800}


# ------------------------------------------------------------------ 12-month retention
RETAIN = {
    1: [
        (1000, "2025-01-01", "2025-07-01", "new"),
        (1300, "2025-07-01", "2026-01-01", "price_update"),
        (1600, "2026-01-01", None, "price_update"),
    ],
    2: [(2000, "2024-12-01", "2025-05-01", "new"), (1500, "2025-05-01", None, "downgrade")],
    3: [(1000, "2025-01-01", "2025-09-01", "new")],
    4: [(500, "2025-06-01", None, "new")],  # not paying in February 2025: not in the base
}
RETAIN_AS_OF = date(2026, 2, 10)
RETAIN_CPI = cpi_of({"2025-02-01": 100.0, "2026-02-01": 150.0})


def retention_view(filters: Filters, cpi: pd.DataFrame | None):
    subscriptions, tenants = frames_of(RETAIN)
    months = tenant_month_mrr(subscriptions, RETAIN_AS_OF)
    return revenue.build_view(months, tenants, filters, as_of=RETAIN_AS_OF, locale="en", cpi=cpi)


def test_retention_is_twelve_months_whatever_the_range_and_the_currency():
    subscriptions, tenants = frames_of(RETAIN)
    months = tenant_month_mrr(subscriptions, RETAIN_AS_OF)
    frame = kit.tenant_months_for(months, tenants, Filters())
    figures = revenue_core.retention_figures(frame, 2026 * 12 + 1, cpi=RETAIN_CPI)
    assert figures["nrr"] == pytest.approx((1600 + 1500) / 4000)
    assert figures["grr"] == pytest.approx((1000 + 1500) / 4000)
    # February 2025 in February 2026 pesos is x1.5: 1500 + 3000 + 1500
    assert figures["nrr_constant"] == pytest.approx((1600 + 1500) / 6000)
    assert figures["grr_constant"] == pytest.approx((1500 + 1500) / 6000)

    expected = [f"{v:.1%}" for v in (3100 / 4000, 3100 / 6000, 2500 / 4000, 3000 / 6000)]
    shown = {}
    for filters in (
        Filters(start=date(2025, 9, 1), end=date(2026, 2, 28)),  # six months
        Filters(start=date(2026, 2, 1), end=date(2026, 2, 28)),  # one month
        Filters(constant_ars_month=date(2025, 6, 1)),  # in constant pesos of June 2025
    ):
        view = retention_view(filters, RETAIN_CPI)
        shown[filters] = [tile.value for tile in view.retention]
        assert [tile.label for tile in view.retention] == [
            "NRR (12 m)",
            "NRR (12 m, constant ARS)",
            "GRR (12 m)",
            "GRR (12 m, constant ARS)",
        ]
        assert shown[filters] == expected
        assert "the 3 tenants paying in 02/2025" in view.retention_note
    no_cpi = retention_view(Filters(), None)
    assert [t.value for t in no_cpi.retention][::2] == expected[::2]
    assert no_cpi.retention[1].value == "—" and "No CPI" in no_cpi.retention[1].help


RETENTION_FRAMES = ("revenue_tenant_months", "cpi_monthly", "churn_tenant_reasons")


@lru_cache(maxsize=1)
def long_frames() -> dict[str, pd.DataFrame]:
    """A generated console with 15 months of history, so 12-month retention exists.

    Only the detail frames the retention test reads are computed: the bookings, finance
    and forecast providers were about half of this test's time and nothing it looks at.
    """
    url = generated_console(
        Path(tempfile.mkdtemp(prefix="retention_")) / "c.db",
        months=15,
        frames=RETENTION_FRAMES,
    )
    engine = create_engine_for(url)
    with Session(engine) as session:
        snapshot = load_snapshot(session=session, version=latest_version(session=session))
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
        frames = {
            "subscriptions": read_subscriptions(session=session),
            "tenants": snapshot.frames["tenants"],
            **detail.frames,
        }
    engine.dispose()
    return frames


@pytest.mark.slow  # its own 15-month console (about a minute on 2 cores)
def test_generated_retention_tiles_match_raw_rows():
    frames = long_frames()
    subscriptions, cpi = frames["subscriptions"], frames["cpi_monthly"]
    start = month_end_mrr(subscriptions, TODAY.year - 1, TODAY.month, TODAY)
    end = month_end_mrr(subscriptions, TODAY.year, TODAY.month, TODAY)
    assert len(start) >= 10
    # constant pesos by hand: each month's level is its CPI row (or the last one before)
    levels = cpi.set_index(pd.to_datetime(cpi["month"]).dt.to_period("M"))["index_value"]
    levels = levels.sort_index()

    def level(year: int, month: int) -> float:
        return float(levels[levels.index <= pd.Period(year=year, month=month, freq="M")].iloc[-1])

    then, now = level(TODAY.year - 1, TODAY.month), level(TODAY.year, TODAY.month)
    assert now > then  # the CPI rose: constant figures are lower
    base = sum(start.values())
    kept = {t: end.get(t, 0.0) for t in start}
    expected = {
        "nrr": sum(kept.values()) / base,
        "grr": sum(min(kept[t], v) for t, v in start.items()) / base,
        "nrr_constant": sum(kept.values()) / now / (base / then),
        "grr_constant": sum(min(kept[t] / now, v / then) for t, v in start.items()) / (base / then),
    }
    filters = Filters(start=date(2025, 12, 1), end=TODAY)
    view = revenue.build_view(
        frames["revenue_tenant_months"],
        frames["tenants"],
        filters,
        as_of=TODAY,
        locale="en",
        cpi=cpi,
    )
    shown = {tile.key: tile.value for tile in view.retention}
    assert shown == {k: kit.format_value("ratio", v, locale="en") for k, v in expected.items()}
    frame = kit.tenant_months_for(frames["revenue_tenant_months"], frames["tenants"], filters)
    figures = revenue_core.retention_figures(frame, kit.month_number(TODAY), cpi=cpi)
    for key, value in expected.items():
        assert figures[key] == pytest.approx(value), key
    # the Churn & Retention page shows the same tiles
    empty = pd.DataFrame(columns=["tenant_id", "probability"])
    reasons = frames["churn_tenant_reasons"]
    churn_view = churn.build_view(
        frames["revenue_tenant_months"],
        frames["tenants"],
        reasons,
        empty,
        filters,
        as_of=TODAY,
        locale="en",
        cpi=cpi,
    )
    assert {tile.key: tile.value for tile in churn_view.retention} == shown


# ----------------------------------------------------- generated set, tenant-month parts
def test_generated_parts_match_raw_rows_and_add_up():
    frames = generated_frames()
    subscriptions, tenants = frames["subscriptions"], frames["tenants"]
    months = frames["revenue_tenant_months"]
    # every row: the parts of a continuing tenant add up to its change; others have none
    paying_before = months["mrr_ars"] - months["change_ars"] > 0
    continuing = (months["mrr_ars"] > 0) & paying_before
    parts = months["price_update_ars"] + months["plan_seat_ars"]
    assert np.allclose(parts[continuing], months.loc[continuing, "change_ars"])
    assert (parts[~continuing] == 0).all()
    # the price-update part of each continuing tenant-month, from raw rows
    checked = 0
    for month, rows in months[continuing].groupby("month"):
        stamp = pd.Timestamp(month)
        raw = price_update_parts(subscriptions, stamp.year, stamp.month, TODAY)
        got = rows.set_index("tenant_id")["price_update_ars"]
        assert got.to_dict() == pytest.approx({t: raw.get(t, 0.0) for t in got.index}), stamp
        checked += sum(1 for v in raw.values() if v)
    assert checked > 0
    # over a period: start MRR + the bridge's steps = end MRR
    filters = Filters(start=date(2025, 10, 1), end=TODAY)
    frame = kit.tenant_months_for(months, tenants, filters)
    period = kit.month_range(filters, as_of=TODAY)
    figures = revenue_core.revenue_figures(frame, period)
    steps = sum(figures[f"move_{s}"] for s in revenue_core.BRIDGE_STEPS)
    assert figures["mrr_start"] + steps == pytest.approx(figures["mrr"])
    monthly = revenue.monthly_movements(frame, period)
    assert monthly["net"].sum() == pytest.approx(figures["mrr"] - figures["mrr_start"])
