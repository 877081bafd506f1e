"""The first minutes of a fresh `make run`, as a new user meets them (issue 19, done-when 1).

Generates a small demo data set into an empty database, starts what `make run` starts
(the simulator, the standalone scheduler with every job on its real schedule, warm-up
delay included, and the console), then visits every page in headless Chromium once a
minute for ``BARBERPRO_SOAK_MINUTES`` (default 10). Every visit must show no exception,
no raw exception text ("database is locked", "OperationalError", a traceback) and must
not hang; the job runs of the whole soak must have no "database is locked" failure; and
once the health job's first run has ended, Customer Health must show its scores.

Marked ``soak``: `make soak` runs it, `make test` does not (about 12 minutes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.schema import JobRun, Tenant
from page_registry import PAGES
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, ROOT, running_app, session_cookie

pytestmark = pytest.mark.soak
sync_api = pytest.importorskip("playwright.sync_api", reason="the soak check needs playwright")

MINUTES = float(os.environ.get("BARBERPRO_SOAK_MINUTES", "10"))
# Text no page may show: a driver's error, a traceback, the lock the issue saw.
RAW_ERROR_TEXT = (
    "database is locked",
    "OperationalError",
    "Traceback",
    "sqlite3.",
    "psycopg.",  # a driver's module path; System status's setup hint names the URL scheme
    "sqlalchemy.",
)
PAGE_TIMEOUT_MS = 90_000
# How long after the soak the health job's first run may still take (a starved machine).
HEALTH_GRACE_S = 600.0


@dataclass
class Soak:
    findings: list[str] = field(default_factory=list)
    visits: int = 0
    rounds: int = 0
    health_filled_at: float | None = None


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An empty database, generated as `make demo-data`, with the simulator and the
    scheduler running as `make run` starts them; yields the URL and the logs' folder."""
    workdir = tmp_path_factory.mktemp("soak")
    url = f"sqlite:///{workdir / 'barberpro.db'}"
    env = {**os.environ, "BARBERPRO_DATABASE_URL": url, "BARBERPRO_DATA_DIR": str(workdir)}
    subprocess.run(
        [sys.executable, "-m", "data.generate", "--tenants", "12", "--months", "14", "--quiet"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    simulator = _start(["-m", "data.simulate"], env, workdir / "simulate.log")
    scheduler = _start(["scheduler.py"], env, workdir / "scheduler.log")
    try:
        yield url, workdir
    finally:
        _stop(scheduler)
        _stop(simulator)


def _address(base: str, url_path: str, default: bool, tenant_id: int) -> str:
    path = "" if default else url_path
    return f"{base}/{path}" + (f"?tenant={tenant_id}" if url_path == "tenant-360" else "")


def _wait_for_idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=PAGE_TIMEOUT_MS
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=PAGE_TIMEOUT_MS
    )
    page.wait_for_selector(
        "[data-testid='stStatusWidget']", state="hidden", timeout=PAGE_TIMEOUT_MS
    )


def _visit(page, address: str, soak: Soak, label: str) -> str:  # type: ignore[no-untyped-def]
    """Open ``address``; what it shows, after noting what it must not show."""
    soak.visits += 1
    started = time.monotonic()
    try:
        page.goto(address)
        _wait_for_idle(page)
    except sync_api.Error as error:
        soak.findings.append(f"{label}: did not finish in {PAGE_TIMEOUT_MS / 1000:.0f} s ({error})")
        return ""
    body = page.locator("body").inner_text()
    if page.get_by_test_id("stException").count():
        soak.findings.append(f"{label}: an exception box")
    for text in RAW_ERROR_TEXT:
        if text.lower() in body.lower():
            line = next(x for x in body.splitlines() if text.lower() in x.lower())
            soak.findings.append(f"{label}: shows {text!r}: {line[:300]}")
    if time.monotonic() - started > 30:
        soak.findings.append(f"{label}: took {time.monotonic() - started:.0f} s")
    return body


def _health_done(engine: Engine) -> bool:
    with Session(engine) as session:
        return (
            session.scalar(
                select(JobRun.id)
                .where(JobRun.job_id == "health_scores", JobRun.status == "success")
                .limit(1)
            )
            is not None
        )


def _customer_health_filled(page) -> bool:  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stMetric").count() > 0


@pytest.mark.timeout(int(MINUTES * 60 + HEALTH_GRACE_S + 900))
def test_the_first_minutes_of_a_fresh_run_are_calm(fresh_run: tuple[str, Path]) -> None:
    url, workdir = fresh_run
    engine = create_engine_for(url)
    with Session(engine) as session:
        tenant_id = int(
            session.scalar(select(Tenant.id).where(Tenant.status == "active").limit(1)) or 1
        )
    soak = Soak()
    # The console as `make run` starts it: its scheduler is the standalone one above.
    with (
        running_app(url, {"BARBERPRO_DATA_DIR": str(workdir)}, workdir=workdir) as app,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(
            viewport={"width": 1440, "height": 900},
            locale="es-AR",
            timezone_id="America/Argentina/Buenos_Aires",
        )
        context.add_cookies([session_cookie()])
        page = context.new_page()
        health = next(spec for spec in PAGES if spec.url_path == "customer-health")
        started = time.monotonic()
        while time.monotonic() - started < MINUTES * 60:
            round_started = time.monotonic()
            soak.rounds += 1
            for spec in PAGES:
                minute = (time.monotonic() - started) / 60
                label = f"minute {minute:.1f} {spec.url_path}"
                _visit(page, _address(app.url, spec.url_path, spec.default, tenant_id), soak, label)
                if (
                    spec is health
                    and soak.health_filled_at is None
                    and _customer_health_filled(page)
                ):
                    soak.health_filled_at = time.monotonic() - started
            print(f"round {soak.rounds}: {time.monotonic() - round_started:.0f} s", flush=True)
            time.sleep(max(0.0, 60 - (time.monotonic() - round_started)))
        # Customer Health is filled once the health job's first run has ended.
        deadline = time.monotonic() + HEALTH_GRACE_S
        while soak.health_filled_at is None and time.monotonic() < deadline:
            if _health_done(engine):
                _visit(page, _address(app.url, "customer-health", False, tenant_id), soak, "health")
                if _customer_health_filled(page):
                    soak.health_filled_at = time.monotonic() - started
                else:
                    soak.findings.append("Customer Health is empty after the health job ran")
                break
            time.sleep(10)
        browser.close()
        log = app.log_path.read_text(errors="replace")
    with Session(engine) as session:
        runs = session.execute(select(JobRun.job_id, JobRun.status, JobRun.error)).all()
    engine.dispose()
    locked = [f"{r.job_id}: {r.error}" for r in runs if "locked" in (r.error or "")]
    soak.findings += [f"job run failed: {text}" for text in locked]
    soak.findings += [f"console log: {line}" for line in log.splitlines() if "locked" in line]
    summary = (
        f"{soak.rounds} rounds, {soak.visits} visits, {len(runs)} job runs "
        f"({sum(r.status == 'failed' for r in runs)} failed); Customer Health filled at "
        f"{'never' if soak.health_filled_at is None else f'{soak.health_filled_at / 60:.1f} min'}"
    )
    print(summary)
    for finding in soak.findings:
        print("FINDING", finding)
    assert not soak.findings, summary + "\n" + "\n".join(soak.findings[:50])
    assert soak.health_filled_at is not None, summary
