"""The first-run warm-up (``core.jobs.first_run``, ``python -m data.warm``): on freshly
generated data it leaves a complete console, and the scheduler's first runs of every job
then find nothing to redo."""

from __future__ import annotations

import fcntl
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.console_state import console_state
from core.clock import now
from core.config import get_settings
from core.db import create_engine_for
from core.jobs.first_run import PHASES, Phase, WarmReport, _run_phase_in_pool, warm_console
from core.jobs.refresh import DETAIL_JOB_ID
from core.jobs.registry import JOBS
from core.jobs.runner import new_scheduler_id, run_recorded
from core.metrics.detail import FULL, discover_providers
from core.schema import JobRun
from data import warm
from data.generate import generate_demo_data
from tests import db_templates
from tests.conftest import CACHE_VARIABLE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

# The smallest set on which the health fits converge and the churn model has both classes
# (the same as tests/full_console.py).
TENANTS, MONTHS, SEED = 40, 14, 5
DETAIL_CADENCE_VARIABLE = "BARBERPRO_DETAIL_REFRESH_S"
# The jobs a scheduler starts with, in the order it reaches them.
SCHEDULER_JOBS = (
    "metrics_refresh",
    DETAIL_JOB_ID,
    "alert_rules",
    "health_scores",
    "churn_retrain",
    "churn_score",
)


@pytest.fixture(scope="module")
def warmed(tmp_path_factory: pytest.TempPathFactory):
    """A warmed console (its URL and the warm-up's report); each build is a copy.

    The warm-up itself runs once per `make test`: xdist may tear a module fixture down
    when a worker's queue runs dry and build it again, and the warm-up is the longest
    setup of the unit run (a minute or more of a worker), so the first build keeps the
    warmed file and its report in $BARBERPRO_TEST_CACHE, under a lock, for the others.
    """
    path = tmp_path_factory.mktemp("first_run") / "console.db"
    with pytest.MonkeyPatch.context() as patch:
        # The claim is "nothing recomputed before its cadence": on a loaded machine the
        # warm-up and these runs can outlast the default 300 s, which would then be due.
        patch.setenv(DETAIL_CADENCE_VARIABLE, "3600")
        yield f"sqlite:///{path}", _warmed_copy(path)


def _warmed_copy(path: Path) -> WarmReport:
    cache = os.environ.get(CACHE_VARIABLE)
    if not cache:
        return _warm(path)
    name = f"warmed-{TENANTS}t-{MONTHS}m-seed{SEED}-{now().date().isoformat()}"
    cached, saved = Path(cache) / f"{name}.db", Path(cache) / f"{name}.report.pickle"
    with open(Path(cache) / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder; the others wait, then copy
        if not cached.exists():
            report = _warm(path)
            saved.write_bytes(pickle.dumps(report))
            partial = cached.with_suffix(f".{os.getpid()}.part")
            db_templates.copy_sqlite(path, partial)
            partial.replace(cached)
            return report
    db_templates.copy_sqlite(cached, path)
    return pickle.loads(saved.read_bytes())


def _warm(path: Path) -> WarmReport:
    url = f"sqlite:///{path}"
    generate_demo_data(url, tenants=TENANTS, months=MONTHS, seed=SEED, today=now().date())
    return warm_console(url, scheduler_id=new_scheduler_id(), settings=get_settings(), workers=2)


def test_the_warm_up_runs_every_phase_and_leaves_a_complete_console(warmed) -> None:
    url, report = warmed
    assert [job.job_id for job in report.failed] == []
    assert sorted(job.job_id for job in report.jobs) == sorted(
        job_id for phase in PHASES for job_id in phase.job_ids
    )
    assert list(report.phases) == [phase.name for phase in PHASES]
    assert all(job.status == "success" for job in report.jobs)
    assert all(job.wall_s > 0 and job.cpu_s > 0 for job in report.jobs)
    engine = create_engine_for(url)
    try:
        with Session(engine) as session:
            state = console_state(
                session=session, today=now().date(), providers=discover_providers()
            )
            runs = session.scalars(select(JobRun).order_by(JobRun.id)).all()
    finally:
        engine.dispose()
    assert state.why_not == {}
    assert state.complete
    # Recorded as the scheduler records its runs, under one first-run id.
    assert len({run.scheduler_id for run in runs}) == 1
    assert [run.status for run in runs] == ["success"] * len(report.jobs)


def test_the_first_scheduler_runs_find_nothing_to_redo(warmed) -> None:
    url, _report = warmed
    engine = create_engine_for(url)
    specs = {spec.job_id: spec for spec in JOBS}
    scheduler = new_scheduler_id()
    try:
        runs = {
            job_id: run_recorded(engine, specs[job_id], scheduler, get_settings())
            for job_id in SCHEDULER_JOBS
        }
    finally:
        engine.dispose()
    assert all(run is not None and run.status in ("success", "skipped") for run in runs.values())
    # Incremental: only rows written since the warm-up's refresh are read, no rebuild.
    assert runs["metrics_refresh"].detail["kind"] == "incremental"
    frames = runs[DETAIL_JOB_ID]
    # No table is computed whole: kept ones are copied, incremental ones touch nothing.
    modes = (frames.detail or {}).get("modes", {})
    assert FULL not in modes.values(), modes
    for job_id in ("health_scores", "churn_retrain", "churn_score"):
        assert runs[job_id].status == "skipped", (job_id, runs[job_id].detail)
    assert runs["health_scores"].detail["reason"] == "today is up to date"


def test_the_command_line_warms_nothing_twice_and_answers_bad_input_in_one_line(
    warmed, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _report = warmed
    assert warm.main(["--database-url", url, "--workers", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "first run computed in" in out
    # Every model job a second time is a recorded skip: nothing is computed again.
    for job_id in ("health_scores", "churn_retrain"):
        line = next(line for line in out.splitlines() if line.split()[:1] == [job_id])
        assert line.split()[1] == "skipped", line

    assert warm.main(["--workers", "0"]) == warm.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "--workers must be between 1 and" in err


def test_an_empty_database_has_nothing_to_warm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert warm.main(["--database-url", url, "--quiet"]) == 0
    assert "has no tenants yet; nothing to warm" in capsys.readouterr().out


def test_a_dead_worker_process_leaves_its_jobs_to_be_run_here(tmp_path: Path) -> None:
    # A worker killed (out of memory, a signal) breaks the whole pool: nothing more can be
    # handed to it, so the phase says which jobs are undone and warm_console runs them in
    # its own process instead of losing them.
    pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
    try:
        with pytest.raises(BrokenProcessPool):
            pool.submit(os._exit, 1).result(timeout=60)
        report = WarmReport()
        phase = Phase("both", ("alert_rules", "metrics_refresh"))
        undone = _run_phase_in_pool(
            pool, phase, f"sqlite:///{tmp_path / 'x.db'}", "s", get_settings(), report, None, None
        )
    finally:
        pool.shutdown(wait=False)
    assert undone == ("alert_rules", "metrics_refresh") and report.jobs == []
