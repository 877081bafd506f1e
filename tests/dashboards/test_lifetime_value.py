"""Lifetime Value: segments and revenue by age against raw rows of the generated set."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.metrics.frames.subscriptions import month_index
from core.models.tenant_ltv import GROSS_MARGIN, last_complete_month
from dashboards import kit
from dashboards import lifetime_value as ltv
from dashboards.filters import Filters
from tests.dashboards.test_revenue_subscriptions import generated_frames, month_end_mrr
from tests.generated_console import TODAY


def test_generated_segments_arpa_and_ltv_match_raw_rows():
    frames = generated_frames()
    segments = frames["ltv_segments"]
    current = segments[segments["estimated_at"] == segments["estimated_at"].max()]
    last = pd.Timestamp(current["estimated_at"].iloc[0])
    assert last == (pd.Timestamp(TODAY) - pd.offsets.MonthBegin(2))  # last complete month
    mrr = month_end_mrr(frames["subscriptions"], last.year, last.month, TODAY)
    tier = frames["raw_tenants"].set_index("tenant_id")["tier"]
    overall = current[(current["tier"] == "all") & (current["cohort"] == "all")].iloc[0]
    assert overall["paying"] == len(mrr)
    assert overall["arpa_ars"] == pytest.approx(np.mean(list(mrr.values())))
    for name, row in current[current["cohort"] == "all"].set_index("tier").iterrows():
        if name == "all":
            continue
        values = [v for t, v in mrr.items() if tier[t] == name]
        assert row["paying"] == len(values)
        if values:
            assert row["arpa_ars"] == pytest.approx(np.mean(values))
    fitted = current.dropna(subset=["ltv_ars"])
    assert np.allclose(
        fitted["ltv_ars"], fitted["arpa_ars"] * GROSS_MARGIN * fitted["lifetime_months"]
    )


def test_generated_revenue_by_age_matches_raw_rows():
    frames = generated_frames()
    tenants = frames["tenants"]
    filters = Filters()
    frame = kit.tenant_months_for(frames["revenue_tenant_months"], tenants, filters)
    last = last_complete_month(TODAY)
    table = ltv.revenue_by_age(frame, tenants, last_month=last)
    subscriptions = frames["subscriptions"]
    signup = dict(zip(tenants["tenant_id"], month_index(tenants["signup_date"]), strict=True))
    row = table.iloc[0]  # first tier, age 0: every tenant's MRR at the end of its signup month
    members = tenants[tenants["tier"] == row["tier"]]
    paid = []
    for tenant in members["tenant_id"]:
        index = signup[tenant]
        if index <= last:
            value = month_end_mrr(subscriptions, index // 12, index % 12 + 1, TODAY).get(tenant)
            if value:
                paid.append(value)
    assert row["age"] == 0
    assert row["mean_mrr"] == pytest.approx(np.mean(paid))


def test_narrowed_filters_refit_and_messages():
    frames = generated_frames()
    tenants = frames["tenants"]
    tier = tenants["tier"].iloc[0]
    view = ltv.build_view(
        frames["ltv_segments"],
        frames["revenue_tenant_months"],
        tenants,
        Filters(tiers=(tier,)),
        as_of=TODAY,
        locale="en",
    )
    assert view.message is None and len(view.tiles) == 4
    assert set(view.detail["tier"]) <= {"all", tier}
    future = ltv.build_view(
        frames["ltv_segments"],
        frames["revenue_tenant_months"],
        tenants,
        Filters(start=date(2030, 1, 1), end=date(2030, 2, 1)),
        as_of=TODAY,
        locale="en",
    )
    assert future.message and "future" in future.message
