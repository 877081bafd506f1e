"""Incremental refresh vs a full DuckDB rescan, at the default scale and with 4x history.

Figures (seconds): full_rebuild_s, incremental_s (one refresh after 30 s of simulated
activity, all of its work), duckdb_full_s (DuckDB aggregating the same daily rollups from
bookings already loaded in memory: the fastest full rescan), incremental_4x_s (the same
refresh on a database with 4x the history), and the booking counts of both databases.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from bench.report import print_table, write_results
from core.config import PROJECT_ROOT, Settings
from core.db import create_engine_for
from core.metrics.refresh import refresh_metrics
from core.schema import Booking
from data.simulate import Simulator

RESULTS = PROJECT_ROOT / "bench" / "results"
ACTIVITY_SECONDS = 30
ROUNDS = 11

DUCKDB_ROLLUP = """
SELECT tenant_id, CAST(start_at AS DATE) AS day,
       count(*) AS bookings,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE status = 'no_show') AS no_show,
       coalesce(sum(duration_min) FILTER (WHERE status <> 'cancelled'), 0) AS booked_minutes,
       coalesce(sum(price_ars) FILTER (WHERE status = 'completed'), 0) AS gmv_ars
FROM bookings GROUP BY 1, 2
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--tenants", type=int, default=250)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--regenerate",
        action="store_true",
        help="generate the benchmark databases again even if present",
    )


def _generate(path: Path, tenants: int, months: int, seed: int, regenerate: bool) -> str:
    url = f"sqlite:///{path}"
    if path.exists() and not regenerate:
        return url
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    print(f"generating {tenants} tenants x {months} months into {path} ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "data.generate",
            "--tenants",
            str(tenants),
            "--months",
            str(months),
            "--seed",
            str(seed),
            "--database-url",
            url,
        ],
        check=True,
        cwd=PROJECT_ROOT,
    )
    return url


def _booking_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Booking)) or 0)


def _incremental_rounds(engine: Engine, seed: int) -> list[float]:
    """Time refreshes, each after 30 s worth of activity at the default simulator rate."""
    rate = Settings().simulator_rate_per_min
    events = round(rate * ACTIVITY_SECONDS / 60)
    simulator = Simulator(engine, seed=seed, rate_per_min=rate)
    refresh_metrics(engine)  # warm: connections, caches, and a watermark at the newest row
    samples = []
    for _ in range(ROUNDS):
        simulator.apply(events)
        started = time.perf_counter()
        result = refresh_metrics(engine)
        samples.append(time.perf_counter() - started)
        assert result.kind == "incremental"
    return samples


def _measure(url: str, seed: int) -> dict:  # type: ignore[type-arg]
    engine = create_engine_for(url)
    started = time.perf_counter()
    refresh_metrics(engine, full=True)
    full_rebuild_s = time.perf_counter() - started
    if engine.dialect.name == "sqlite":
        # The rebuild leaves a large write-ahead log; fold it into the database first, as
        # SQLite does on its own long before the next 30-second refresh in production.
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    samples = _incremental_rounds(engine, seed)
    figures = {
        "bookings": _booking_count(engine),
        "full_rebuild_s": full_rebuild_s,
        "incremental_s": statistics.median(samples),
        "incremental_samples_s": samples,
    }
    engine.dispose()
    return figures


def _duckdb_full(url: str) -> float:
    """Fastest of several DuckDB aggregations over bookings already loaded in memory."""
    engine = create_engine_for(url)
    with engine.connect() as connection:
        bookings = pd.read_sql(
            text("SELECT tenant_id, start_at, status, duration_min, price_ars FROM bookings"),
            connection,
            parse_dates=["start_at"],
        )
    engine.dispose()
    database = duckdb.connect()
    database.register("bookings_frame", bookings)
    database.execute("CREATE TABLE bookings AS SELECT * FROM bookings_frame")
    database.unregister("bookings_frame")
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        database.execute(f"CREATE OR REPLACE TABLE rollup AS {DUCKDB_ROLLUP}")
        timings.append(time.perf_counter() - started)
    database.close()
    return min(timings)


def run(args: argparse.Namespace) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    default_url = _generate(
        RESULTS / "bench_default.db", args.tenants, args.months, args.seed, args.regenerate
    )
    history_url = _generate(
        RESULTS / "bench_4x_history.db", args.tenants, 4 * args.months, args.seed, args.regenerate
    )
    default = _measure(default_url, args.seed)
    history = _measure(history_url, args.seed)
    duckdb_full_s = _duckdb_full(default_url)
    figures = {
        "full_rebuild_s": default["full_rebuild_s"],
        "incremental_s": default["incremental_s"],
        "duckdb_full_s": duckdb_full_s,
        "incremental_4x_s": history["incremental_s"],
        "bookings_default": default["bookings"],
        "bookings_4x": history["bookings"],
        "incremental_over_duckdb": default["incremental_s"] / duckdb_full_s,
        "incremental_4x_over_incremental": history["incremental_s"] / default["incremental_s"],
        "samples": {
            "incremental_s": default["incremental_samples_s"],
            "incremental_4x_s": history["incremental_samples_s"],
            "full_rebuild_4x_s": history["full_rebuild_s"],
        },
    }
    print_table(
        f"refresh benchmark (seconds; medians of {ROUNDS} refreshes)",
        [
            ("bookings (default)", figures["bookings_default"]),
            ("bookings (4x history)", figures["bookings_4x"]),
            ("full_rebuild_s", figures["full_rebuild_s"]),
            ("incremental_s", figures["incremental_s"]),
            ("duckdb_full_s", figures["duckdb_full_s"]),
            ("incremental_4x_s", figures["incremental_4x_s"]),
            ("incremental / duckdb (target <= 0.5)", figures["incremental_over_duckdb"]),
            ("incremental 4x / 1x (target <= 1.5)", figures["incremental_4x_over_incremental"]),
        ],
    )
    write_results(args.json, figures)
    return 0
