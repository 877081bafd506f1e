"""Partnerships & Attribution: per-partner numbers against pandas on the raw rows of a
generated set, and the churn comparison against a hand-computed Newcomb interval."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics.snapshots import latest_detail_version, load_snapshot
from dashboards import partnerships as partners
from dashboards.filters import ORGANIC, Filters
from dashboards.financial_operations import DayRange
from tests.dashboards.test_financial_operations import finance_console
from tests.generated_console import TODAY

PERIOD = Filters(start=TODAY - timedelta(days=179), end=TODAY)
FRAMES = ("partners", "partners_tenant_month", "regions_tenant_day")


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    engine = create_engine_for(f"sqlite:///{finance_console(tmp_path_factory)}")
    with Session(engine) as session:
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
    raw = {
        name: pd.read_sql_table(name, engine)
        for name in ("partners", "tenants", "subscriptions", "invoices", "bookings")
    }
    engine.dispose()
    raw["tenants"] = raw["tenants"].rename(columns={"id": "tenant_id"})
    for column in ("signup_date", "churned_on"):
        raw["tenants"][column] = pd.to_datetime(raw["tenants"][column]).dt.date
    return {name: detail.frames[name] for name in FRAMES}, raw


def test_partner_table_matches_pandas(console):
    frames, raw = console
    period = DayRange(PERIOD.start, PERIOD.end)
    tenants = raw["tenants"]
    table = partners.partner_table(
        frames["partners"],
        frames["partners_tenant_month"],
        frames["regions_tenant_day"],
        tenants,
        period,
    ).set_index("partner_id")
    referred = tenants[tenants["partner_id"].notna()]
    assert len(table) == referred["partner_id"].nunique() >= 2
    # MRR at the as-of day: subscription periods open then.
    subs = raw["subscriptions"]
    day = pd.Timestamp(TODAY)
    started, ended = pd.to_datetime(subs["started_on"]), pd.to_datetime(subs["ended_on"])
    open_now = subs[(started <= day) & (ended.isna() | (ended > day))]
    mrr = open_now.groupby("tenant_id")["mrr_ars"].sum()
    # Revenue collected: invoices paid in the months the period touches.
    inv = raw["invoices"]
    paid = pd.to_datetime(inv["paid_on"])
    in_months = inv[(paid >= pd.Timestamp(date(2025, 10, 1))) & (paid <= day)]
    collected = in_months.groupby("tenant_id")["amount_ars"].sum()
    # GMV: completed bookings in the period's days.
    bookings = raw["bookings"]
    start_at = pd.to_datetime(bookings["start_at"])
    done = bookings[
        (bookings["status"] == "completed")
        & (start_at >= pd.Timestamp(period.start))
        & (start_at < pd.Timestamp(period.end) + pd.Timedelta(days=1))
    ]
    gmv = done.groupby("tenant_id")["price_ars"].sum()
    share = raw["partners"].set_index("id")["revenue_share_pct"]
    for partner_id, group in referred.groupby("partner_id"):
        row = table.loc[int(partner_id)]
        ids = group["tenant_id"]
        assert row["tenants"] == len(group)
        assert row["mrr_ars"] == pytest.approx(mrr.reindex(ids).fillna(0).sum())
        assert row["gmv_ars"] == pytest.approx(gmv.reindex(ids).fillna(0).sum())
        assert row["collected_ars"] == pytest.approx(collected.reindex(ids).fillna(0).sum())
        assert row["payout_ars"] == pytest.approx(
            collected.reindex(ids).fillna(0).sum() * share[partner_id] / 100
        )


def test_churn_counts_match_pandas(console):
    _frames, raw = console
    tenants = raw["tenants"]
    period = DayRange(PERIOD.start, PERIOD.end)
    comparison = partners.compare_churn(tenants, period)
    eve = period.start - timedelta(days=1)
    for is_referred, churned, base in (
        (True, comparison.referred_churned, comparison.referred_base),
        (False, comparison.organic_churned, comparison.organic_base),
    ):
        group = tenants[tenants["partner_id"].notna() == is_referred]
        active = group[
            (group["signup_date"] <= eve)
            & (group["churned_on"].isna() | (group["churned_on"] > eve))
        ]
        lost = active["churned_on"].between(period.start, period.end)
        assert (churned, base) == (lost.sum(), len(active))
    assert comparison.referred_base > 0 and comparison.organic_base > 0


def _wilson(count: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _tenants(groups: list[tuple[int | None, int, int]]) -> pd.DataFrame:
    """``(partner_id, churned in March, stayed)`` groups of tenants active since 2025."""
    rows = []
    for partner_id, churned, stayed in groups:
        rows += [(partner_id, date(2026, 3, 15))] * churned + [(partner_id, None)] * stayed
    frame = pd.DataFrame(rows, columns=["partner_id", "churned_on"])
    return frame.assign(tenant_id=range(1, len(frame) + 1), signup_date=date(2025, 1, 1))


def test_churn_comparison_is_newcombs_interval_by_hand():
    tenants = _tenants([(3, 4, 16), (None, 10, 90)])  # 4/20 referred vs 10/100 organic
    comparison = partners.compare_churn(tenants, DayRange(date(2026, 3, 1), date(2026, 3, 31)))
    p1, p2 = 4 / 20, 10 / 100
    (l1, u1), (l2, u2) = _wilson(4, 20), _wilson(10, 100)
    low = p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    assert comparison.difference == pytest.approx(0.10)
    assert comparison.low == pytest.approx(low, abs=1e-9)
    assert comparison.high == pytest.approx(high, abs=1e-9)
    assert comparison.low < 0 < comparison.high  # 20 tenants cannot show a 10-point gap
    assert 0.1 < comparison.p_value < 1
    text = partners.churn_sentence(comparison, locale="en")
    assert "includes zero" in text and "4 of 20" in text


def test_a_large_gap_on_many_tenants_is_flagged():
    tenants = _tenants([(3, 60, 140), (None, 20, 380)])  # 30% vs 5%
    comparison = partners.compare_churn(tenants, DayRange(date(2026, 3, 1), date(2026, 3, 31)))
    assert comparison.low > 0 and comparison.p_value < 0.001
    assert "excludes zero" in partners.churn_sentence(comparison, locale="en")


def test_churn_comparison_without_one_group():
    tenants = _tenants([(None, 1, 5)])
    comparison = partners.compare_churn(tenants, DayRange(date(2026, 3, 1), date(2026, 3, 31)))
    assert comparison.difference is None and comparison.referred_base == 0
    assert "Not enough tenants" in partners.churn_sentence(comparison, locale="en")


def test_view_and_partner_filter(console):
    frames, raw = console
    tenants = raw["tenants"]
    view = partners.build_view(frames, tenants, PERIOD, as_of=TODAY, locale="en")
    assert view.message is None and [t.key for t in view.tiles] == list(partners.TILES)
    first = int(view.partners["partner_id"].iloc[0])
    one = partners.build_view(
        frames, tenants, PERIOD.with_(partners=(first,)), as_of=TODAY, locale="en"
    )
    assert list(one.partners["partner_id"]) == [first]
    organic = partners.build_view(
        frames, tenants, PERIOD.with_(partners=(ORGANIC,)), as_of=TODAY, locale="en"
    )
    assert organic.partners.empty and organic.detail.empty
    assert "Not enough tenants" in organic.churn_text


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=TODAY, end=TODAY - timedelta(days=1)),
        Filters(start=TODAY + timedelta(days=1), end=TODAY + timedelta(days=30)),
        PERIOD.with_(provinces=("Atlántida",)),
    ],
    ids=["empty", "future", "no-tenant"],
)
def test_odd_filters_give_a_message(console, filters):
    frames, raw = console
    view = partners.build_view(frames, raw["tenants"], filters, as_of=TODAY, locale="en")
    assert view.message and view.tiles is None
