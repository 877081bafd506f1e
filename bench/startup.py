"""First run and steady state of the whole console, as `make run` starts it.

`python -m bench startup --json PATH` generates the demo data into an empty database
(`python -m data.generate`, as `make demo-data`), computes the first run as `make warm`
does (`python -m data.warm`; `--no-warm` leaves it all to the scheduler), then starts
what `make run` starts that computes data, as separate processes: the simulator
(`python -m data.simulate`) and the scheduler (`python scheduler.py`, every registered
job with its real schedule, warm-up delay included). It watches the database, never
calling a job itself, so the figures measure what a user waits for:

- ``complete_console_s``: from the moment the generator exits (the last platform row is
  written) until every page's data is complete (``bench/console_state.py`` says what
  that means), target <= 300;
- ``detail_refresh_s``: median duration of the scheduler's ``dashboard_frames`` runs in
  steady state (each after 30 s of simulated activity), target <= 5;
- ``max_data_age_s``: the oldest any dashboard's data got while sampled every 2 s in
  steady state, target <= 60; data with a declared slower cadence (providers with their
  own ``cadence_s`` and no ``update``, the model jobs' outputs) is listed with its
  cadence in ``slower_cadence`` and not counted;
- ``restart_first_refresh_ratio``: the scheduler is stopped, restarted 30 s later, and
  the new process's first ``metrics_refresh`` + ``dashboard_frames`` are divided by the
  steady-state medians of the same two jobs, target <= 3;
- ``health_ms_per_tenant_day`` (``bench.health``) and ``features_all_tenants_s``
  (``bench.models``), measured on the same database once the processes are stopped.

Each figure is printed with its target and whether it is met; ``stages`` holds the first
run's job runs (start and duration from the generator's exit) and the moment each
completeness criterion was first met. ``--quick`` runs the same stages on a small data
set with short intervals (the suite's smoke test); its figures are not the targets'.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bench.console_state import CRITERIA, console_state, data_ages, slower_cadences
from bench.report import print_table, write_results
from core.clock import now
from core.config import PROJECT_ROOT
from core.db import create_engine_for
from core.metrics.detail import discover_providers
from core.schema import JobRun

POLL_S = 2.0
# The longest a phase waits past its length for the runs it needs (a starved machine).
GRACE_S = 600.0
RESTART_MODEL_DELAY_S = 120.0  # BARBERPRO_MODEL_JOBS_DELAY_S's default
TARGETS = {
    "complete_console_s": 300.0,
    "detail_refresh_s": 5.0,
    "max_data_age_s": 60.0,
    "health_ms_per_tenant_day": 10.0,
    "features_all_tenants_s": 1.0,
    "restart_first_refresh_ratio": 3.0,
}
# The first run's jobs, in the order a fresh scheduler reaches them.
STAGE_JOBS = (
    "metrics_refresh",
    "dashboard_frames",
    "alert_rules",
    "health_scores",
    "churn_retrain",
    "churn_score",
)


@dataclass(frozen=True)
class Scale:
    """What one run generates and how long it waits."""

    tenants: int
    months: int
    seed: int
    startup_timeout_s: float
    steady_s: float
    restart_gap_s: float
    # Settings the child processes get on top of the environment (quick runs only).
    env: dict[str, str]
    # Run `python -m data.warm` before the scheduler, as `make run` does.
    warm: bool = True


def _scale(args: argparse.Namespace) -> Scale:
    if args.quick:
        # Small and fast: the same stages, no warm-up delay, a 5-second refresh.
        return Scale(
            tenants=args.tenants or 6,
            months=args.months or 14,
            seed=args.seed,
            startup_timeout_s=args.timeout_s or 20.0,
            steady_s=args.steady_s or 8.0,
            restart_gap_s=3.0,
            env={
                "BARBERPRO_REFRESH_INTERVAL_S": "5",
                "BARBERPRO_MODEL_JOBS_DELAY_S": "0",
                "BARBERPRO_DETAIL_REFRESH_S": "30",
            },
        )
    return Scale(
        tenants=args.tenants or 250,
        months=args.months or 18,
        seed=args.seed,
        startup_timeout_s=args.timeout_s or 3600.0,
        steady_s=args.steady_s or 300.0,
        restart_gap_s=30.0,
        env={},
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="small data set: a smoke test")
    parser.add_argument("--tenants", type=int, default=None, help="default 250 (quick: 6)")
    parser.add_argument("--months", type=int, default=None, help="default 18 (quick: 14)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=PROJECT_ROOT / "bench" / "results" / "startup",
        help="emptied first; holds the database and the processes' logs",
    )
    parser.add_argument("--timeout-s", type=float, default=None, help="longest first run")
    parser.add_argument(
        "--no-warm",
        action="store_true",
        help="no `python -m data.warm` before the scheduler: it computes the first run alone",
    )
    parser.add_argument("--steady-s", type=float, default=None, help="steady-state window")


class Console:
    """The simulator and the scheduler as `make run` starts them, on one database."""

    def __init__(self, url: str, workdir: Path, env: dict[str, str]) -> None:
        self.url, self.workdir = url, workdir
        self.env = {
            **os.environ,
            "BARBERPRO_DATABASE_URL": url,
            "BARBERPRO_DATA_DIR": str(workdir / "data"),
            **env,
        }
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.simulator: subprocess.Popen[bytes] | None = None
        self._starts = 0

    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, *argv],
            cwd=PROJECT_ROOT,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=log,
        )

    def warm(self) -> float:
        """Run the first-run warm-up as `make warm` does (log: warm.log); its seconds."""
        started = time.perf_counter()
        with (self.workdir / "warm.log").open("ab") as log:
            subprocess.run(
                [sys.executable, "-m", "data.warm", "--database-url", self.url, "--quiet"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                check=False,  # a failed job is the scheduler's to retry: the bench watches
            )
        return time.perf_counter() - started

    def start_simulator(self, seed: int) -> None:
        self.simulator = self._spawn("simulator", ["-m", "data.simulate", "--seed", str(seed)])

    def start_scheduler(self, **env: str) -> None:
        self._starts += 1
        self.scheduler = self._spawn(f"scheduler-{self._starts}", ["scheduler.py"], env)

    def check_alive(self) -> None:
        for name, process in (("scheduler", self.scheduler), ("simulator", self.simulator)):
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"the {name} exited with {process.returncode}: see {self.workdir}/*.log"
                )

    def stop_scheduler(self) -> None:
        _stop(self.scheduler)
        self.scheduler = None

    def stop(self) -> None:
        _stop(self.scheduler)
        _stop(self.simulator)
        self.scheduler = self.simulator = None


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()  # the scheduler stops its jobs and records them (scheduler.py)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _generate(url: str, scale: Scale) -> float:
    """Generate the demo data as `make demo-data` does; seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "data.generate",
            "--tenants",
            str(scale.tenants),
            "--months",
            str(scale.months),
            "--seed",
            str(scale.seed),
            "--database-url",
            url,
            "--quiet",
        ],
        check=True,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _runs(engine: Engine, since: datetime, job_id: str | None = None) -> list[JobRun]:
    """Finished job runs that started at or after ``since``, oldest first."""
    query = select(JobRun).where(JobRun.started_at >= since, JobRun.finished_at.is_not(None))
    if job_id is not None:
        query = query.where(JobRun.job_id == job_id)
    with Session(engine) as session:
        return list(session.scalars(query.order_by(JobRun.started_at)))


