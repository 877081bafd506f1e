"""The Financial Operations, Partnerships and Regional pages render from a generated set,
with odd filters answered by a message instead of an exception."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.db import create_engine_for
from core.i18n import DEFAULT_LOCALE, gettext
from tests.dashboards.test_financial_operations import finance_console
from tests.pages.helpers import as_read, page_env

ROOT = Path(__file__).resolve().parents[2]
# The generated set's "today" is 2026-04-10: links carry the period explicitly.
PERIOD = {"from": "2025-10-13", "to": "2026-04-10"}
PAGES = {
    "finance": ("app_pages/financial_operations.py", {"plotly_chart": 4, "dataframe": 3}),
    "partners": ("app_pages/partnerships.py", {"plotly_chart": 3, "dataframe": 2}),
    "regions": ("app_pages/regional_performance.py", {"plotly_chart": 2, "dataframe": 3}),
}


@pytest.fixture
def env(monkeypatch, tmp_path_factory) -> str:
    url = f"sqlite:///{finance_console(tmp_path_factory)}"
    page_env(monkeypatch, url)
    return url


def render(page: str, **params: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page(PAGES[page][0])
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def es(message: str) -> str:
    return gettext(message, DEFAULT_LOCALE)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_shows_tiles_charts_and_tables(env, page):
    app = render(page, **PERIOD)
    assert len(app.metric) == 8
    assert all(metric.help for metric in app.metric)  # every tile explains itself
    for element, count in PAGES[page][1].items():
        assert len(app.get(element)) == count, element
    assert len(app.get("download_button")) >= 1


def test_finance_numbers_reach_the_tiles(env):
    app = render("finance", **PERIOD)
    issued = next(m for m in app.metric if m.label == es("Invoices issued"))
    assert int(issued.value.replace(".", "")) > 20
    table = app.dataframe[1].value  # tenants in the period
    assert table["invoices"].sum() == int(issued.value.replace(".", ""))


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"from": "2026-04-10", "to": "2026-03-01"},
            "The date range is empty: it starts after it ends.",
        ),
        (
            {"from": "2027-01-01", "to": "2027-02-01"},
            "The date range is in the future: there is no data for it yet.",
        ),
    ],
    ids=["empty", "future"],
)
def test_odd_filters_show_a_message(env, page, params, message):
    app = render(page, **params)
    assert es(message) in [info.value for info in app.info]
    assert len(app.metric) == 0


def test_bad_link_value_is_explained_and_ignored(env):
    app = render("regions", **{**PERIOD, "from": "not-a-date"})
    assert any("from=not-a-date" in as_read(w.value) for w in app.warning)


def test_organic_only_partners_page(env):
    app = render("partners", **PERIOD, partner="0")
    assert len(app.metric) == 8
    assert es("No partner-referred tenant for these filters.") in [i.value for i in app.info]


@pytest.mark.parametrize("page", list(PAGES))
def test_a_province_without_tenants_of_a_tier(env, page):
    # A province in the filter's options, with a tier none of its tenants has.
    tenants = pd.read_sql_table("tenants", create_engine_for(env))
    tiers = set(tenants["tier"])
    province, missing = next(
        (province, sorted(tiers - set(group["tier"]))[0])
        for province, group in tenants.groupby("province")
        if tiers - set(group["tier"])
    )
    app = render(page, **PERIOD, province=province, tier=missing)
    assert es("No tenant matches these filters (tier, vertical, province, partner).") in [
        info.value for info in app.info
    ]
