"""Rendering one console page with AppTest, shared by the page tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def page_env(monkeypatch: pytest.MonkeyPatch, url: str, **extra: str) -> None:
    """Point the app at ``url`` with no embedded scheduler or simulator (plus ``extra``)."""
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", url)
    monkeypatch.setenv("BARBERPRO_EMBEDDED_SCHEDULER", "false")
    monkeypatch.setenv("BARBERPRO_SIMULATOR", "false")
    for name, value in extra.items():
        monkeypatch.setenv(name, value)


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def render_page(path: str, params: dict[str, str] | None = None, *, timeout: int = 90) -> AppTest:
    """app.py, then the page at ``path``, both with the query ``params``; no error shown."""
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    app.query_params.update(params or {})
    app.run()
    app.switch_page(path)
    # The first run may rewrite the query string: the page gets the test's own again.
    app.query_params.update(params or {})
    app.run()
    assert_clean(app)
    return app


def as_read(markdown: str) -> str:
    """What a user reads from escaped markdown (core.security.markdown_safe): no
    backslash escapes, no invisible word joiners."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
