"""Browser fixtures: one headless Chromium per session, a fresh page per test (or one
per module, ``module_page``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, session_cookie

HERE = Path(__file__).parent


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "e2e tests need the playwright package"
    if not CHROMIUM.exists():
        return f"e2e tests need Chromium at {CHROMIUM} (set BARBERPRO_CHROMIUM to another path)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:  # type: ignore[no-untyped-def]
    reason = _missing()
    for item in items:
        if HERE not in Path(item.fspath).parents:
            continue
        # Every browser test is in the e2e group, which `make test` runs on its own,
        # serially, after the unit tests (they start servers and Chromium).
        item.add_marker(pytest.mark.e2e)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    # A cold first render imports pandas, plotly and Babel; on a busy CI box that takes seconds.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def _new_page(browser, *, signed_in: bool):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 1440, "height": 1100},
        locale="es-AR",
        timezone_id="America/Argentina/Buenos_Aires",
    )
    if signed_in:  # the session every test server's database holds (harness.py)
        context.add_cookies([session_cookie()])
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A signed-in page (the harness's session for every server it starts)."""
    context, page = _new_page(browser, signed_in=True)
    yield page
    context.close()


@pytest.fixture(scope="module")
def module_page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """One signed-in page for a whole module: tests that read one page after another
    open them in it (harness.open_in_this_session), so the server's session and its warm
    caches carry over instead of a new browser context and session per test."""
    context, page = _new_page(browser, signed_in=True)
    yield page
    context.close()


@pytest.fixture
def anonymous_page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A page with no session: what someone who never signed in sees."""
    context, page = _new_page(browser, signed_in=False)
    yield page
    context.close()
