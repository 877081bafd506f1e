"""Bookings & Demand: the detail frames and the builder against pandas on the raw rows.

The generated console (tests/generated_console.py, shared with the revenue tests) is
read twice: its stored detail frames, and its raw ``bookings`` / ``services`` /
``customers`` tables, aggregated here independently with plain pandas. Hand-made rows
check the lead-time buckets and the holiday effect.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from core import formatting as fmt
from core.db import create_engine_for
from core.metrics.detail import refresh_detail_frames
from core.metrics.frames import bookings as provider
from core.metrics.refresh import refresh_metrics
from core.metrics.snapshots import latest_detail_version, latest_version, load_snapshot
from core.schema import Booking
from dashboards import bookings_demand as demand
from dashboards.filters import Filters
from dashboards.kit import DayRange
from tests.dashboards.test_revenue_subscriptions import generated_url
from tests.generated_console import TODAY

END = pd.Timestamp(TODAY) + pd.Timedelta(days=1)  # frames cover bookings up to today's end
PERIOD = Filters(start=date(2026, 1, 5), end=TODAY)


@lru_cache(maxsize=1)
def stored() -> dict[str, pd.DataFrame]:
    """The generated console's snapshot and detail frames, and its raw tables."""
    engine = create_engine_for(generated_url())
    with Session(engine) as session:
        snapshot = load_snapshot(session=session, version=latest_version(session=session))
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
    with engine.connect() as connection:
        raw = pd.read_sql(
            text(
                "SELECT b.tenant_id, b.customer_id, b.start_at, b.created_at, b.status, "
                "b.channel, b.price_ars, b.duration_min, s.category, "
                "c.created_at AS client_since "
                "FROM bookings b JOIN services s ON s.id = b.service_id "
                "JOIN customers c ON c.id = b.customer_id"
            ),
            connection,
        )
        tenants = pd.read_sql(
            text("SELECT id AS tenant_id, tier, vertical FROM tenants"), connection
        )
    engine.dispose()
    for column in ("start_at", "created_at", "client_since"):
        raw[column] = pd.to_datetime(raw[column], format="ISO8601")
    raw = raw[raw["start_at"] < END]
    raw["month"] = raw["start_at"].dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    raw["day"] = raw["start_at"].dt.normalize().astype("datetime64[ns]")
    raw["completed"] = (raw["status"] == "completed").astype(int)
    raw["gmv_ars"] = np.where(raw["completed"] == 1, raw["price_ars"], 0.0)
    frames = {**snapshot.frames, **detail.frames}
    for name, frame in frames.items():  # int32 on disk; int64 like the raw reads
        if name.startswith(("bookings_", "efficiency_")) and "tenant_id" in frame:
            frames[name] = frame.assign(tenant_id=frame["tenant_id"].astype("int64"))
    return {"raw": raw, "raw_tenants": tenants, **frames}


def copy_database(url: str, path: Path) -> None:
    """A consistent copy, committed WAL pages included (a file copy can miss them)."""
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    target = sqlite3.connect(path)
    with target:
        source.backup(target)
    source.close()
    target.close()


def _first_month() -> pd.Timestamp:
    return pd.Timestamp(TODAY).to_period("M").to_timestamp() - pd.DateOffset(
        months=provider.HISTORY_MONTHS - 1
    )


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def test_tenant_days_match_raw_bookings():
    frames = stored()
    raw = frames["raw"]
    raw = raw[raw["day"] >= _first_month()]
    expected = raw.groupby(["tenant_id", "day"], as_index=False).agg(
        bookings=("status", "size"),
        completed=("completed", "sum"),
        cancelled=("status", lambda s: int((s == "cancelled").sum())),
        no_show=("status", lambda s: int((s == "no_show").sum())),
        gmv_ars=("gmv_ars", "sum"),
    )
    got = frames["bookings_tenant_day"]
    assert got["day"].dtype.kind == "M"
    merged = _sorted(got, ["tenant_id", "day"]).merge(
        expected, on=["tenant_id", "day"], how="outer"
    )
    for column in ("bookings", "completed", "cancelled", "no_show"):
        assert (merged[f"{column}_x"] == merged[f"{column}_y"]).all(), column
    np.testing.assert_allclose(merged["gmv_ars_x"], merged["gmv_ars_y"], rtol=1e-9)