def _seconds(run: JobRun) -> float:
    assert run.finished_at is not None
    return (run.finished_at - run.started_at).total_seconds()


def _watch_first_run(
    engine: Engine, console: Console, t0: datetime, timeout_s: float
) -> dict[str, Any]:
    """Poll until every criterion holds at once; when each was first met (s after t0).

    Gives up after ``timeout_s``, but not before the first metrics snapshot (at most
    ``GRACE_S`` more): on a starved machine the scheduler may take a minute to start,
    and the later phases need it running.
    """
    providers = discover_providers()
    first_met: dict[str, float] = {}
    last_why: dict[str, str] = {}
    complete_s: float | None = None
    while (elapsed := (now() - t0).total_seconds()) < timeout_s + GRACE_S:
        console.check_alive()
        with Session(engine) as session:
            state = console_state(session=session, today=now().date(), providers=providers)
        for name, met in state.met.items():
            if met:
                first_met.setdefault(name, round(elapsed, 1))
        last_why = state.why_not
        if state.complete:
            complete_s = elapsed
            break
        if elapsed >= timeout_s and state.met["metrics"]:
            break
        time.sleep(POLL_S)
    return {"complete_s": complete_s, "first_met_s": first_met, "unmet": last_why}


def _stages(engine: Engine, t0: datetime, until: datetime) -> dict[str, Any]:
    """Per job of the first run: its first run's start and duration (s after t0), and
    how many runs it made until the console was complete."""
    stages: dict[str, Any] = {}
    runs = [run for run in _runs(engine, t0) if run.started_at <= until]
    for job_id in STAGE_JOBS:
        mine = [run for run in runs if run.job_id == job_id]
        if not mine:
            stages[job_id] = None
            continue
        first = mine[0]
        stages[job_id] = {
            "first_started_s": round((first.started_at - t0).total_seconds(), 1),
            "first_duration_s": round(_seconds(first), 1),
            "first_status": first.status,
            "first_error": (first.error or "").splitlines()[0][:200] if first.error else None,
            "runs": len(mine),
            "busy_s": round(sum(_seconds(run) for run in mine), 1),
        }
    return stages


