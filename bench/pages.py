"""Dashboard render time from warm snapshot caches vs computing their numbers from raw rows.

For every page of the Dashboards section (and Tenant 360) this renders the page
server-side with Streamlit's AppTest against the default demo database: one warm-up run
fills the snapshot caches, then the median of ``--rounds`` reruns is the render time.
While rendering, the tables each page reads are recorded. A dashboard's raw cost is
what it would take to compute its numbers from the raw platform tables on each render:
the pandas reference computation of the metrics snapshot from every booking and payment
(each dashboard's KPIs, status line and tenant filters come from it) plus the providers
of the detail tables it reads, timed as they run in steady state. Providers that reuse
their previous months (bookings, finance, forecasts, LTV) cost far more from scratch, so
for those pages the ratio understates the saving. ``raw_query_ratio`` = raw cost /
render. Tenant 360 reads one tenant through indexes (no snapshot), so it gets a render
time but no ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bench.report import print_table, write_results
from core.auth.sessions import SignedInUser
from core.clock import now
from core.config import PROJECT_ROOT, Settings
from core.db import create_engine_for, write_unit
from core.metrics.detail import compute_detail_frames, discover_providers, refresh_detail_frames
from core.metrics.reference import reference_snapshot_content
from core.metrics.refresh import refresh_metrics
from core.metrics.snapshot_types import Snapshot
from core.migrate import upgrade_database
from core.ops.watchdog import evaluate_once
from core.users import add_user, find_user
from page_registry import PAGES
from ui import live
from ui.auth import signed_in_as

DEFAULT_DB = PROJECT_ROOT / "bench" / "results" / "bench_default.db"
EXTRA_PAGES = ("tenant-360", "status")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--database",
        default=str(DEFAULT_DB),
        help="SQLite file with the default demo data (made by `python -m bench refresh`)",
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--only",
        help="comma-separated url paths to render (default: every dashboard and "
        + ", ".join(EXTRA_PAGES)
        + ")",
    )


@contextmanager
def _recording_reads() -> Iterator[set[str]]:
    """Record the names of every snapshot table a page reads while it renders."""
    names: set[str] = set()
    original_frame = live.LiveContext.frame
    original_snapshot_frame = Snapshot.frame

    def frame(self, name):  # type: ignore[no-untyped-def]
        names.add(name)
        return original_frame(self, name)

    def snapshot_frame(self, name):  # type: ignore[no-untyped-def]
        names.add(name)
        return original_snapshot_frame(self, name)

    live.LiveContext.frame = frame  # type: ignore[method-assign]
    Snapshot.frame = snapshot_frame  # type: ignore[method-assign]
    try:
        yield names
    finally:
        live.LiveContext.frame = original_frame  # type: ignore[method-assign]
        Snapshot.frame = original_snapshot_frame  # type: ignore[method-assign]


BENCH_EMAIL = "bench.reader@barberpro.com.ar"


def bench_reader(engine: Engine) -> SignedInUser:
    """An administrator account of the bench database (who may open every page): without
    one, each run would stop at the sign-in gate and time nothing but the gate, and the
    pages that audit a personal-data view would find no account to record it for."""
    with write_unit(engine) as session:
        user = find_user(session=session, email=BENCH_EMAIL)
        if user is None:
            user = add_user(
                session=session,
                email=BENCH_EMAIL,
                name="Benchmark reader",
                role="admin",
                password=None,
                actor_id=None,
            )
        return SignedInUser(user.id, user.email, user.full_name, user.role)


def _render_ms(
    reader: SignedInUser, path: str, rounds: int, query: dict[str, str]
) -> tuple[float, set[str]]:
    with signed_in_as(reader):
        return _timed_renders(path, rounds, query)


def _timed_renders(path: str, rounds: int, query: dict[str, str]) -> tuple[float, set[str]]:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    app.switch_page(path)
    with _recording_reads() as names:
        app.run()  # warm-up: loads the snapshots into the cache
        if app.exception:
            raise RuntimeError(f"{path} raised: {app.exception[0].value}")
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            app.run()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), set(names)


def _raw_costs(url: str) -> tuple[dict[str, float], float]:
    """Seconds to compute each detail table from raw rows, and the metrics reference."""
    engine = create_engine_for(url)
    per_frame: dict[str, float] = {}
    with Session(engine) as session:
        for provider in discover_providers():
            started = time.perf_counter()
            compute_detail_frames(session, now().date(), [provider])
            seconds = time.perf_counter() - started
            for name in provider.frames:
                per_frame[name] = seconds / len(provider.frames)
        started = time.perf_counter()
        reference_snapshot_content(session=session, as_of=now().date())
        reference_s = time.perf_counter() - started
    engine.dispose()
    return per_frame, reference_s


def run(args: argparse.Namespace) -> int:
    database = Path(args.database)
    if not database.exists():
        print(f"bench pages: {database} does not exist; run `python -m bench refresh` first")
        return 2
    url = f"sqlite:///{database}"
    upgrade_database(url)
    engine = create_engine_for(url)
    refresh_metrics(engine)  # bring the snapshot up to today
    detail = refresh_detail_frames(engine)
    reader = bench_reader(engine)
    # Two watchdog rounds, so the System status page shows monitors, states and incidents.
    watch = replace(Settings.from_env(), database_url=url, environment="test")
    for _ in range(2):
        evaluate_once(engine, watch)
    engine.dispose()
    os.environ.update(
        BARBERPRO_DATABASE_URL=url,
        BARBERPRO_EMBEDDED_SCHEDULER="false",
        BARBERPRO_SIMULATOR="false",
    )
    chosen = [p for p in PAGES if p.section == "Dashboards" or p.url_path in EXTRA_PAGES]
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        chosen = [p for p in chosen if p.url_path in wanted]
    # The raw costs (minutes) matter only for the dashboards' ratios.
    dashboards = any(p.section == "Dashboards" for p in chosen)
    per_frame, reference_s = _raw_costs(url) if dashboards else ({}, 0.0)

    pages: dict[str, float] = {}
    ratios: dict[str, float] = {}
    reads: dict[str, list[str]] = {}
    for page in chosen:
        query = {"tenant": "1"} if page.url_path == "tenant-360" else {}
        render_ms, names = _render_ms(reader, page.path, args.rounds, query)
        pages[page.url_path] = round(render_ms, 1)
        reads[page.url_path] = sorted(names)
        if page.section == "Dashboards":
            raw_s = reference_s + sum(per_frame.get(n, 0.0) for n in names)
            ratios[page.url_path] = round(raw_s * 1000 / render_ms, 1)

    figures = {
        "pages": pages,
        "max_render_ms": max(pages.values()),
        "raw_query_ratio": ratios,
        "raw_query_ratio_min": min(ratios.values(), default=None),
        "reference_metrics_s": round(reference_s, 3),
        "detail_provider_s": detail.timings,
        "detail_errors": detail.errors,
        "tables_read": reads,
    }
    print_table(
        "Page render (ms, median of warm reruns) and raw/render ratio",
        [
            (f"{name} ms / ratio", f"{pages[name]:.0f} / {ratios.get(name, float('nan')):.0f}")
            for name in pages
        ]
        + [
            ("max_render_ms (target <= 300)", figures["max_render_ms"]),
            ("raw_query_ratio_min (target >= 20)", figures["raw_query_ratio_min"]),
        ],
    )
    write_results(args.json, figures)
    return 0
