"""AppTest of Bookings & Demand, Operational Efficiency and the Executive Overview on a
generated console, with ordinary and odd filters."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.i18n import gettext
from tests.dashboards.test_revenue_subscriptions import generated_frames, generated_url
from tests.pages.helpers import page_env, render_page

# The generated data end on 2026-04-10 (tests/generated_console.py), before today.
IN_DATA = {"from": "2025-12-01", "to": "2026-04-10"}
# path, tiles, charts, tables
PAGES = {
    "bookings": ("app_pages/bookings_demand.py", 4, 7, 1),
    "efficiency": ("app_pages/operational_efficiency.py", 6, 5, 3),
}


@pytest.fixture
def generated_env(monkeypatch):
    page_env(monkeypatch, generated_url())


def render(path: str, query: dict[str, str]) -> AppTest:
    return render_page(path, query, timeout=120)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_shows_tiles_charts_tables_and_download(page, generated_env):
    path, tiles, charts, tables = PAGES[page]
    app = render(path, IN_DATA)
    assert len(app.metric) == tiles
    assert all(metric.help for metric in app.metric)  # every tile explains itself
    assert len(app.get("plotly_chart")) == charts
    assert len(app.dataframe) == tables
    assert len(app.get("download_button")) == 1


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize(
    "query",
    [
        {"from": "2030-01-01", "to": "2030-02-01"},  # future
        {"from": "2026-03-01", "to": "2026-01-01"},  # starts after it ends
        {"from": "2019-01-01", "to": "2019-02-01"},  # before the data
        {"from": "2026-04-10", "to": "2026-04-10"},  # one day, today
    ],
    ids=["future", "reversed", "before-data", "today-only"],
)
def test_odd_filters_show_a_message(page, query, generated_env):
    path, *_ = PAGES[page]
    app = render(path, query)
    if query["from"] == query["to"] == "2026-04-10":
        # a single day still shows something for bookings; efficiency needs a week start
        assert app.metric or app.info
        return
    assert app.info and not app.metric and not app.get("plotly_chart")


@pytest.mark.parametrize("page", list(PAGES))
def test_tier_and_vertical_without_tenants_shows_a_message(page, generated_env):
    path, *_ = PAGES[page]
    tenants = generated_frames()["tenants"]
    pairs = set(zip(tenants["tier"], tenants["vertical"], strict=True))
    missing = [
        (t, v)
        for t in ("starter", "pro", "enterprise")
        for v in ("barbershop", "salon", "spa", "nails")
        if (t, v) not in pairs
    ]
    if not missing:
        pytest.skip("every tier and vertical pair has a tenant in this data set")
    tier, vertical = missing[0]
    app = render(path, {**IN_DATA, "tier": tier, "vertical": vertical})
    assert app.info and not app.metric


@pytest.mark.parametrize("page", list(PAGES))
def test_province_without_such_tenants_shows_a_message(page, generated_env):
    path, *_ = PAGES[page]
    tenants = generated_frames()["tenants"]
    pairs = set(zip(tenants["province"], tenants["vertical"], strict=True))
    province = tenants["province"].iloc[0]
    vertical = next(
        v for v in ("barbershop", "salon", "spa", "nails") if (province, v) not in pairs
    )
    app = render(path, {**IN_DATA, "province": province, "vertical": vertical})
    assert app.info and not app.metric


@pytest.mark.parametrize("page", list(PAGES))
def test_constant_pesos_and_english(page, generated_env):
    path, tiles, charts, _tables = PAGES[page]
    app = render(path, {**IN_DATA, "ars": "2026-01", "lang": "en", "tier": "pro"})
    assert len(app.metric) == tiles and len(app.get("plotly_chart")) == charts
    if page == "bookings":
        assert app.metric[0].label == "Bookings"
    else:
        assert app.metric[0].label == "Utilization"


def test_bookings_page_shows_the_forecast_accuracy(generated_env):
    app = render(PAGES["bookings"][0], IN_DATA)
    assert any("MASE" in caption.value for caption in app.caption)


def test_overview_has_forecasts_and_the_at_risk_section(generated_env):
    app = render("app_pages/executive_overview.py", {})
    # Six headline tiles and the six "today so far" tiles.
    assert len(app.metric) == 12 and len(app.get("plotly_chart")) == 2
    captions = [caption.value for caption in app.caption]
    assert any("MASE" in c for c in captions)  # the bands carry their backtest
    subheaders = [h.value for h in app.subheader]
    assert gettext("Tenants at risk", "es_AR") in subheaders
    assert gettext("Biggest movers", "es_AR") in subheaders
