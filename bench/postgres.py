"""Every scheduler job on PostgreSQL and on SQLite, from empty and in steady state.

`python -m bench postgres --json PATH [--tenants N --months M]` generates the demo data
(default scale unless told) into a PostgreSQL database (BARBERPRO_BENCH_POSTGRES_URL,
default the local socket and database barberpro_bench, created if missing, server
settings left as they are) and into a fresh SQLite file, runs every job once from empty,
then in steady state (after 30 s worth of simulated activity on each) ``--rounds`` times
per job, the two backends alternately, keeping the median; finally it times how long
`python scheduler.py` takes to exit after SIGTERM while a job runs. ``--steady-only``
repeats the steady-state part on the databases of the last full run (its --json file
gives the first-run figures).
Targets (issue 11): every job finishes on PostgreSQL; max_postgres_over_sqlite <= 2;
scheduler_stop_s <= 10.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.report import print_table, write_results
from core.config import PROJECT_ROOT, get_settings
from core.db import create_engine_for
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.schema import JobRun

DEFAULT_POSTGRES_URL = "postgresql+psycopg:///barberpro_bench?host=/var/run/postgresql"
RESULTS = PROJECT_ROOT / "bench" / "results"
# A fresh scheduler's order: metrics first, then the models, then what reads them.
JOB_ORDER = (
    "metrics_refresh",
    "health_scores",
    "churn_retrain",
    "churn_score",
    "alert_rules",
    "dashboard_frames",
    "prune_job_runs",
    "backup_nightly",
    "backup_drill",
)
# Scoring has nothing to do when the first model on a short history is not promoted.
MAY_SKIP = {"churn_score", "backup_drill"}  # a drill waits for a backup not yet drilled
# In steady state the daily models are not due again (their scores are today's): the
# skip is what the scheduler's hourly run costs, and the status is reported.
MAY_SKIP_STEADY = {
    "churn_score",
    "health_scores",
    "churn_retrain",
    "backup_nightly",  # a backup under an hour old
    "backup_drill",
}
# Below this, a job's time is connection and bookkeeping noise; ratios use it as a floor
# so a 3 ms vs 9 ms difference does not read as "3x slower".
RATIO_FLOOR_S = 0.1
STEADY_EVENTS = 60  # 30 s of activity at the simulator's default 120 events/min
STOP_WAIT_S = 60.0
POSTGRES_SETTINGS = ("work_mem", "shared_buffers", "max_connections", "statement_timeout")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--tenants", type=int, default=250, help="demo tenants (default 250)")
    parser.add_argument("--months", type=int, default=18, help="months of history (default 18)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rounds", type=int, default=3, help="steady-state runs per job and backend (median)"
    )
    parser.add_argument(
        "--steady-only",
        action="store_true",
        help="reuse the last full run's databases and first-run figures (--json)",
    )
    parser.add_argument(
        "--sqlite-path",
        type=Path,
        default=RESULTS / "bench_postgres_sqlite.db",
        help="the SQLite side (regenerated each run)",
    )


def _previous_figures(args: argparse.Namespace) -> dict:
    """The figures of the full run whose databases ``--steady-only`` reuses."""
    import json

    if not args.json or not Path(args.json).exists() or not args.sqlite_path.exists():
        raise SystemExit(
            "bench postgres --steady-only: needs the full run's --json file and SQLite copy"
        )
    previous = json.loads(Path(args.json).read_text(encoding="utf-8"))
    if previous.get("scale") != {"tenants": args.tenants, "months": args.months, "seed": args.seed}:
        raise SystemExit("bench postgres --steady-only: the previous run had another scale")
    return previous


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it does not exist yet."""
    parsed = make_url(url)
    admin = create_engine_for(
        parsed.set(database="postgres").render_as_string(hide_password=False)
    ).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _generate(url: str, args: argparse.Namespace) -> float:
    from data.generate import generate_demo_data

    print(f"generating {args.tenants} tenants x {args.months} months into {url} ...", flush=True)
    started = time.perf_counter()
    # replace: a previous bench run's data goes; a database the generator did not fill is
    # refused (data.demo_guard), so a mistyped URL cannot empty real data.
    generate_demo_data(url, tenants=args.tenants, months=args.months, seed=args.seed, replace=True)
    return time.perf_counter() - started


