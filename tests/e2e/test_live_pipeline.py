"""The whole pipeline in a real browser: generated data, the live simulator, the embedded
scheduler's refresh, and the Executive Overview picking up each new snapshot unaided."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.clock import now
from core.db import create_engine_for
from core.i18n import gettext
from data.simulate import Simulator
from tests.e2e.harness import LIVE_DATA_SET, ROOT, SNAPSHOT_VERSION, running_app, wait_for_idle
from tests.generated_data import generated_copy

pytestmark = [pytest.mark.e2e, pytest.mark.clock]
expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect

REFRESH_S = 3


@dataclass(frozen=True)
class LiveConsole:
    url: str
    db_url: str


@pytest.fixture(scope="module")
def live_console(tmp_path_factory) -> Iterator[LiveConsole]:  # type: ignore[no-untyped-def]
    workdir: Path = tmp_path_factory.mktemp("live")
    # The live consoles' data set, generated once per `make test` (tests/generated_data.py).
    db_url = generated_copy(workdir / "live.db", **LIVE_DATA_SET)
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


def _today_tile(page, label_msgid: str):  # type: ignore[no-untyped-def]
    label = gettext(label_msgid, "es_AR")
    return (
        page.get_by_test_id("stMetric")
        .filter(has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
        .get_by_test_id("stMetricValue")
    )


def test_numbers_move_with_each_refresh_of_live_activity(live_console, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_console.url)
    # The first snapshot comes from the embedded scheduler's first run, seconds after start.
    wait_for_idle(page, timeout_ms=60_000)
    tiles = page.get_by_test_id("stMetric")
    # Six headline tiles and the six "today so far" tiles.
    expect(tiles).to_have_count(12, timeout=60_000)
    expect(page.locator("[data-testid='stPlotlyChart'] .main-svg").first).to_be_visible()
    made_today = _today_tile(page, "Bookings made today")
    first_version, first_made = _version(page), made_today.inner_text()

    # The 30-day tiles count appointments by the day they start, and at night or on a day
    # every business is closed (Monday 2026-12-07 was a bridge holiday) nothing new starts
    # today, so they rightly stand still. Bookings *made* today move at any hour: every
    # simulated batch books clients into the next open days. A burst of the simulator's
    # own activity, stamped now (never in the future), makes sure there are some.
    engine = create_engine_for(live_console.db_url)
    counts = Simulator(engine, seed=11).apply(300, at=now())
    engine.dispose()
    assert counts.new_bookings > 0, "the simulator booked nothing: no business opens in 3 weeks?"

    # Without any reload, the next refreshes bring new snapshots with those bookings.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        if _version(page) > first_version and made_today.inner_text() != first_made:
            break
    assert _version(page) > first_version, "no new snapshot reached the page"
    assert made_today.inner_text() != first_made, "the bookings-made-today tile did not move"
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
