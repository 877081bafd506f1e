"""Walk every page of the registry in headless Chromium and keep a screenshot of each.

The screenshots go to docs/screenshots/<url_path>.png (the README's gallery). By default
the walk runs on the generated console of tests/full_console.py (every job run once);
set BARBERPRO_SCREENSHOT_DB to a copy of the demo database (`make run`'s
data/barberpro.db) to refresh the gallery with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from core.config import Settings
from core.db import create_engine_for
from core.i18n import gettext
from core.ops.watchdog import evaluate_once
from core.schema import Tenant
from page_registry import PAGES
from tests import db_templates
from tests.e2e.harness import RunningApp, open_in_this_session, running_app, wait_for_idle

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def console(request, tmp_path_factory) -> Iterator[tuple[RunningApp, int]]:
    workdir: Path = tmp_path_factory.mktemp("walk")
    demo = os.environ.get("BARBERPRO_SCREENSHOT_DB")
    if demo:
        url = f"sqlite:///{demo}"
    else:
        # A copy: the watchdog rounds below write to it, and other modules share the original.
        url = f"sqlite:///{workdir / 'console.db'}"
        db_templates.copy_sqlite(
            Path(request.getfixturevalue("full_console_url").removeprefix("sqlite:///")),
            workdir / "console.db",
        )
    engine = create_engine_for(url)
    with Session(engine) as session:
        tenant_id = session.scalar(
            select(Tenant.id).where(Tenant.status == "active").order_by(Tenant.id).limit(1)
        )
    # Two real watchdog rounds (no scheduler runs here: it goes critical, with incidents),
    # so the System status page is walked, and pictured, with monitors and incidents.
    settings = replace(Settings.from_env(), database_url=url, data_dir=workdir)
    for seconds in (40, 5):
        evaluate_once(engine, settings, at=now() - timedelta(seconds=seconds))
    engine.dispose()
    # On the demo copy nothing refreshes during the walk: a long interval keeps the
    # gallery free of the "stale data" notice a real stall would rightly show.
    env = {"BARBERPRO_REFRESH_INTERVAL_S": "3600"} if demo else None
    with running_app(url, env, workdir=workdir) as app:
        yield app, int(tenant_id)


def _address(app: RunningApp, url_path: str, default: bool, tenant_id: int) -> str:
    path = "" if default else url_path
    query = ""
    if url_path == "tenant-360":
        query = f"?tenant={tenant_id}"
    return f"{app.url}/{path}{query}"


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_in_the_browser(console, module_page, spec):
    # One signed-in tab walks every page, as the sidebar does: each page after the first
    # runs in the open session (harness.open_in_this_session), so the server's session and
    # its warm caches carry over. A page load with a new session for each cost about three
    # times as much (test_production_postgres.py measured the same); every page's deep link
    # (a page load of its own) is test_executive_overview.py's and the bad links' below.
    app, tenant_id = console
    page = module_page
    address = _address(app, spec.url_path, spec.default, tenant_id)
    if page.url.startswith(app.url) and "?" not in address:
        open_in_this_session(page, address)
    else:  # the first page, and Tenant 360 with its ?tenant= (a link, as the directory's)
        page.goto(address)
    title = gettext(spec.title, "es_AR")
    # The heading names this page, so it is not the previous one's; waiting for idle after
    # it waits for the end of this page's run.
    expect(page.get_by_role("heading", level=1).first).to_contain_text(title, timeout=90_000)
    wait_for_idle(page, timeout_ms=90_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # Charts load lazily: wait until no placeholder skeleton is left, then for each drawing.
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=90_000)
    charts = page.get_by_test_id("stPlotlyChart")
    for index in range(charts.count()):  # plotly.js loads lazily: wait for every drawing
        expect(charts.nth(index).locator(".main-svg").first).to_be_attached(timeout=60_000)
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{spec.url_path}.png"), full_page=True, timeout=90_000)


def test_english_is_one_click_away(console, page):
    app, _tenant = console
    page.goto(f"{app.url}/?lang=en")
    wait_for_idle(page, timeout_ms=90_000)
    expect(page.get_by_role("heading", level=1).first).to_contain_text("Executive Overview")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Language")


# The links of issue 15 that used to show a traceback: non-ASCII digits, ids that overflow
# the database's integers, a day before the calendar's plausible range.
BAD_LINKS = {
    "tenant-superscript": ("tenant-360", "tenant=%C2%B2"),
    "session-superscript": ("onboarding-wizard", "session=%C2%B2"),
    "session-25-digits": ("onboarding-wizard", "session=" + "1" * 25),
    "alert-25-digits": ("triage", "alert=" + "1" * 25),
    "from-year-one": ("revenue", "from=0001-01-01&to=9999-12-31"),
    "partner-25-digits": ("partners", "partner=" + "1" * 25),
    "tenant-markdown-link": ("tenant-360", "tenant=%5Bx%5D(https%3A%2F%2Fexample.com)"),
}


@pytest.mark.parametrize("link", BAD_LINKS.values(), ids=list(BAD_LINKS))
def test_a_bad_link_is_a_message_not_a_traceback(console, page, link):
    app, _tenant = console
    url_path, query = link
    log_size = app.log_path.stat().st_size
    page.goto(f"{app.url}/{url_path}?{query}")
    wait_for_idle(page, timeout_ms=90_000)
    alerts = page.locator("[data-testid='stAlertContainer']")
    expect(alerts.first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Error:" not in body, body[:2000]
    # A link is never followed from a message: the markdown in it shows as text.
    assert page.locator("[data-testid='stAlertContainer'] a").count() == 0
    with app.log_path.open("rb") as log:
        log.seek(log_size)
        added = log.read().decode(errors="replace")
    assert "incident" not in added and "Traceback" not in added, added[-2000:]
