"""Tenant directory page: translated, every name links to Tenant 360."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.generated_console import generated_console

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/tenant_directory.py"


@pytest.fixture(scope="module")
def console_url(tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "generated_console_t360" / "console.db"
    if not path.exists():  # shared by this helper's test modules in one pytest run
        path.parent.mkdir(exist_ok=True)
        generated_console(path)
    return f"sqlite:///{path}"


@pytest.fixture
def env(monkeypatch, console_url):
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", console_url)
    monkeypatch.setenv("BARBERPRO_EMBEDDED_SCHEDULER", "false")
    monkeypatch.setenv("BARBERPRO_SIMULATOR", "false")
    return console_url


def render(**params: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params.update(params)
    app.run()
    app.switch_page(PAGE)
    app.query_params.update(params)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def test_directory_links_every_tenant(env):
    app = render(lang="en")
    table = app.dataframe[0].value
    assert len(table) == 30
    assert all(
        link.startswith(f"/tenant-360?tenant={tid}&lang=en&name=")
        for link, tid in zip(table["tenant"], table["tenant_id"], strict=True)
    )
    app.multiselect(key="tenants_tier").set_value(["enterprise"]).run()
    assert set(app.dataframe[0].value["tier"]) <= {"enterprise"}