@pytest.mark.parametrize(
    ("frame", "column"),
    [("bookings_channel_monthly", "channel"), ("bookings_category_monthly", "category")],
)
def test_mix_matches_raw_bookings(frame, column):
    frames = stored()
    raw = frames["raw"][frames["raw"]["month"] >= _first_month()]
    expected = raw.groupby(["tenant_id", "month", column], as_index=False).agg(
        bookings=("status", "size"), completed=("completed", "sum"), gmv_ars=("gmv_ars", "sum")
    )
    got = frames[frame]
    keys = ["tenant_id", "month", column]
    merged = got.merge(expected, on=keys, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["bookings_x"] == merged["bookings_y"]).all()
    assert (merged["completed_x"] == merged["completed_y"]).all()
    np.testing.assert_allclose(merged["gmv_ars_x"], merged["gmv_ars_y"], rtol=1e-9)


def test_heatmap_matches_raw_bookings():
    frames = stored()
    raw = frames["raw"][frames["raw"]["month"] >= _first_month()].merge(
        frames["raw_tenants"], on="tenant_id"
    )
    raw = raw.assign(weekday=raw["start_at"].dt.day_of_week, hour=raw["start_at"].dt.hour)
    expected = raw.groupby(["tier", "vertical", "month", "weekday", "hour"]).size()
    got = frames["bookings_heatmap_monthly"].set_index(
        ["tier", "vertical", "month", "weekday", "hour"]
    )["bookings"]
    pd.testing.assert_series_equal(
        got.sort_index().astype(int),
        expected.sort_index().astype(int),
        check_names=False,
        check_index_type=False,
    )


def test_lead_time_clients_and_rebooking_match_raw_bookings():
    frames = stored()
    raw = frames["raw"][frames["raw"]["month"] >= _first_month()]
    days = (raw["start_at"].dt.normalize() - raw["created_at"].dt.normalize()).dt.days.clip(lower=0)
    bucket = pd.cut(days, [-1, 0, 2, 7, 14, 10_000], labels=list(provider.LEAD_BUCKETS))
    expected = (
        raw.assign(bucket=bucket.astype(str)).groupby(["tenant_id", "month", "bucket"]).size()
    )
    got = frames["bookings_lead_time_monthly"].set_index(["tenant_id", "month", "bucket"])[
        "bookings"
    ]
    pd.testing.assert_series_equal(
        got.sort_index().astype(int), expected.sort_index().astype(int), check_names=False
    )

    visits = raw[raw["status"] == "completed"]
    clients = visits.groupby(["tenant_id", "month"])["customer_id"].nunique()
    new = visits[visits["client_since"].dt.to_period("M").dt.to_timestamp() == visits["month"]]
    new_clients = new.groupby(["tenant_id", "month"])["customer_id"].nunique()
    got = frames["bookings_clients_monthly"].set_index(["tenant_id", "month"])
    assert got["clients"].sort_index().astype(int).equals(clients.sort_index().astype(int))
    assert (got["new_clients"] == new_clients.reindex(got.index, fill_value=0)).all()

    # rebooking, independently: the next non-cancelled booking of the same client
    everyone = frames["raw"]
    kept = everyone[everyone["status"] != "cancelled"].sort_values("start_at")
    cutoff = pd.Timestamp(TODAY - timedelta(days=provider.REBOOK_DAYS))
    eligible = kept[
        (kept["status"] == "completed")
        & (kept["day"] <= cutoff)
        & (kept["month"] >= _first_month())
    ]
    later = kept[["customer_id", "start_at"]].rename(columns={"start_at": "next_start"})
    later["start_at"] = later["next_start"] - pd.Timedelta(microseconds=1)
    nxt = pd.merge_asof(
        eligible.sort_values("start_at"),
        later.sort_values("start_at"),
        on="start_at",
        by="customer_id",
        direction="forward",
        allow_exact_matches=False,
    )
    gap = (nxt["next_start"].dt.normalize() - nxt["day"]).dt.days
    nxt["rebooked"] = (gap <= provider.REBOOK_DAYS).astype(int)
    expected = nxt.groupby(["tenant_id", "month"]).agg(
        eligible=("rebooked", "size"), rebooked=("rebooked", "sum")
    )
    got = frames["bookings_rebooking_monthly"].set_index(["tenant_id", "month"])
    assert got["eligible"].sort_index().astype(int).equals(expected["eligible"].sort_index())
    assert got["rebooked"].sort_index().astype(int).equals(expected["rebooked"].sort_index())
    assert 0.2 < got["rebooked"].sum() / got["eligible"].sum() < 0.95


