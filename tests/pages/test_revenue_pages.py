"""AppTest of the Revenue, Churn and Lifetime Value pages on a generated console."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.test_revenue_subscriptions import generated_frames, generated_url
from tests.pages.helpers import page_env, render_page

# The generated data end on 2026-04-10 (tests/generated_console.py), before today.
IN_DATA = {"from": "2025-10-01", "to": "2026-04-10"}
PAGES = {
    "revenue": ("app_pages/revenue_subscriptions.py", 10, 4, IN_DATA),  # 6 + 4 retention
    "churn": ("app_pages/churn_retention.py", 10, 4, IN_DATA),  # 6 + 4 retention
    "lifetime-value": ("app_pages/lifetime_value.py", 4, 3, {}),
}


@pytest.fixture
def generated_env(monkeypatch):
    page_env(monkeypatch, generated_url(), BARBERPRO_LANG="en")


def render(path: str, query: dict[str, str]) -> AppTest:
    return render_page(path, query, timeout=120)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_shows_tiles_charts_and_download(page, generated_env):
    path, tiles, charts, query = PAGES[page]
    app = render(path, query)
    assert len(app.metric) == tiles
    assert all(metric.help for metric in app.metric)  # every tile explains itself
    assert len(app.get("plotly_chart")) == charts
    assert len(app.get("download_button")) == 1


@pytest.mark.parametrize("page", list(PAGES))
def test_future_range_shows_a_message(page, generated_env):
    path, *_ = PAGES[page]
    app = render(path, {"from": "2030-01-01", "to": "2030-02-01"})
    assert app.info and not app.metric and not app.get("plotly_chart")


@pytest.mark.parametrize("page", list(PAGES))
def test_province_without_such_tenants_shows_a_message(page, generated_env):
    path, _tiles, _charts, query = PAGES[page]
    tenants = generated_frames()["tenants"]
    pairs = set(zip(tenants["province"], tenants["vertical"], strict=True))
    province = tenants["province"].iloc[0]
    vertical = next(
        v for v in ("barbershop", "salon", "spa", "nails") if (province, v) not in pairs
    )
    app = render(path, {**query, "province": province, "vertical": vertical})
    assert app.info and not app.metric
