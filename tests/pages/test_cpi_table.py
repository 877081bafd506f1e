"""CPI table page: the approximate series is labelled; bad uploads save nothing."""

from streamlit.testing.v1 import AppTest

from tests.pages.helpers import render_page

PAGE = "app_pages/cpi_table.py"


def render(**params: str) -> AppTest:
    return render_page(PAGE, params)


def test_page_labels_the_approximate_series(generated_console_env):
    app = render(lang="en")
    assert app.title[0].value == "Inflation (CPI) table"
    assert any("APPROXIMATE" in i.value for i in app.info)
    assert len(app.get("plotly_chart")) == 1
    assert len(app.get("arrow_data_editor")) == 1 or app.dataframe
