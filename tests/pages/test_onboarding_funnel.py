"""Onboarding Funnel page on a small generated console: tiles, charts, tables, odd filters."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.generated_console import TODAY
from tests.pages.helpers import render_page

PAGE = "app_pages/onboarding_funnel.py"


def render(**params: str) -> AppTest:
    return render_page(PAGE, params)


def test_funnel_page_shows_tiles_charts_and_tables(generated_console_env):
    app = render(lang="en", **{"from": "2025-09-01", "to": TODAY.isoformat()})
    assert app.title[0].value == "Onboarding Funnel"
    assert [m.label for m in app.metric] == [
        "Sessions started",
        "Activated tenants",
        "Success rate",
        "Median time to activate",
        "Automated verification",
        "Time to first booking",
        "Stalled sessions",
    ]
    assert all(m.help for m in app.metric)
    assert len(app.get("plotly_chart")) == 3
    assert [s.value for s in app.subheader] == ["Step conversion", "Stalled sessions", "Sessions"]
    sessions = app.dataframe[-1].value
    assert int(app.metric[0].value) == len(sessions)
    assert any(str(link).startswith("/tenant-360?tenant=") for link in sessions["tenant"].dropna())
    assert app.get("download_button")


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-01", "to": "2026-01-01"},  # empty range
        {"from": "2031-01-01", "to": "2031-02-01"},  # future
        {"from": "2019-01-01", "to": "2019-02-01"},  # before any session
    ],
    ids=["inverted", "future", "no-data"],
)
def test_odd_ranges_explain_themselves(generated_console_env, params):
    app = render(lang="en", **params)
    assert app.info, "a clear message instead of charts"
    assert not app.get("plotly_chart")


def test_spanish_by_default(generated_console_env):
    app = render(**{"from": "2025-09-01", "to": TODAY.isoformat()})
    assert len(app.metric) == 7 and len(app.get("plotly_chart")) == 3