def _watch_steady(engine: Engine, console: Console, steady_s: float) -> dict[str, Any]:
    """Sample every source's data age for ``steady_s`` (longer, up to ``GRACE_S``, until
    each refresh job has run in the window); the refresh jobs' durations."""
    providers = discover_providers()
    slower = slower_cadences(providers)
    start = now()
    oldest: dict[str, float | None] = {}
    while (elapsed := (now() - start).total_seconds()) < steady_s + GRACE_S:
        if elapsed >= steady_s and all(
            any(r.status == "success" for r in _runs(engine, start, job_id))
            for job_id in ("metrics_refresh", "dashboard_frames")
        ):
            break  # the window is over and holds a run of each refresh job
        console.check_alive()
        at = now()
        with Session(engine) as session:
            ages = data_ages(session=session, at=at, providers=providers)
        for source, age in ages.items():
            before = oldest.get(source)
            oldest[source] = None if age is None else max(age, before or 0.0)
        time.sleep(POLL_S)
    counted = {k: v for k, v in oldest.items() if k not in slower}
    missing = sorted(k for k, v in counted.items() if v is None)
    ages_known = [v for v in counted.values() if v is not None]
    detail = [
        _seconds(r) for r in _runs(engine, start, "dashboard_frames") if r.status == "success"
    ]
    refresh = [
        _seconds(r) for r in _runs(engine, start, "metrics_refresh") if r.status == "success"
    ]
    return {
        "max_data_age_s": None if missing or not ages_known else max(ages_known),
        "data_age_max_s": {k: None if v is None else round(v, 1) for k, v in oldest.items()},
        "data_missing": missing,
        "slower_cadence_s": slower,
        "detail_runs_s": [round(s, 3) for s in detail],
        "refresh_runs_s": [round(s, 3) for s in refresh],
        "detail_refresh_s": statistics.median(detail) if detail else None,
        "metrics_refresh_s": statistics.median(refresh) if refresh else None,
    }


def _restart(engine: Engine, console: Console, gap_s: float, timeout_s: float) -> dict[str, Any]:
    """Stop the scheduler, start a new one ``gap_s`` later; its first refresh's cost."""
    console.stop_scheduler()
    time.sleep(gap_s)  # the simulator goes on writing meanwhile
    restarted = now()
    # The model jobs wait their warm-up as after any restart of `make run` (a quick run
    # starts them at once the first time only).
    console.start_scheduler(BARBERPRO_MODEL_JOBS_DELAY_S=str(RESTART_MODEL_DELAY_S))
    firsts: dict[str, float] = {}
    while len(firsts) < 2 and (now() - restarted).total_seconds() < timeout_s:
        console.check_alive()
        for job_id in ("metrics_refresh", "dashboard_frames"):
            done = [r for r in _runs(engine, restarted, job_id) if r.status == "success"]
            if done and job_id not in firsts:
                firsts[job_id] = _seconds(done[0])
        time.sleep(POLL_S)
    return {"restart_first_runs_s": firsts}


def _model_figures(engine: Engine) -> dict[str, Any]:
    from bench.health import health_ms_per_tenant_day
    from bench.models import features_all_tenants_s

    figures = dict(health_ms_per_tenant_day(engine, today=now().date()))
    figures["features_all_tenants_s"] = features_all_tenants_s(engine, now())
    return figures


def _verdicts(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {
            "value": figures.get(name),
            "target": target,
            "met": figures.get(name) is not None and figures[name] <= target,
        }
        for name, target in TARGETS.items()
    }