def _run_one(engine: Engine, job_id: str, label: str) -> tuple[float, str]:
    """One recorded run of ``job_id``; a failure (or a skip where none is expected in
    ``label``'s phase) stops the bench."""
    spec = {spec.job_id: spec for spec in JOBS}[job_id]
    started = time.perf_counter()
    run = run_recorded(engine, spec, "bench", get_settings())
    seconds = time.perf_counter() - started
    status = run.status if run else "not recorded"
    print(f"  {label:<18} {job_id:<18} {status:<8} {seconds:8.2f} s", flush=True)
    may_skip = MAY_SKIP_STEADY if "steady" in label else MAY_SKIP
    ok = ("success", "skipped") if job_id in may_skip else ("success",)
    if status not in ok:
        raise SystemExit(f"bench postgres: {job_id} {status} on {label}: {run and run.error}")
    return seconds, status


def _run_jobs(
    engine: Engine, label: str, may_skip: set[str]
) -> tuple[dict[str, float], dict[str, str]]:
    """Each job once, as the scheduler records it; any failure stops the bench."""
    seconds: dict[str, float] = {}
    statuses: dict[str, str] = {}
    for job_id in JOB_ORDER:
        seconds[job_id], statuses[job_id] = _run_one(engine, job_id, label)
    return seconds, statuses


def _first_runs(url: str, label: str) -> dict[str, float]:
    """Every job once from empty (just after the data load), in the scheduler's order."""
    engine = create_engine_for(url)
    try:
        return _run_jobs(engine, f"{label} first", MAY_SKIP)[0]
    finally:
        engine.dispose()


def _steady_runs(
    urls: dict[str, str], seed: int, rounds: int
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, str]]]:
    """Steady state on both backends: 30 s of simulated activity on each, then each job
    ``rounds`` times, PostgreSQL and SQLite alternately, keeping the median. Alternating
    puts both under the same background load; measured one backend after the other on
    this shared 2-core machine, a busy minute made churn_retrain 3.6x slower on one side
    (261 s vs 73 s) although the same code takes 68 s vs 73 s back to back."""
    from data.simulate import Simulator

    engines = {label: create_engine_for(url) for label, url in urls.items()}
    samples: dict[str, dict[str, list[float]]] = {label: {} for label in urls}
    statuses: dict[str, dict[str, str]] = {label: {} for label in urls}
    try:
        for engine in engines.values():
            Simulator(engine, seed=seed).apply(STEADY_EVENTS)
        for job_id in JOB_ORDER:
            for turn in range(rounds):
                for label, engine in engines.items():
                    seconds, status = _run_one(engine, job_id, f"{label} steady {turn + 1}")
                    samples[label].setdefault(job_id, []).append(seconds)
                    statuses[label][job_id] = status
    finally:
        for engine in engines.values():
            engine.dispose()
    medians = {
        label: {job_id: float(np.median(values)) for job_id, values in jobs.items()}
        for label, jobs in samples.items()
    }
    return medians, statuses


def _running_job(engine: Engine) -> str | None:
    with Session(engine) as session:
        return session.scalar(
            select(JobRun.job_id)
            .where(JobRun.status == "running", JobRun.scheduler_id != "bench")
            .order_by(JobRun.id.desc())
            .limit(1)
        )


def scheduler_stop(url: str) -> dict[str, object]:
    """Seconds from SIGTERM to the exit of `python scheduler.py` while a job is running."""
    engine = create_engine_for(url)
    env = {
        **os.environ,
        "BARBERPRO_DATABASE_URL": url,
        "BARBERPRO_REFRESH_INTERVAL_S": "2",
        # Recompute the detail tables on every tick, so a long job is soon running.
        "BARBERPRO_DETAIL_REFRESH_S": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "scheduler.py"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    job = None
    try:
        deadline = time.monotonic() + 120
        while job is None and time.monotonic() < deadline and process.poll() is None:
            job = _running_job(engine)
            time.sleep(0.05)
        sent = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_WAIT_S)
            killed = False
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            killed = True
        stop_s = time.perf_counter() - sent
        time.sleep(1)
        with engine.connect() as conn:
            left = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state = 'active'"
                )
            ).scalar_one()
    finally:
        if process.poll() is None:
            process.kill()
        engine.dispose()
    return {
        "scheduler_stop_s": stop_s,
        "job_running_at_sigterm": job,
        "killed_after_s": STOP_WAIT_S if killed else None,
        "statements_left_running": int(left),
    }


def _postgres_settings(url: str) -> dict[str, str]:
    engine = create_engine_for(url)
    with engine.connect() as conn:
        values = {
            name: conn.execute(text(f"SHOW {name}")).scalar_one() for name in POSTGRES_SETTINGS
        }
        values["server_version"] = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return values