def test_builder_numbers_match_raw_bookings():
    frames = stored()
    tenants = frames["tenants"]
    filters = PERIOD.with_(tiers=("pro", "enterprise"))
    ids = set(tenants.loc[tenants["tier"].isin(filters.tiers), "tenant_id"])
    view = demand.build_view(frames, tenants, filters, as_of=TODAY, locale="en")
    assert view.message is None
    raw = frames["raw"]
    raw = raw[raw["tenant_id"].isin(ids)]
    now = raw[(raw["day"] >= pd.Timestamp(PERIOD.start)) & (raw["day"] <= pd.Timestamp(TODAY))]
    tiles = {tile.key: tile for tile in view.tiles}
    days = (TODAY - PERIOD.start).days + 1
    previous = raw[
        (raw["day"] >= pd.Timestamp(PERIOD.start) - pd.Timedelta(days=days))
        & (raw["day"] < pd.Timestamp(PERIOD.start))
    ]
    first, last, first_before, last_before = (
        fmt.format_date(day, locale="en")
        for day in (
            PERIOD.start,
            TODAY,
            PERIOD.start - timedelta(days=days),
            PERIOD.start - timedelta(days=1),
        )
    )
    assert tiles["bookings"].help.endswith(
        f"{first}–{last}: {len(now):,} · {first_before}–{last_before}: {len(previous):,}"
    )
    completed = now[now["status"] == "completed"]
    expected_ticket = completed["price_ars"].sum() / len(completed)
    detail = view.detail
    assert detail["bookings"].sum() == len(now)
    assert detail["gmv_ars"].sum() == pytest.approx(completed["price_ars"].sum())
    ticket = detail["gmv_ars"].sum() / detail["completed"].sum()
    assert ticket == pytest.approx(expected_ticket)
    assert set(detail["tenant_id"]) <= ids

    # channel shares over the months the period touches
    months = now["month"].unique()
    in_months = raw[raw["month"].isin(months)]
    share = in_months["channel"].value_counts(normalize=True)
    figure = view.channels
    bar = figure.data[0]
    labels = {demand.CHANNELS[c]: c for c in demand.CHANNELS}
    for label, value in zip(bar.y, bar.x, strict=True):
        assert value == pytest.approx(share[labels[label]])
    assert view.band_note  # the platform forecast is hidden for a narrowed view


def test_platform_view_draws_the_forecast_band():
    frames = stored()
    view = demand.build_view(frames, frames["tenants"], PERIOD, as_of=TODAY, locale="en")
    names = [trace.name for trace in view.daily.data]
    assert "Forecast" in names and "95 % interval" in names
    band = frames["forecast_bookings_daily"]
    assert len(band) == 30 and band["day"].min() == TODAY
    assert (band["lower_95"] <= band["lower_80"]).all()
    assert (band["lower_80"] <= band["forecast"]).all()
    assert (band["forecast"] <= band["upper_80"]).all()
    assert (band["upper_80"] <= band["upper_95"]).all()
    assert "MASE" in view.bookings_accuracy


