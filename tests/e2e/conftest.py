"""Browser fixtures: one headless Chromium per session, a fresh page per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS

if not CHROMIUM.exists():
    pytest.skip(f"e2e tests need Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright")
# A cold first render imports pandas, plotly and Babel; on a busy CI box that takes seconds.
sync_api.expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 1440, "height": 1100},
        locale="es-AR",
        timezone_id="America/Argentina/Buenos_Aires",
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