def run(args: argparse.Namespace) -> int:
    missing = set(spec.job_id for spec in JOBS) - set(JOB_ORDER)
    if missing:  # a new job must be benchmarked too, not silently skipped
        raise SystemExit(f"bench postgres: jobs not in JOB_ORDER: {sorted(missing)}")
    if os.environ.get("BARBERPRO_ENV", "").strip() == "production":
        raise SystemExit("bench postgres: loads demo data; run it with BARBERPRO_ENV unset")
    # Steady state recomputes the detail tables every run, as a due refresh does.
    os.environ["BARBERPRO_DETAIL_REFRESH_S"] = "1"
    pg_url = os.environ.get("BARBERPRO_BENCH_POSTGRES_URL", "").strip() or DEFAULT_POSTGRES_URL
    if make_url(pg_url).get_backend_name() != "postgresql":
        raise SystemExit("bench postgres: BARBERPRO_BENCH_POSTGRES_URL must be a postgresql URL")
    ensure_database(pg_url)
    args.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    if not args.steady_only:
        for leftover in args.sqlite_path.parent.glob(args.sqlite_path.name + "*"):
            leftover.unlink()
    sqlite_url = f"sqlite:///{args.sqlite_path}"

    urls = {"postgres": pg_url, "sqlite": sqlite_url}
    if args.steady_only:
        # The databases of the last full run, loaded and past their first runs; its
        # first-run figures are carried over from its JSON.
        previous = _previous_figures(args)
        generate_s = previous["generate_s"]
        pg_first = {k: v["postgres_first_s"] for k, v in previous["jobs"].items()}
        lite_first = {k: v["sqlite_first_s"] for k, v in previous["jobs"].items()}
    else:
        generate_s = {label: _generate(url, args) for label, url in urls.items()}
        pg_first = _first_runs(pg_url, "postgres")
        lite_first = _first_runs(sqlite_url, "sqlite")
    steady, status = _steady_runs(urls, args.seed, args.rounds)
    pg_steady, lite_steady = steady["postgres"], steady["sqlite"]
    pg_status, lite_status = status["postgres"], status["sqlite"]
    stop = scheduler_stop(pg_url)

    jobs = {
        job_id: {
            "sqlite_first_s": round(lite_first[job_id], 3),
            "postgres_first_s": round(pg_first[job_id], 3),
            "sqlite_steady_s": round(lite_steady[job_id], 3),
            "postgres_steady_s": round(pg_steady[job_id], 3),
            "sqlite_steady_status": lite_status[job_id],
            "postgres_steady_status": pg_status[job_id],
            "first_ratio": round(
                max(pg_first[job_id], RATIO_FLOOR_S) / max(lite_first[job_id], RATIO_FLOOR_S), 2
            ),
            "steady_ratio": round(
                max(pg_steady[job_id], RATIO_FLOOR_S) / max(lite_steady[job_id], RATIO_FLOOR_S),
                2,
            ),
        }
        for job_id in JOB_ORDER
    }
    worst = max(jobs, key=lambda job_id: jobs[job_id]["steady_ratio"])
    figures = {
        "scale": {"tenants": args.tenants, "months": args.months, "seed": args.seed},
        "postgres": _postgres_settings(pg_url),
        "generate_s": {k: round(v, 1) for k, v in generate_s.items()},
        "jobs": jobs,
        "max_postgres_over_sqlite": jobs[worst]["steady_ratio"],
        "slowest_ratio_job": worst,
        "ratio_floor_s": RATIO_FLOOR_S,
        "steady_rounds": args.rounds,
        "first_runs_from": "a previous full run" if args.steady_only else "this run",
        **stop,
    }
    rows: list[tuple[str, object]] = []
    for job_id, row in jobs.items():
        rows.append(
            (
                job_id,
                f"first {row['sqlite_first_s']:.2f} / {row['postgres_first_s']:.2f} s   "
                f"steady {row['sqlite_steady_s']:.2f} / {row['postgres_steady_s']:.2f} s   "
                f"x{row['first_ratio']} / x{row['steady_ratio']}",
            )
        )
    rows += [
        ("max_postgres_over_sqlite", f"{figures['max_postgres_over_sqlite']} ({worst})"),
        ("scheduler_stop_s", round(stop["scheduler_stop_s"], 2)),  # type: ignore[arg-type]
        ("job running at SIGTERM", stop["job_running_at_sigterm"]),
        ("statements left running", stop["statements_left_running"]),
    ]
    print_table("jobs: SQLite / PostgreSQL seconds (ratio first / steady)", rows)
    write_results(args.json, figures)
    return 0
