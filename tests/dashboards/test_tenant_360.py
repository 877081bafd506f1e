"""Tenant 360 builders: profile lines, signal tiles, weekly trend with constant ARS."""

from datetime import date, datetime

import pandas as pd
import pytest

from dashboards import tenant_360 as t360
from dashboards.filters import Filters

SIGNALS = {
    "bookings_28d": 120.0,
    "bookings_prev_28d": 100.0,
    "bookings_window": (date(2026, 2, 9), date(2026, 3, 8)),
    "usage_change": 0.2,
    "logins_30d": 14.0,
    "failed_invoices_90d": 1.0,
    "open_tickets": 2.0,
    "last_nps": 9.0,
    "last_nps_at": datetime(2026, 3, 1),
}
DAILY = pd.DataFrame(
    {
        "day": [date(2026, 2, 27), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 9)],
        "bookings": [5, 3, 2, 4],
        "completed": [4, 3, 2, 3],
        "no_show": [1, 0, 0, 1],
        "gmv_ars": [1000.0, 600.0, 400.0, 800.0],
        "payments_approved_ars": [900.0, 600.0, 400.0, 800.0],
        "payments_failed": [0, 1, 0, 0],
    }
)
CPI = pd.DataFrame(
    {"month": pd.to_datetime(["2026-02-01", "2026-03-01"]), "index_value": [100.0, 110.0]}
)


def test_profile_lines_skip_empty_fields_and_format():
    lines = dict(
        t360.profile_lines(
            {"trade_name": "Barbería X", "mrr_ars": 25000, "signup_date": date(2025, 1, 2),
             "churned_on": None, "tier": "pro"},
            locale="en",
        )
    )  # fmt: skip
    assert lines == {
        "Trade name": "Barbería X",
        "Tier": "pro",
        "MRR": "ARS 25,000",
        "Signed up": "2025-01-02",
    }


def test_tiles_without_models_show_the_raw_signals():
    tiles = t360.signal_tiles(SIGNALS, pd.DataFrame(columns=["score"]), None, locale="en")
    assert [t.label for t in tiles] == [
        "Bookings (28 d)",
        "Admin logins (30 d)",
        "Failed invoices (90 d)",
        "Open tickets",
        "Last NPS answer",
    ]
    assert tiles[0].value == "120" and tiles[0].delta == "+20.0%"
    assert all(t.help for t in tiles)
    # the window and the one before, by their dates, as on every other page
    assert "2026-02-09–2026-03-08: 120 · 2026-01-12–2026-02-08: 100" in tiles[0].help


def test_tiles_with_health_and_churn():
    health = pd.DataFrame(
        {"day": [date(2026, 3, 1)], "score": [72.4], "band": ["green"], "delta_7d": [5.0],
         "missing": [["sentiment"]]}
    )  # fmt: skip
    churn = {
        "probability": 0.25,
        "scored_at": datetime(2026, 3, 1),
        "model_version": 2,
        "drivers": [],
    }
    tiles = t360.signal_tiles(SIGNALS, health, churn, locale="en")
    assert (tiles[0].label, tiles[0].value, tiles[0].delta) == ("Health score", "72 · green", "+5")
    assert "sentiment" in tiles[0].help
    assert (tiles[1].value, tiles[1].delta_color) == ("25.0%", "inverse")


def test_weekly_totals_and_constant_ars():
    filters = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    weeks = t360.weekly(DAILY, filters, cpi=CPI)
    assert weeks["bookings"].tolist() == [5, 4]  # 27/02 is outside the period
    assert weeks["gmv_ars"].tolist() == pytest.approx([1000.0, 800.0])
    february = Filters(
        start=date(2026, 2, 1), end=date(2026, 3, 31), constant_ars_month=date(2026, 2, 1)
    )
    constant = t360.weekly(DAILY, february, cpi=CPI)
    # Week of 23/02: February pesos stay; March pesos are divided by 1.1.
    assert constant["gmv_ars"].tolist() == pytest.approx([1000.0, 1000 / 1.1, 800 / 1.1])


def test_charts_never_empty():
    empty = t360.weekly(DAILY, Filters(start=date(2027, 1, 1), end=date(2027, 1, 31)), cpi=None)
    assert empty.empty
    figure = t360.trend_figure(empty, locale="en", money_label="GMV")
    assert figure.layout.annotations[0].text == "No bookings in this period"
    health = t360.health_figure(pd.DataFrame(columns=["score"]), locale="en")
    assert "No health score" in health.layout.annotations[0].text