def test_odd_filters_give_one_message():
    frames = stored()
    tenants = frames["tenants"]
    cases = [
        Filters(start=date(2030, 1, 1), end=date(2030, 2, 1)),
        Filters(start=date(2026, 3, 1), end=date(2026, 2, 1)),
        Filters(provinces=("Atlántida",)),
        Filters(start=date(2020, 1, 1), end=date(2020, 2, 1)),
    ]
    for filters in cases:
        view = demand.build_view(frames, tenants, filters, as_of=TODAY, locale="en")
        assert view.message and not view.tiles, filters


# ---------------------------------------------------------------------- hand-made rows


def _rows(*bookings: tuple[str, str, str]) -> pd.DataFrame:
    """(start, created, status) rows of one tenant and client."""
    frame = pd.DataFrame(bookings, columns=["start_at", "created_at", "status"])
    frame["start_at"] = pd.to_datetime(frame["start_at"])
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame.assign(
        tenant_id=1,
        customer_id=7,
        service_id=1,
        channel="web",
        price_ars=1000.0,
        client_since=pd.Timestamp("2026-03-01"),
    )


def test_lead_time_buckets_by_calendar_day():
    rows = _rows(
        ("2026-03-02 09:00", "2026-03-02 08:59", "completed"),  # same day
        ("2026-03-03 09:00", "2026-03-02 23:50", "completed"),  # 1 day (calendar)
        ("2026-03-04 09:00", "2026-03-02 09:00", "completed"),  # 2
        ("2026-03-05 09:00", "2026-03-02 09:00", "no_show"),  # 3
        ("2026-03-09 09:00", "2026-03-02 09:00", "cancelled"),  # 7
        ("2026-03-10 09:00", "2026-03-02 09:00", "completed"),  # 8
        ("2026-03-16 09:00", "2026-03-02 09:00", "completed"),  # 14
        ("2026-03-17 09:00", "2026-03-02 09:00", "completed"),  # 15
        ("2026-03-30 09:00", "2026-03-30 09:05", "completed"),  # made after start: same day
    )
    tenants = pd.DataFrame({"tenant_id": [1], "tier": ["pro"], "vertical": ["spa"]})
    out = provider.month_aggregates(
        rows, date(2026, 3, 1), categories={1: "corte"}, tenants=tenants
    )
    lead = out["bookings_lead_time_monthly"].set_index("bucket")["bookings"].to_dict()
    assert lead == {"same_day": 2, "1_2_days": 2, "3_7_days": 2, "8_14_days": 2, "15_plus_days": 1}
    clients = out["bookings_clients_monthly"].iloc[0]
    assert (clients["clients"], clients["new_clients"]) == (1, 1)
    heat = out["bookings_heatmap_monthly"]
    assert heat["bookings"].sum() == 9 and set(heat["hour"]) == {9}


def test_rebooking_by_hand():
    rows = _rows(
        ("2026-01-05 10:00", "2026-01-01 10:00", "completed"),  # next kept visit 02-18: 44 d
        ("2026-01-20 10:00", "2026-01-06 10:00", "cancelled"),  # cancelled: not a rebooking
        ("2026-02-18 10:00", "2026-01-06 10:00", "completed"),  # next 04-05: 46 d -> no
        ("2026-04-05 10:00", "2026-03-01 10:00", "scheduled"),
    )
    second = _rows(("2026-01-31 18:00", "2026-01-30 10:00", "completed")).assign(customer_id=8)
    both = pd.concat([rows, second], ignore_index=True)
    january = provider.rebooking(both, date(2026, 1, 1), cutoff=date(2026, 2, 25))
    assert january[["eligible", "rebooked"]].iloc[0].tolist() == [2, 1]
    february = provider.rebooking(both, date(2026, 2, 1), cutoff=date(2026, 2, 25))
    assert february[["eligible", "rebooked"]].iloc[0].tolist() == [1, 0]
    # a visit after the cutoff has not had its 45 days yet: not counted
    early = provider.rebooking(both, date(2026, 2, 1), cutoff=date(2026, 2, 10))
    assert early.empty


