"""Every page run is timed in one place (app.py's navigation wrapper): a page rendered
through the app adds one render to this process's in-memory aggregator, under its url
path, and nothing is written per render."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.ops.timings import default_timings
from page_registry import PAGES

ROOT = Path(__file__).resolve().parents[2]


def renders_of(url_path: str) -> int:
    return default_timings().recorded[url_path]


def test_a_page_rendered_through_the_app_is_timed(console_env) -> None:
    page = next(p for p in PAGES if p.url_path == "tenants")
    before = renders_of("tenants")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.switch_page(page.path)
    app.run()
    assert not app.exception
    assert renders_of("tenants") - before == 1
