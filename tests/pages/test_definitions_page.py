"""The Metric definitions page: lists the registry and narrows it as the user types."""

from __future__ import annotations

from core.i18n import gettext
from core.metrics.registry import METRICS, TODAY_SO_FAR
from page_registry import PAGES
from tests.pages.test_smoke import render

PAGE = next(page for page in PAGES if page.url_path == "definitions")


def test_lists_every_metric_and_searches(console_env):
    app = render(PAGE)
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == gettext("Metric definitions", "es_AR")
    total = len(METRICS) + len(TODAY_SO_FAR)
    assert len(app.dataframe[0].value) == total

    app.text_input(key="definitions_query").input("retención").run()
    shown = app.dataframe[0].value
    assert 0 < len(shown) < total
    assert set(shown["key"]) >= {"nrr", "grr"}

    app.text_input(key="definitions_query").input("<img src=x> nada de nada").run()
    assert not app.dataframe
    assert app.info[0].value == gettext("No metric matches your search.", "es_AR")
