"""Regional Performance: provinces and cities against pandas on the raw rows of a generated
set; the map draws only plain scatter traces (no tiles, no geo, nothing to download)."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics.snapshots import latest_detail_version, load_snapshot
from core.reference.geo_argentina import OUTLINE
from dashboards import regional_performance as regions
from dashboards.filters import Filters
from dashboards.financial_operations import DayRange
from tests.dashboards.test_financial_operations import finance_console
from tests.generated_console import TODAY

PERIOD = Filters(start=TODAY - timedelta(days=89), end=TODAY)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    engine = create_engine_for(f"sqlite:///{finance_console(tmp_path_factory)}")
    with Session(engine) as session:
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
    raw = {name: pd.read_sql_table(name, engine) for name in ("tenants", "bookings", "locations")}
    engine.dispose()
    raw["tenants"] = raw["tenants"].rename(columns={"id": "tenant_id"})
    for column in ("signup_date", "churned_on"):
        raw["tenants"][column] = pd.to_datetime(raw["tenants"][column]).dt.date
    frames = {name: detail.frames[name] for name in ("regions_tenant_day", "regions_cities")}
    return frames, raw


def raw_gmv(raw, period: DayRange) -> pd.Series:
    bookings = raw["bookings"]
    start = pd.to_datetime(bookings["start_at"])
    done = bookings[
        (bookings["status"] == "completed")
        & (start >= pd.Timestamp(period.start))
        & (start < pd.Timestamp(period.end) + pd.Timedelta(days=1))
    ]
    return done.groupby("tenant_id")["price_ars"].sum()


def test_provinces_match_pandas(console):
    frames, raw = console
    period = DayRange(PERIOD.start, PERIOD.end)
    tenants = raw["tenants"]
    rows = regions.tenant_rows(tenants, frames["regions_tenant_day"], period)
    got = regions.by_region(rows, ["province"]).set_index("province")
    now, before = raw_gmv(raw, period), raw_gmv(raw, period.previous)
    eve = period.start - timedelta(days=1)
    assert len(got) >= 3
    for province, group in tenants.groupby("province"):
        ids = group["tenant_id"]
        active_end = (group["signup_date"] <= period.end) & (
            group["churned_on"].isna() | (group["churned_on"] > period.end)
        )
        at_start = (group["signup_date"] <= eve) & (
            group["churned_on"].isna() | (group["churned_on"] > eve)
        )
        churned = at_start & group["churned_on"].between(period.start, period.end)
        gmv, gmv_before = now.reindex(ids).fillna(0).sum(), before.reindex(ids).fillna(0).sum()
        if province not in got.index:
            assert active_end.sum() == 0 and gmv == 0
            continue
        row = got.loc[province]
        assert row["tenants"] == active_end.sum()
        assert row["churned"] == churned.sum()
        assert row["active_at_start"] == at_start.sum()
        assert row["gmv_ars"] == pytest.approx(gmv)
        assert row["gmv_previous_ars"] == pytest.approx(gmv_before)
        if gmv_before:
            assert row["growth"] == pytest.approx(gmv / gmv_before - 1)


def test_city_points_and_the_offline_map(console):
    frames, raw = console
    view = regions.build_view(frames, raw["tenants"], PERIOD, as_of=TODAY, locale="en")
    assert view.message is None and [t.key for t in view.tiles] == list(regions.TILES)
    locations = raw["locations"].groupby(["province", "city"])[["latitude", "longitude"]].mean()
    for row in view.cities.itertuples():
        assert row.latitude == pytest.approx(locations.loc[(row.province, row.city), "latitude"])
    figure = view.map
    assert {trace.type for trace in figure.data} == {"scatter"}
    assert len(figure.data) == len(OUTLINE) + 1
    points = figure.data[-1]
    assert len(points.x) == view.cities[["latitude", "longitude"]].dropna().shape[0]
    spec = json.loads(figure.to_json())
    assert "geo" not in spec["layout"] and "mapbox" not in spec["layout"]
    assert "http" not in json.dumps(spec["layout"])  # nothing to fetch
    assert all(polygon[0] == polygon[-1] for polygon in OUTLINE)
    # Clicking a point yields its province (customdata[0]), which filters the page.
    assert set(points.customdata[:, 0]) <= set(view.provinces["province"])


def test_province_filter_narrows_everything(console):
    frames, raw = console
    view = regions.build_view(frames, raw["tenants"], PERIOD, as_of=TODAY, locale="en")
    top = view.provinces["province"].iloc[0]
    one = regions.build_view(
        frames, raw["tenants"], PERIOD.with_(provinces=(top,)), as_of=TODAY, locale="en"
    )
    assert list(one.provinces["province"]) == [top]
    assert set(one.detail["province"]) == {top}
    assert one.provinces["gmv_ars"].iloc[0] == pytest.approx(view.provinces["gmv_ars"].iloc[0])


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
    view = regions.build_view(frames, raw["tenants"], filters, as_of=TODAY, locale="en")
    assert view.message and view.tiles is None
