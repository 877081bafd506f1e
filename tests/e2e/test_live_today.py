"""Live you can see (issue 18): the console as ``make run`` starts it, at its real pace.

The simulator writes activity, the embedded scheduler refreshes every 30 s, and the
Executive Overview, watched for at most 65 s without any reload, shows a "today so far"
figure change; the age on the status line ticks in the browser between reruns.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import create_engine_for
from core.i18n import gettext
from core.metrics.refresh import refresh_metrics
from core.metrics.registry import TODAY_SO_FAR
from tests.e2e.harness import (
    LIVE_DATA_SET,
    ROOT,
    SNAPSHOT_VERSION,
    RunningApp,
    running_app,
    wait_for_idle,
)
from tests.generated_data import generated_copy

pytestmark = [pytest.mark.e2e, pytest.mark.clock]
expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect

REFRESH_S = 30  # the console's default: what a user of `make run` gets
WATCH_S = 65


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[RunningApp]:  # type: ignore[no-untyped-def]
    workdir: Path = tmp_path_factory.mktemp("live_today")
    # The live consoles' data set, generated once per `make test` (tests/generated_data.py).
    db_url = generated_copy(workdir / "live.db", **LIVE_DATA_SET)
    # The first snapshot before the server starts (as `make run`'s data step may do), so
    # the watch starts on a page with numbers; from then on only the scheduler writes.
    engine = create_engine_for(db_url)
    refresh_metrics(engine)
    engine.dispose()
    simulator = subprocess.Popen(
        [sys.executable, "-m", "data.simulate", "--rate", "600", "--database-url", db_url],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        "BARBERPRO_EMBEDDED_SCHEDULER": "true",
        "BARBERPRO_REFRESH_INTERVAL_S": str(REFRESH_S),
        # The model jobs are not what this test watches: keep the 2 cores for the rest.
        "BARBERPRO_MODEL_JOBS_DELAY_S": "3600",
    }
    try:
        with running_app(db_url, env, workdir=workdir) as app:
            yield app
    finally:
        simulator.terminate()
        simulator.wait(timeout=20)


def _version(page) -> int:  # type: ignore[no-untyped-def]
    caption = page.get_by_text(SNAPSHOT_VERSION).first
    match = SNAPSHOT_VERSION.search(caption.inner_text())
    assert match is not None
    return int(match.group(1))


def _today_values(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    values = {}
    for metric in TODAY_SO_FAR.values():
        label = gettext(metric.label, "es_AR")
        tile = page.get_by_test_id("stMetric").filter(
            has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
        )
        values[metric.key] = tile.get_by_test_id("stMetricValue").inner_text()
    return values


def test_a_today_figure_moves_within_65_s_and_the_age_ticks(console, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(console.url)
    wait_for_idle(page, timeout_ms=120_000)
    # Six headline tiles and the six "today so far" tiles.
    expect(page.get_by_test_id("stMetric")).to_have_count(12, timeout=60_000)
    first_version, first = _version(page), _today_values(page)

    moved: dict[str, tuple[str, str]] = {}
    watched = time.monotonic()
    while time.monotonic() - watched < WATCH_S:
        page.wait_for_timeout(1000)
        now = _today_values(page)
        moved = {key: (first[key], now[key]) for key in first if now[key] != first[key]}
        if moved:
            break
    waited = time.monotonic() - watched
    print(f"\nv{first_version} -> v{_version(page)}; after {waited:.0f} s: {moved or first}")
    assert moved, f"no 'today so far' figure changed in {WATCH_S} s: {first}"

    # The age of a fresh snapshot reads in seconds and advances with no rerun: two reads
    # within one snapshot version differ.
    age = page.locator("[data-bp-tick='age']").first
    expect(age).to_have_text(re.compile(r"hace \d+ s"), timeout=5_000)
    version, before = _version(page), age.inner_text()
    page.wait_for_timeout(2_500)
    if _version(page) == version:  # a refresh in between would also change it
        assert age.inner_text() != before, "the age label did not tick between reruns"
    expect(page.get_by_test_id("stException")).to_have_count(0)