def test_holiday_effect_against_same_weekdays():
    # 2026-05-25 (Monday) is Revolución de Mayo. Mondays around it carry 100 bookings,
    # the holiday 40: effect -60 %. 2026-06-15 (Monday, Paso a la Inmortalidad de Güemes,
    # moved) is also a holiday and must be left out of the baseline.
    days = pd.date_range("2026-04-20", "2026-06-30", freq="D")
    bookings = np.where(days.day_of_week == 0, 100, 50)
    frame = pd.DataFrame({"tenant_id": 1, "day": days, "bookings": bookings})
    frame.loc[frame["day"] == "2026-05-25", "bookings"] = 40
    frame.loc[frame["day"] == "2026-06-15", "bookings"] = 10
    period = DayRange(date(2026, 5, 20), date(2026, 5, 31))
    table = demand.holiday_effect(frame, period, last_complete=date(2026, 6, 30), locale="es_AR")
    row = table[table["day"] == date(2026, 5, 25)].iloc[0]
    assert row["baseline"] == pytest.approx(100.0)
    assert row["effect"] == pytest.approx(-0.6)
    assert "Mayo" in row["holiday"]


# ------------------------------------------------------------------- incremental months


def test_an_update_follows_a_late_change_in_an_old_month(tmp_path):
    path = tmp_path / "copy.db"
    copy_database(generated_url(), path)
    engine = create_engine_for(f"sqlite:///{path}")
    at = datetime.combine(TODAY, datetime.min.time()).replace(hour=12)
    before = stored()

    def by_keys(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        return _sorted(frame, provider._COLUMNS[name][:-1])

    with Session(engine) as session:
        again = provider.compute_bookings_frames(session, TODAY)
    for name in provider.MONTHLY_FRAMES:
        pd.testing.assert_frame_equal(
            by_keys(again[name], name), by_keys(before[name], name), check_dtype=False
        )

    # A late status change in an old month: the update re-reads that month.
    month = pd.Timestamp(TODAY).to_period("M").to_timestamp() - pd.DateOffset(months=3)
    with Session(engine) as session, session.begin():
        booking = session.execute(
            text(
                "SELECT id, tenant_id, channel FROM bookings WHERE status = 'completed' "
                "AND start_at >= :start ORDER BY start_at LIMIT 1"
            ),
            {"start": month.to_pydatetime()},
        ).one()
        session.execute(
            update(Booking)
            .where(Booking.id == booking.id)
            .values(status="cancelled", updated_at=at)
        )
    refresh_metrics(engine, as_of=at)
    result = refresh_detail_frames(engine, at=at, providers=provider.PROVIDERS)
    assert not result.errors
    assert result.modes == {"bookings": "incremental"}
    with Session(engine) as session:
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
    channel = detail.frames["bookings_channel_monthly"]
    old = before["bookings_channel_monthly"]

    def completed(frame: pd.DataFrame) -> int:
        key = (
            (frame["tenant_id"] == booking.tenant_id)
            & (frame["month"] == month)
            & (frame["channel"] == booking.channel)
        )
        return int(frame.loc[key, "completed"].iloc[0])

    assert completed(channel) == completed(old) - 1

    # ...and every table equals one computed from scratch.
    with Session(engine) as session:
        scratch = provider.compute_bookings_frames(session, TODAY)
    for name in provider.MONTHLY_FRAMES:
        pd.testing.assert_frame_equal(
            by_keys(detail.frames[name], name), by_keys(scratch[name], name), check_dtype=False
        )
    engine.dispose()
