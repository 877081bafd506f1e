"""Every table of every page, in both languages, on a complete generated console: its
numbers and dates written the language's way by the console (not by the browser), and
labels, never stored codes (tests/pages/table_cells.py says what is checked)."""

from __future__ import annotations

import pytest

from page_registry import PAGES
from tests.pages.table_cells import Problem, badly_written, table_problems
from tests.pages.test_every_page import _a_tenant, _render

pytestmark = pytest.mark.clock


@pytest.fixture
def full_env(monkeypatch, full_console_url) -> str:
    from tests.pages.helpers import page_env

    page_env(monkeypatch, full_console_url)
    monkeypatch.delenv("BARBERPRO_REFRESH_INTERVAL_S", raising=False)
    return full_console_url


@pytest.mark.parametrize("page", PAGES, ids=[page.url_path for page in PAGES])
@pytest.mark.parametrize("lang", ["es_AR", "en"])
def test_table_cells_are_written_for_the_language(page, lang, full_env):
    query = {"lang": lang}
    if page.url_path == "tenant-360":
        query["tenant"] = str(_a_tenant(full_env))
    app = _render(page, full_env, query)
    assert not app.exception, [(e.value, e.stack_trace) for e in app.exception]
    problems: list[Problem] = []
    for table in app.get("dataframe"):
        problems += table_problems(table.proto, lang)
    # One example per column and reason keeps the message readable.
    examples = {(p.column, p.why.split(" is ")[-1]): p for p in problems}
    assert not examples, [f"{p.column}: {p.cell!r} ({p.why})" for p in examples.values()][:40]


@pytest.mark.parametrize(
    ("text", "locale", "fine"),
    [
        ("$ 1.147.648.000", "es_AR", True),
        ("93,9 %", "es_AR", True),
        ("-32,6 %", "es_AR", True),
        ("04/03/2025 09:03", "es_AR", True),
        ("jun 2026", "es_AR", True),
        ("1147648000", "es_AR", False),
        ("93.94%", "es_AR", False),
        ("74.6418", "es_AR", False),
        ("2026-06", "es_AR", False),
        ("$1,147,648,000", "en", True),
        ("2025-03-04 09:03", "en", True),
        ("Jun 2026", "en", True),
        ("1.234,5", "en", False),
    ],
)
def test_the_scan_tells_written_from_raw(text, locale, fine):
    assert (badly_written(text, locale) is None) is fine
