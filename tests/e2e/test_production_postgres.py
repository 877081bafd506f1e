"""`make run-prod` on a fresh PostgreSQL database reaches a complete console, every job
of the pipeline writes its rows there, and every dashboard renders real content from it
in the browser.

The database is created empty, as the README's "Deploying on PostgreSQL" says; the demo
data is loaded in development mode (production refuses the generator), then the
production start of deploy/run_prod.py (what `make run-prod` runs) migrates and starts
the scheduler and the console. Nothing else touches the database: the console is
complete when the scheduler alone has run every job and refreshed the detail tables
after the models.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.i18n import gettext
from core.metrics.detail import DETAIL_KIND
from core.schema import (
    ChurnModelVersion,
    ChurnScore,
    CsAlert,
    HealthScore,
    JobRun,
    MetricSnapshot,
    SchedulerHeartbeat,
    SnapshotFrame,
)
from page_registry import PAGES
from tests.conftest import POSTGRES_URL_VARIABLE, postgres_url
from tests.e2e.harness import (
    ROOT,
    free_port,
    grant_test_session,
    open_in_this_session,
    wait_for_idle,
)

# The models train for minutes; the suite-wide 600 s limit is for ordinary tests.
pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(1800)]
expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect

# The smallest history on which the churn model trains and the alert rules fire.
TENANTS, MONTHS = 40, 14
MODEL_JOBS = ("health_scores", "churn_retrain", "alert_rules")
ONE_OFF_MODEL_JOBS = ("health_scores", "churn_retrain")
PIPELINE_JOBS = ("metrics_refresh", "dashboard_frames", *MODEL_JOBS)
COMPLETE_TIMEOUT_S = 900
DASHBOARDS = [spec for spec in PAGES if spec.section == "Dashboards"]
# What a page shows while its data is missing; a complete console shows none of them.
WAITING_NOTES = ("Se están calculando", "Calculando la primera", "no snapshot")


@dataclass(frozen=True)
class Production:
    url: str
    database_url: str
    process: subprocess.Popen  # type: ignore[type-arg]
    log_path: Path
    api_url: str = ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _admin(url: str):  # type: ignore[no-untyped-def]
    admin_url = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    return create_engine_for(admin_url).execution_options(isolation_level="AUTOCOMMIT")


def _fresh_database(base_url: str) -> str:
    """A new empty database beside the test one (CREATE DATABASE, as the README does)."""
    base = make_url(base_url)
    name = f"{base.database}_prod"
    admin = _admin(base_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BARBERPRO_")}
    return {**env, **extra}


def _console_is_complete(engine) -> bool:  # type: ignore[no-untyped-def]
    """Every model job succeeded, then the detail tables were recomputed after them."""
    with Session(engine) as session:
        runs = session.execute(
            select(JobRun.job_id, func.max(JobRun.finished_at))
            .where(JobRun.status == "success")
            .group_by(JobRun.job_id)
        ).all()
        finished = dict(runs)
        if not all(job in finished for job in MODEL_JOBS):
            return False
        # The alert rules run at every refresh, so only the once-a-while model jobs mark
        # "the models are done"; the detail tables must have been recomputed after them.
        models_done = max(finished[job] for job in ONE_OFF_MODEL_JOBS)
        return bool(
            session.scalar(
                select(func.count())
                .select_from(JobRun)
                .where(
                    JobRun.job_id == "dashboard_frames",
                    JobRun.status == "success",
                    JobRun.started_at > models_done,
                )
            )
        )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    base = postgres_url()
    if base is None:
        pytest.skip(f"the production test needs {POSTGRES_URL_VARIABLE}")
    workdir = tmp_path_factory.mktemp("run_prod")
    database_url = _fresh_database(base)
    generate = subprocess.run(
        [
            sys.executable,
            "-m",
            "data.generate",
            "--quiet",
            "--tenants",
            str(TENANTS),
            "--months",
            str(MONTHS),
            "--seed",
            "5",
            "--database-url",
            database_url,
        ],
        cwd=ROOT,
        env=_clean_env(BARBERPRO_ENV="development", BARBERPRO_DATA_DIR=str(workdir)),
        capture_output=True,
        text=True,
    )
    assert generate.returncode == 0, generate.stderr
    grant_test_session(database_url, "admin")  # the browser tests' session (harness.py)
    port = free_port()
    api_port = free_port()
    log_path = workdir / "run_prod.log"
    engine = create_engine_for(database_url)
    with open(log_path, "wb") as log:
        # No BARBERPRO_EMBEDDED_SCHEDULER: production's default must keep the console
        # from starting a second scheduler by itself.
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "deploy.run_prod",
                "--port",
                str(port),
                "--address",
                "127.0.0.1",
                "--api-port",
                str(api_port),
            ],
            cwd=ROOT,
            env=_clean_env(
                BARBERPRO_DATABASE_URL=database_url,
                BARBERPRO_DATA_DIR=str(workdir),
                # Short intervals only to keep the test short; the jobs are the real ones.
                # Not shorter: at 5 s the refresh and the alert rules ran back to back and
                # took a core of two from the models and the pages, slowing the whole test.
                BARBERPRO_REFRESH_INTERVAL_S="15",
                BARBERPRO_DETAIL_REFRESH_S="30",
                BARBERPRO_MODEL_JOBS_DELAY_S="10",
                # Production refuses to start without one (core/auth/production.py).
                BARBERPRO_COOKIE_SECRET=secrets.token_urlsafe(32),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    prod = Production(
        f"http://127.0.0.1:{port}", database_url, process, log_path, f"http://127.0.0.1:{api_port}"
    )
    try:
        deadline = time.monotonic() + COMPLETE_TIMEOUT_S
        while not (_healthy(prod.url) and _console_is_complete(engine)):
            assert process.poll() is None, f"run_prod exited:\n{prod.log_tail()}"
            assert time.monotonic() < deadline, f"console not complete:\n{prod.log_tail()}"
            time.sleep(2)
        yield prod
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        engine.dispose()
        _drop(database_url)


def test_the_api_runs_beside_the_console_without_public_docs(production: Production) -> None:
    """run_prod starts the JSON API on its own port; production hides /docs from
    anonymous callers (404, like an unknown path)."""
    with urllib.request.urlopen(f"{production.api_url}/api/health", timeout=10) as answer:
        assert answer.status == 200
    for path in ("/docs", "/openapi.json"):
        try:
            urllib.request.urlopen(f"{production.api_url}{path}", timeout=10)
        except urllib.error.HTTPError as refused:
            assert refused.code == 404, path
        else:
            raise AssertionError(f"{path} is served to anyone in production")


def test_one_standalone_scheduler_and_no_demo_activity(production: Production) -> None:
    engine = create_engine_for(production.database_url)
    try:
        with Session(engine) as session:
            modes = session.scalars(select(SchedulerHeartbeat.mode)).all()
    finally:
        engine.dispose()
    assert modes == ["standalone"]
    log = production.log_path.read_text(errors="replace")
    assert "run_prod: migrating the database" in log
    assert "simulating" not in log


@pytest.mark.parametrize("spec", DASHBOARDS, ids=[p.url_path for p in DASHBOARDS])
def test_dashboard_shows_real_content(production: Production, module_page, spec) -> None:  # type: ignore[no-untyped-def]
    # One signed-in tab for every dashboard: the first is a page load, the others are
    # opened in the same session as history navigation does, so the server's session and
    # its caches are reused (measured on one server: 12 dashboards in 32-35 s this way,
    # 100-160 s with a new browser context and session each).
    page = module_page
    address = f"{production.url}/{'' if spec.default else spec.url_path}"
    if page.url.startswith(production.url):
        open_in_this_session(page, address)
    else:
        page.goto(address)
    # The heading names this dashboard, so it is not the previous one's; waiting for idle
    # after it waits for the end of this page's run.
    expect(page.get_by_role("heading", level=1).first).to_contain_text(
        gettext(spec.title, "es_AR"), timeout=90_000
    )
    wait_for_idle(page, timeout_ms=90_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    body = page.get_by_test_id("stMain").inner_text()
    for note in WAITING_NOTES:
        assert note not in body, f"{spec.url_path} still waits: {note}"
    assert page.locator("[data-testid='stAlertContentError']").count() == 0, body[:2000]
    content = page.locator(
        "[data-testid='stMetric'], [data-testid='stPlotlyChart'], [data-testid='stDataFrame']"
    )
    assert content.count() > 0, f"{spec.url_path} shows no tile, chart or table"


def _count(session: Session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_every_job_ran_and_wrote_its_rows_on_postgres(production: Production) -> None:
    """The whole pipeline on PostgreSQL, run by the production scheduler itself (the
    SQLite twin is tests/full_console.py, used by the page tests)."""
    engine = create_engine_for(production.database_url)
    try:
        with Session(engine) as session:
            succeeded = set(
                session.scalars(select(JobRun.job_id).where(JobRun.status == "success"))
            )
            assert set(PIPELINE_JOBS) <= succeeded, set(PIPELINE_JOBS) - succeeded
            assert _count(session, MetricSnapshot, MetricSnapshot.kind != DETAIL_KIND) >= 1
            detail = session.scalar(
                select(func.max(MetricSnapshot.version)).where(MetricSnapshot.kind == DETAIL_KIND)
            )
            assert _count(session, SnapshotFrame, SnapshotFrame.version == detail) >= 10
            # Today's scores plus the missing history, for every active tenant.
            assert _count(session, HealthScore) > TENANTS
            assert _count(session, ChurnModelVersion) >= 1
            if _count(session, ChurnModelVersion, ChurnModelVersion.promoted.is_(True)):
                assert _count(session, ChurnScore) > 0
            # The rules open alerts for the riskiest tenants of the generated book.
            assert _count(session, CsAlert) > 0
    finally:
        engine.dispose()


def test_sigterm_stops_the_production_processes(production: Production) -> None:
    sent = time.monotonic()
    production.process.send_signal(signal.SIGTERM)
    code = production.process.wait(timeout=40)
    assert code == 0, production.log_tail()
    assert time.monotonic() - sent < 30
    assert "run_prod: stopped" in production.log_tail()
