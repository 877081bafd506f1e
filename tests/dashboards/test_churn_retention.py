"""Churn & Retention: the hand-made case by hand, the generated set against raw rows."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.metrics.frames.subscriptions import month_index, tenant_month_mrr
from dashboards import churn_retention as churn
from dashboards import kit
from dashboards.filters import Filters
from tests.dashboards.test_revenue_subscriptions import (
    AS_OF,
    MARCH,
    generated_frames,
    hand_frames,
    month_end_mrr,
    price_update_parts,
)
from tests.generated_console import TODAY

NO_SCORES = pd.DataFrame(columns=["tenant_id", "probability"])


def hand_view(filters=MARCH, scores=NO_SCORES):
    subscriptions, tenants = hand_frames()
    months = tenant_month_mrr(subscriptions, AS_OF)
    reasons = tenants[["tenant_id", "status", "churned_on", "churn_reason"]]
    return churn.build_view(months, tenants, reasons, scores, filters, as_of=AS_OF, locale="en")


def test_hand_case_tiles_and_churned_tenants():
    view = hand_view()
    values = {tile.key: tile.value for tile in view.tiles}
    assert values["paying_logo_churn"] == "25.0%"  # T3 of T1..T4 paying at the end of February
    assert values["gross_mrr_churn"] == "33.3%"  # (2000 + 500) / 7500
    assert values["churned_tenants"] == "1"
    assert view.churned["tenant_id"].tolist() == [3]
    assert view.churned["mrr_lost"].tolist() == [2000.0]
    assert view.churned["reason"].tolist() == ["Price"]


def test_a_tenant_that_came_back_is_a_churn_with_that_reason():
    view = hand_view(Filters(start=date(2025, 2, 1), end=date(2025, 2, 28)))
    assert view.churned["tenant_id"].tolist() == [6]
    assert view.churned["reason_code"].tolist() == ["reactivated"]


def test_mrr_at_risk_from_scores_or_falling_bookings():
    _subs, tenants = hand_frames()
    tenants = tenants.assign(
        mrr_ars=[1200.0, 5000.0, 0.0, 1000.0, 800.0, 2600.0],
        bookings_prev_28d=[40, 40, 0, 5, 40, 40],
        bookings_28d=[10, 39, 0, 0, 40, 40],
    )
    at_risk, caption = churn.mrr_at_risk(tenants, NO_SCORES, MARCH, locale="en")
    assert at_risk["tenant_id"].tolist() == [1] and "bookings" in caption  # T4 base too small
    scores = pd.DataFrame({"tenant_id": [2, 5, 3], "probability": [0.6, 0.1, 0.9]})
    at_risk, caption = churn.mrr_at_risk(tenants, scores, MARCH, locale="en")
    assert at_risk["tenant_id"].tolist() == [2] and "model" in caption  # T3 is not paying


def test_hand_case_logo_retention():
    view = hand_view(Filters(start=date(2025, 1, 1), end=date(2025, 3, 31)))
    heatmap = view.logo_heatmap.data[0]
    january = list(heatmap.z[0])  # T1, T2, T4 all still paying in March
    assert january[:3] == [1.0, 1.0, 1.0]
    february = list(heatmap.z[1])  # T3 signed up in February and churned in March
    assert february[:2] == [1.0, 0.0]


def test_future_range_and_empty_province_show_a_message():
    future = hand_view(Filters(start=date(2026, 1, 1), end=date(2026, 2, 1)))
    assert future.message and "future" in future.message
    assert hand_view(MARCH.with_(provinces=("Chubut",))).message.startswith("No tenant")


def test_generated_set_monthly_churn_matches_raw_rows():
    frames = generated_frames()
    filters = Filters(start=date(2025, 10, 1), end=TODAY)
    frame = kit.tenant_months_for(frames["revenue_tenant_months"], frames["tenants"], filters)
    period = kit.month_range(filters, as_of=TODAY)
    monthly = churn.monthly_churn(frame, period)
    subscriptions = frames["subscriptions"]
    for row in monthly.itertuples():
        month = pd.Timestamp(row.month)
        before = month - pd.offsets.MonthBegin(1)
        start = month_end_mrr(subscriptions, before.year, before.month, TODAY)
        end = month_end_mrr(subscriptions, month.year, month.month, TODAY)
        gone = [t for t in start if t not in end]
        assert row.paying_start == len(start)
        assert row.churned == len(gone)
        if start:
            assert row.paying_logo_churn == pytest.approx(len(gone) / len(start))
            # churned MRR, and the falls of the price-update part and of the rest
            prices = price_update_parts(subscriptions, month.year, month.month, TODAY)
            lost = sum(start[t] for t in gone)
            for t in set(start) & set(end):
                price = prices.get(t, 0.0)
                lost -= min(price, 0.0) + min(end[t] - start[t] - price, 0.0)
            assert row.gross_mrr_churn == pytest.approx(lost / sum(start.values()))
    reasons = frames["churn_tenant_reasons"]
    churned = churn.churned_tenants(frame, frames["tenants"], reasons, period, locale="en")
    assert len(churned) == monthly["churned"].sum()
    stayed_churned = churned[churned["reason_code"] != "reactivated"]
    raw = frames["raw_tenants"].set_index("tenant_id")
    for row in stayed_churned.itertuples():
        if row.reason_code != "unknown":
            assert raw.loc[row.tenant_id, "churn_reason"] == row.reason_code
            assert (
                month_index(pd.Series([raw.loc[row.tenant_id, "churned_on"]]))[0]
                == month_index(pd.Series([row.month]))[0]
            )
