"""The whole pipeline in a real browser: generated data, the live simulator, the embedded
scheduler's refresh, and the Executive Overview picking up each new snapshot unaided."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from core.clock import now
from core.db import create_engine_for
from core.i18n import gettext
from data.simulate import Simulator
from tests.e2e.harness import ROOT, running_app, wait_for_idle

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect

REFRESH_S = 3


@dataclass(frozen=True)
class LiveConsole:
    url: str
    db_url: str


# "snapshot v42" in the status line, in the console's default language.
SNAPSHOT_VERSION = re.compile(
    re.escape(
        gettext("Data as of {when} ({age}) · snapshot v{version}", "es_AR").split("{when}")[0]
    )
    + r".*?v(\d+)"
)


@pytest.fixture(scope="module")
def live_console(tmp_path_factory) -> Iterator[LiveConsole]:  # type: ignore[no-untyped-def]
    workdir: Path = tmp_path_factory.mktemp("live")
    db_url = f"sqlite:///{workdir / 'live.db'}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "data.generate",
            "--tenants",
            "12",
            "--months",
            "2",
            "--seed",
            "3",
            "--database-url",
            db_url,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    simulator = subprocess.Popen(
        [sys.executable, "-m", "data.simulate", "--rate", "900", "--database-url", db_url],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        "BARBERPRO_EMBEDDED_SCHEDULER": "true",
        "BARBERPRO_REFRESH_INTERVAL_S": str(REFRESH_S),
    }
    try:
        with running_app(db_url, env, workdir=workdir) as app:
            yield LiveConsole(url=app.url, db_url=db_url)
    finally:
        simulator.terminate()
        simulator.wait(timeout=20)


def _version(page) -> int:  # type: ignore[no-untyped-def]
    caption = page.get_by_text(SNAPSHOT_VERSION).first
    expect(caption).to_be_visible(timeout=60_000)
    match = SNAPSHOT_VERSION.search(caption.inner_text())
    assert match is not None
    return int(match.group(1))


def test_numbers_move_with_each_refresh_of_live_activity(live_console, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_console.url)
    # The first snapshot comes from the embedded scheduler's first run, seconds after start.
    wait_for_idle(page, timeout_ms=60_000)
    tiles = page.get_by_test_id("stMetric")
    expect(tiles).to_have_count(6, timeout=60_000)
    expect(page.locator("[data-testid='stPlotlyChart'] .main-svg").first).to_be_visible()
    bookings = tiles.nth(2).get_by_test_id("stMetricValue")
    first_version, first_bookings = _version(page), bookings.inner_text()

    # The background simulator runs on the wall clock, and at night no appointment is due
    # or walks in, so the 30-day tiles may rightly stand still. A burst of the same
    # simulator's activity at noon today makes sure today's bookings move, at any hour.
    noon = datetime.combine(now().date(), datetime.min.time()).replace(hour=12)
    engine = create_engine_for(live_console.db_url)
    Simulator(engine, seed=11).apply(300, at=noon)
    engine.dispose()

    # Without any reload, the next refreshes bring new snapshots with those bookings.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        if _version(page) > first_version and bookings.inner_text() != first_bookings:
            break
    assert _version(page) > first_version, "no new snapshot reached the page"
    assert bookings.inner_text() != first_bookings, "the bookings tile did not move"
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