def measure(scale: Scale, workdir: Path, *, partial_json: str | None = None) -> dict[str, Any]:
    """Run the whole benchmark in ``workdir`` (emptied first); the figures.

    With ``partial_json``, what is measured so far is written there after each phase, so
    a long run that fails late keeps its first-run figures.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "data").mkdir(parents=True)
    url = f"sqlite:///{workdir / 'console.db'}"
    print(f"generating {scale.tenants} tenants x {scale.months} months ...", flush=True)
    generation_s = _generate(url, scale)
    t0 = now()  # the last platform row is written: the clock of complete_console_s starts
    console = Console(url, workdir, scale.env)
    engine = create_engine_for(url)
    try:
        warm_s = None
        if scale.warm:
            print("first run: python -m data.warm ...", flush=True)
            warm_s = round(console.warm(), 1)
        console.start_simulator(scale.seed)
        console.start_scheduler()
        print("first run: waiting for a complete console ...", flush=True)
        first = _watch_first_run(engine, console, t0, scale.startup_timeout_s)
        stages = _stages(engine, t0, now())
        first["warm_s"] = warm_s
        write_results(partial_json, {"generation_s": generation_s, "first": first, "jobs": stages})
        print("steady state ...", flush=True)
        steady = _watch_steady(engine, console, scale.steady_s)
        write_results(
            partial_json,
            {"generation_s": generation_s, "first": first, "jobs": stages, "steady": steady},
        )
        print("restart ...", flush=True)
        restart = _restart(
            engine, console, scale.restart_gap_s, max(scale.startup_timeout_s, 300.0)
        )
    finally:
        console.stop()
    models = _model_figures(engine)
    engine.dispose()
    firsts = restart["restart_first_runs_s"]
    steady_pair = (steady["metrics_refresh_s"], steady["detail_refresh_s"])
    ratio = (
        sum(firsts.values()) / sum(steady_pair)
        if len(firsts) == 2 and None not in steady_pair
        else None
    )
    figures: dict[str, Any] = {
        "complete_console_s": first["complete_s"],
        "detail_refresh_s": steady["detail_refresh_s"],
        "max_data_age_s": steady["max_data_age_s"],
        "health_ms_per_tenant_day": models["health_ms_per_tenant_day"],
        "features_all_tenants_s": models["features_all_tenants_s"],
        "restart_first_refresh_ratio": ratio,
    }
    return {
        **figures,
        "targets": _verdicts(figures),
        "scale": {"tenants": scale.tenants, "months": scale.months, "seed": scale.seed},
        "generation_s": generation_s,
        "stages": {
            "warm_s": first.get("warm_s"),
            "criteria_first_met_s": first["first_met_s"],
            "unmet_at_timeout": first["unmet"],
            "jobs": stages,
        },
        "steady": steady,
        "restart": {**restart, "steady_refresh_s": steady_pair},
        "models": models,
    }


def _stage_line(stage: dict[str, Any] | None) -> str:
    if stage is None:
        return "no run"
    line = (
        f"start {stage['first_started_s']} s, took {stage['first_duration_s']} s "
        f"({stage['first_status']}), {stage['runs']} runs"
    )
    return line + (f": {stage['first_error']}" if stage["first_error"] else "")


def run(args: argparse.Namespace) -> int:
    scale = replace(_scale(args), warm=not args.no_warm)
    # A terminated benchmark still stops the scheduler and the simulator it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = measure(scale, args.workdir, partial_json=args.json)
    rows: list[tuple[str, object]] = [
        ("generation_s (before the clock starts)", results["generation_s"]),
        ("first run: data.warm s (0 = --no-warm)", results["stages"]["warm_s"] or 0),
    ]
    for name, verdict in results["targets"].items():
        value = verdict["value"]
        shown = "not reached" if value is None else value
        rows.append((f"{name} (target <= {verdict['target']:g})", shown))
        rows.append(("  met", verdict["met"]))
    for criterion in CRITERIA:
        rows.append(
            (
                f"first run: {criterion} at s",
                results["stages"]["criteria_first_met_s"].get(criterion),
            )
        )
    for criterion, why in results["stages"]["unmet_at_timeout"].items():
        rows.append((f"first run: {criterion} NOT met", why))
    for job_id, stage in results["stages"]["jobs"].items():
        rows.append((f"first run: {job_id}", _stage_line(stage)))
    for label, cadence in results["steady"]["slower_cadence_s"].items():
        age = results["steady"]["data_age_max_s"].get(label)
        rows.append((f"slower cadence: {label}", f"every {cadence:g} s (max age {age})"))
    title = "startup benchmark" + (" (--quick: smoke test, not the targets)" if args.quick else "")
    print_table(title, rows)
    write_results(args.json, results)
    return 0
