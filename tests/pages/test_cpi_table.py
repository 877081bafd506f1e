"""CPI table page: the approximate series is labelled; bad uploads save nothing."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.generated_console import generated_console

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/cpi_table.py"


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


def test_page_labels_the_approximate_series(env):
    app = render(lang="en")
    assert app.title[0].value == "Inflation (CPI) table"
    assert any("APPROXIMATE" in i.value for i in app.info)
    assert len(app.get("plotly_chart")) == 1
    assert len(app.get("arrow_data_editor")) == 1 or app.dataframe
