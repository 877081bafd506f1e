"""Tenant directory page: translated, every name links to Tenant 360."""

from streamlit.testing.v1 import AppTest

from tests.pages.helpers import render_page

PAGE = "app_pages/tenant_directory.py"


def render(**params: str) -> AppTest:
    return render_page(PAGE, params)


def test_directory_links_every_tenant(generated_console_env):
    app = render(lang="en")
    table = app.dataframe[0].value
    assert len(table) == 30
    assert all(
        link.startswith(f"/tenant-360?tenant={tid}&lang=en&name=")
        for link, tid in zip(table["tenant"], table["tenant_id"], strict=True)
    )
    app.multiselect(key="tenants_tier").set_value(["enterprise"]).run()
    assert set(app.dataframe[0].value["tier"]) <= {"enterprise"}
