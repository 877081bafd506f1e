"""Tenant 360 page: a known tenant, the picker, and bad or unknown ?tenant= links."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.generated_console import TODAY
from tests.pages.helpers import render_page

PAGE = "app_pages/tenant_360.py"


def render(**params: str) -> AppTest:
    return render_page(PAGE, params)


def test_known_tenant(generated_console_env):
    app = render(lang="en", tenant="3", **{"from": "2025-09-01", "to": TODAY.isoformat()})
    assert app.title[0].value == "Tenant 360"
    assert app.subheader[0].value.endswith("· #3")
    labels = [m.label for m in app.metric]
    assert "Bookings (28 d)" in labels and "Last NPS answer" in labels
    assert len(app.get("plotly_chart")) == 2
    assert app.dataframe, "billing, support and history tables"
    assert app.selectbox(key="tenant_360_picker").value == 3


@pytest.mark.parametrize(
    ("value", "message"),
    [("999999", "There is no tenant with id 999999."), ("abc", "is not a tenant id")],
)
def test_bad_links_get_one_clear_message(generated_console_env, value, message):
    app = render(lang="en", tenant=value)
    assert any(message in w.value for w in app.warning)
    assert not app.metric and not app.get("plotly_chart")


def test_picking_a_tenant_opens_it(generated_console_env):
    app = render(lang="en")
    assert any("Pick a tenant" in i.value for i in app.info)
    app.selectbox(key="tenant_360_picker").set_value(5).run()
    assert app.query_params["tenant"] == ["5"] or app.query_params["tenant"] == "5"
    assert app.subheader[0].value.endswith("· #5")
