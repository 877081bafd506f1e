"""Operational Efficiency: staff capacity and weekly measures by hand and against pandas
on the generated console's raw rows; the builder's rates against the same numbers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from core.db import create_engine_for
from core.metrics.frames import efficiency as provider
from dashboards import bookings_demand as demand
from dashboards import operational_efficiency as efficiency
from dashboards.filters import Filters
from tests.dashboards.test_bookings_demand import copy_database, stored
from tests.dashboards.test_revenue_subscriptions import generated_url
from tests.generated_console import TODAY

PERIOD = Filters(start=date(2026, 1, 5), end=TODAY)


def test_available_minutes_by_hand():
    staff = pd.DataFrame(
        {
            "tenant_id": [1, 1, 2],
            "hired_on": [date(2026, 1, 1), date(2026, 1, 3), date(2025, 6, 1)],
            "weekly_minutes": [2100, 700, 1400],  # 300, 100 and 200 minutes a day
        }
    )
    tenants = pd.DataFrame(
        {
            "tenant_id": [1, 2],
            "signup_date": [date(2025, 12, 1), date(2025, 1, 1)],
            "churned_on": [None, date(2026, 1, 4)],  # tenant 2 is gone from the 4th
        }
    )
    out = provider.available_minutes(staff, tenants, date(2026, 1, 1), date(2026, 1, 5))
    got = {(r.tenant_id, r.day.day): r.available_minutes for r in out.itertuples()}
    assert got == {
        (1, 1): 300.0,
        (1, 2): 300.0,
        (1, 3): 400.0,
        (1, 4): 400.0,
        (1, 5): 400.0,
        (2, 1): 200.0,
        (2, 2): 200.0,
        (2, 3): 200.0,
    }


def test_available_minutes_follow_stored_working_hours():
    """Stored shifts count on their weekday only; staff without stored hours keep the
    documented fallback (weekly_minutes / 7 a day); hours of staff not listed are ignored."""
    staff = pd.DataFrame(
        {
            "staff_id": [10, 11, 12],
            "tenant_id": [1, 1, 2],
            "hired_on": [date(2025, 1, 1), date(2026, 1, 7), date(2025, 1, 1)],
            "weekly_minutes": [1170, 1400, 600],
        }
    )
    hours = pd.DataFrame(
        {
            "staff_id": [10, 10, 10, 10, 12, 99],
            "weekday": [0, 2, 2, 5, 1, 0],
            "starts": ["09:00", "09:00", "14:00", "10:00", "10:00", "09:00"],
            "ends": ["13:00", "12:00", "18:00", "18:30", "20:00", "18:00"],
        }
    )
    tenants = pd.DataFrame(
        {
            "tenant_id": [1, 2],
            "signup_date": [date(2025, 1, 1), date(2025, 1, 1)],
            "churned_on": [None, date(2026, 1, 10)],
        }
    )
    # Monday 5 to Sunday 11 January 2026.
    out = provider.available_minutes(staff, tenants, date(2026, 1, 5), date(2026, 1, 11), hours)
    got = {(r.tenant_id, r.day.day): r.available_minutes for r in out.itertuples()}
    assert got == {
        (1, 5): 240.0,  # Monday 09-13
        (1, 7): 180.0 + 240.0 + 200.0,  # Wednesday's split shift, and 11 is hired
        (1, 8): 200.0,
        (1, 9): 200.0,
        (1, 10): 510.0 + 200.0,  # Saturday 10-18:30
        (1, 11): 200.0,
        (2, 6): 600.0,  # Tuesday 10-20; nothing after the churn on the 10th
    }
    # Without stored hours the same staff fall back to an even spread.
    even = provider.available_minutes(staff, tenants, date(2026, 1, 5), date(2026, 1, 11))
    assert even.loc[even["tenant_id"] == 1, "available_minutes"].sum() == 1170 + 5 * 200


def test_weekly_frame_matches_raw_rows():
    frames = stored()
    weekly = frames["efficiency_tenant_week"]
    assert weekly["week"].dt.day_of_week.eq(0).all()
    raw = frames["raw"]
    raw = raw[raw["day"] >= weekly["week"].min()]
    raw = raw.assign(week=raw["day"] - pd.to_timedelta(raw["day"].dt.day_of_week, unit="D"))
    expected = raw.groupby(["tenant_id", "week"]).agg(
        bookings=("status", "size"),
        booked_minutes=(
            "duration_min",
            lambda d: int(d[raw.loc[d.index, "status"] != "cancelled"].sum()),
        ),
        no_show=("status", lambda s: int((s == "no_show").sum())),
    )
    got = weekly.set_index(["tenant_id", "week"])
    got = got[got["bookings"] > 0]
    for column in expected.columns:
        assert got[column].sort_index().astype(int).equals(expected[column].sort_index()), column

    # capacity, independently: a loop over staff and days of one tenant
    engine = create_engine_for(generated_url())
    with engine.connect() as connection:
        staff = pd.read_sql(
            text("SELECT id, tenant_id, hired_on, weekly_minutes FROM staff WHERE active"),
            connection,
        )
        shifts = pd.read_sql(
            text("SELECT staff_id, weekday, starts, ends FROM staff_working_hours"), connection
        )
        tenant = pd.read_sql(
            text("SELECT id, signup_date, churned_on FROM tenants WHERE id = 3"), connection
        ).iloc[0]
    engine.dispose()
    mine = staff[staff["tenant_id"] == 3]
    week = weekly["week"].max() - pd.Timedelta(weeks=2)
    total = 0.0
    for offset in range(7):
        day = (week + pd.Timedelta(days=offset)).date()
        live = pd.Timestamp(tenant["signup_date"]).date() <= day and (
            tenant["churned_on"] is None or day < pd.Timestamp(tenant["churned_on"]).date()
        )
        if not live:
            continue
        for person in mine.itertuples():
            if pd.Timestamp(person.hired_on).date() > day:
                continue
            own = shifts[shifts["staff_id"] == person.id]
            if own.empty:  # no stored hours: the even spread
                total += person.weekly_minutes / 7
            for shift in own[own["weekday"] == day.weekday()].itertuples():
                h0, m0 = map(int, shift.starts.split(":"))
                h1, m1 = map(int, shift.ends.split(":"))
                total += (h1 * 60 + m1) - (h0 * 60 + m0)
    assert not shifts.empty
    row = weekly[(weekly["tenant_id"] == 3) & (weekly["week"] == week)]
    assert float(row["available_minutes"].iloc[0]) == pytest.approx(total, abs=0.1)


def test_builder_rates_match_raw_rows():
    frames = stored()
    tenants = frames["tenants"]
    filters = PERIOD.with_(verticals=("salon", "barbershop"))
    ids = set(tenants.loc[tenants["vertical"].isin(filters.verticals), "tenant_id"])
    view = efficiency.build_view(frames, tenants, filters, as_of=TODAY, locale="en")
    assert view.message is None
    weekly = frames["efficiency_tenant_week"]
    weeks = weekly[
        weekly["tenant_id"].isin(ids)
        & (weekly["week"] >= pd.Timestamp(PERIOD.start))
        & (weekly["week"] <= pd.Timestamp(TODAY))
    ]
    first_week = weeks["week"].min()
    raw = frames["raw"]
    raw = raw[raw["tenant_id"].isin(ids) & (raw["day"] >= first_week)]
    held = raw[raw["status"] != "cancelled"]["duration_min"].sum()
    utilization = held / weeks["available_minutes"].sum()
    # no-shows and cancellations: the period's days (5 January to today), not its weeks
    days = raw[raw["day"] <= pd.Timestamp(TODAY)]
    decided = days["status"].isin(["completed", "no_show"]).sum()
    no_show = (days["status"] == "no_show").sum() / decided
    cancelled = (days["status"] == "cancelled").sum() / len(days)
    per_hour = raw["gmv_ars"].sum() / (weeks["available_minutes"].sum() / 60)
    tiles = {tile.key: tile for tile in view.tiles}
    assert tiles["utilization"].value == f"{utilization * 100:.1f}%"
    assert tiles["no_show_rate"].value == f"{no_show * 100:.1f}%"
    assert tiles["cancellation_rate"].value == f"{cancelled * 100:.1f}%"
    detail = view.detail
    assert detail["bookings"].sum() == len(days)
    assert detail["gmv_ars"].sum() / detail["staff_hours"].sum() == pytest.approx(per_hour)

    rebook = frames["bookings_rebooking_monthly"]
    months = pd.period_range(PERIOD.start, TODAY, freq="M").to_timestamp()
    rebook = rebook[rebook["tenant_id"].isin(ids) & rebook["month"].isin(months)]
    rate = rebook["rebooked"].sum() / rebook["eligible"].sum()
    assert tiles["rebooking_rate"].value == f"{rate * 100:.1f}%"

    # best and worst: ranked by utilization, enough appointments, no overlap
    best, worst = view.best, view.worst
    assert (best["bookings"] >= efficiency.MIN_APPOINTMENTS).all()
    assert list(best["utilization"]) == sorted(best["utilization"], reverse=True)
    assert (
        best["utilization"].iloc[0]
        == detail.loc[detail["bookings"] >= efficiency.MIN_APPOINTMENTS, "utilization"].max()
    )
    assert worst["utilization"].iloc[0] <= best["utilization"].iloc[-1]


def test_no_shows_and_cancellations_cover_the_days_of_the_period():
    """January to March does not fall on whole weeks (the weeks starting in it run to 5
    April): the no-show and cancellation rates, their previous period, the per-tenant
    table and the tier bars still count exactly the appointments starting in the period,
    and the cancellation tile is the one Bookings & Demand shows."""
    frames = stored()
    tenants = frames["tenants"]
    filters = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31))
    view = efficiency.build_view(frames, tenants, filters, as_of=TODAY, locale="en")
    bookings = demand.build_view(frames, tenants, filters, as_of=TODAY, locale="en")
    raw = frames["raw"]

    def rates(start: date, end: date) -> tuple[float, float]:
        rows = raw[(raw["day"] >= pd.Timestamp(start)) & (raw["day"] <= pd.Timestamp(end))]
        status = rows["status"]
        no_show = (status == "no_show").sum() / status.isin(["completed", "no_show"]).sum()
        return no_show, (status == "cancelled").sum() / len(rows)

    now, before = rates(filters.start, filters.end), rates(date(2025, 10, 3), date(2025, 12, 31))
    weeks = rates(date(2026, 1, 5), date(2026, 4, 5))
    assert round(weeks[1] * 100, 1) != round(now[1] * 100, 1)  # the old reading shows
    tiles = {tile.key: tile for tile in view.tiles}
    for key, value, previous in zip(
        ("no_show_rate", "cancellation_rate"), now, before, strict=True
    ):
        assert tiles[key].value == f"{value * 100:.1f}%", key
        assert f"{value * 100:.1f}%" in tiles[key].help and f"{previous * 100:.1f}%" in (
            tiles[key].help
        ), key
        assert "2026-01-01–2026-03-31" in tiles[key].help, key  # the days, not the weeks
    shown = {tile.key: tile for tile in bookings.tiles}["cancellation_rate"]
    assert (tiles["cancellation_rate"].value, tiles["cancellation_rate"].delta) == (
        shown.value,
        shown.delta,
    )
    assert tiles["cancellation_rate"].help == shown.help

    detail = view.detail.set_index("tenant_id")
    period = raw[(raw["day"] >= pd.Timestamp(filters.start)) & (raw["day"] <= "2026-03-31")]
    per_tenant = period.groupby("tenant_id")["status"]
    expected = per_tenant.apply(lambda s: (s == "cancelled").mean())
    pd.testing.assert_series_equal(
        detail.loc[expected.index, "cancellation_rate"], expected, check_names=False
    )
    assert detail["bookings"].sum() == len(period)
    tiers = {trace.name: trace for trace in view.by_tier.data}["No-show rate"]
    tier_of = tenants.set_index("tenant_id")["tier"]
    by_tier = period.assign(tier=period["tenant_id"].map(tier_of)).groupby("tier")["status"]
    expected_tiers = by_tier.apply(
        lambda s: (s == "no_show").sum() / s.isin(["completed", "no_show"]).sum()
    )
    for tier, value in zip(tiers.customdata, tiers.y, strict=True):
        assert value == pytest.approx(expected_tiers[tier[0]]), tier


def test_tiers_and_verticals_add_up():
    frames = stored()
    view = efficiency.build_view(frames, frames["tenants"], PERIOD, as_of=TODAY, locale="en")
    tiers = {trace.name: list(trace.y) for trace in view.by_tier.data}
    assert set(tiers) == {"Utilization", "No-show rate", "Cancellation rate", "Rebooking rate"}
    assert all(0 <= v <= 1.5 for values in tiers.values() for v in values if not np.isnan(v))
    retention = {trace.name: sum(trace.y) for trace in view.retention.data}
    clients = frames["bookings_clients_monthly"]
    months = pd.period_range(PERIOD.start, TODAY, freq="M").to_timestamp()
    clients = clients[clients["month"].isin(months)]
    assert retention["New"] == clients["new_clients"].sum()
    assert retention["Returning"] == clients["clients"].sum() - clients["new_clients"].sum()


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=date(2030, 1, 1), end=date(2030, 3, 1)),
        Filters(start=date(2026, 3, 1), end=date(2026, 1, 1)),
        Filters(partners=(99_999,)),
        Filters(start=date(2019, 1, 1), end=date(2019, 2, 1)),
    ],
)
def test_odd_filters_give_one_message(filters):
    frames = stored()
    view = efficiency.build_view(frames, frames["tenants"], filters, as_of=TODAY, locale="en")
    assert view.message and not view.tiles


def test_reused_weeks_equal_a_recomputation(tmp_path, monkeypatch):
    from sqlalchemy.orm import Session

    path = tmp_path / "copy.db"
    copy_database(generated_url(), path)
    engine = create_engine_for(f"sqlite:///{path}")
    with Session(engine) as session:
        incremental = provider.compute_efficiency_frames(session, TODAY)
    monkeypatch.setattr(provider, "previous_detail_frames", lambda session, names: {})
    with Session(engine) as session:
        scratch = provider.compute_efficiency_frames(session, TODAY)
    engine.dispose()
    pd.testing.assert_frame_equal(
        incremental[provider.WEEK_FRAME], scratch[provider.WEEK_FRAME], check_dtype=False
    )
    pd.testing.assert_frame_equal(
        stored()[provider.WEEK_FRAME], scratch[provider.WEEK_FRAME], check_dtype=False
    )
