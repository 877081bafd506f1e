"""Onboarding wizard: step submit p95, a chain's bulk import, and double activation.

Figures: step_submit_p95_ms (server-side validate + save of one wizard step, every data
step of 40 onboardings, on a copy of the default demo database when it exists), bulk_import_s
(check and save CSV files of 50 locations x 20 staff each x 30 services),
activation_large_s (activating that chain: 1,000 staff, 30,000 staff-service rows), and
double_activation_tenants (tenants created when two threads activate the same verified
session at once, over several rounds; must be 1 per round).
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.report import print_table, write_results
from core.commands import Actor, Command, execute
from core.config import PROJECT_ROOT
from core.db import create_engine_for
from core.migrate import upgrade_database
from core.schema import ConsoleUser, Tenant
from core.workflows.onboarding_activation import ActivateTenant
from core.workflows.onboarding_drafts import StartOnboarding, SubmitStep
from core.workflows.onboarding_import import COLUMNS, WEEKDAY_COLUMNS, ImportFiles
from core.workflows.onboarding_samples import clean_steps
from core.workflows.onboarding_steps import DATA_STEPS
from core.workflows.onboarding_verification import VerifyOnboarding

OPERATOR_EMAIL = "onboarding.bench@barberpro.test"
T = TypeVar("T")

DEFAULT_DB = PROJECT_ROOT / "bench" / "results" / "bench_default.db"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--sessions", type=int, default=40, help="onboardings for the step p95")
    parser.add_argument("--rounds", type=int, default=5, help="double-activation rounds")
    parser.add_argument(
        "--empty", action="store_true", help="use an empty database, not the demo copy"
    )


def _database(workdir: Path, empty: bool) -> str:
    path = workdir / "onboarding.db"
    if DEFAULT_DB.exists() and not empty:
        shutil.copy(DEFAULT_DB, path)
    url = f"sqlite:///{path}"
    upgrade_database(url)
    return url


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def chain_files(
    locations: int = 50, staff: int = 20, services: int = 30
) -> dict[str, tuple[str, bytes]]:
    names = [f"Sucursal {i + 1:02d}" for i in range(locations)]
    week = ["09:00-20:00"] * 6 + [""]
    staff_week = ["10:00-14:00, 15:00-19:00"] * 5 + ["", ""]
    service_rows = [
        [f"Servicio {j + 1:02d}", "corte", "30", f"{10000 + 250 * j}"] for j in range(services)
    ]
    half = "; ".join(r[0] for r in service_rows[: services // 2])
    other = "; ".join(r[0] for r in service_rows[services // 2 :])
    return {
        "locations": (
            "locations.csv",
            _csv(
                [list(COLUMNS["locations"])]
                + [
                    [n, f"Av. Colón {100 + i}", "Córdoba", "Córdoba", *week]
                    for i, n in enumerate(names)
                ]
            ),
        ),
        "services": ("services.csv", _csv([list(COLUMNS["services"]), *service_rows])),
        "staff": (
            "staff.csv",
            _csv(
                [list(COLUMNS["staff"])]
                + [
                    [
                        f"Barbero {k + 1:02d}",
                        n,
                        "barbero",
                        "*" if k % 3 == 0 else (half if k % 3 == 1 else other),
                        *staff_week,
                    ]
                    for n in names
                    for k in range(staff)
                ]
            ),
        ),
    }


def operator(engine: Engine) -> Actor:
    """The console user the benchmark (and the onboarding tests) work as: created once."""
    with Session(engine) as session, session.begin():
        user_id = session.scalar(select(ConsoleUser.id).where(ConsoleUser.email == OPERATOR_EMAIL))
        if user_id is None:
            user = ConsoleUser(
                email=OPERATOR_EMAIL, full_name="Onboarding bench", role="onboarding", active=True
            )
            session.add(user)
            session.flush()
            user_id = user.id
    return Actor(user_id)


def run_command(engine: Engine, command: Command[T], actor: Actor | None = None) -> T:
    """``command`` executed on ``engine`` as ``actor`` (default: the bench operator)."""
    return execute(command, actor=actor or operator(engine), engine=engine)


def _step_p95(url: str, sessions: int) -> tuple[float, float]:
    engine = create_engine_for(url)
    timings = []
    for n in range(sessions):
        sid = run_command(engine, StartOnboarding())
        steps = clean_steps(n=10_000 + n)
        for step in DATA_STEPS:
            started = time.perf_counter()
            run_command(engine, SubmitStep(sid, step, steps[step], locale="es_AR"))
            timings.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    quantiles = statistics.quantiles(timings, n=100)
    return quantiles[94], statistics.median(timings)


def _verified_session(url: str, n: int, **kwargs: int) -> int:
    engine = create_engine_for(url)
    sid = run_command(engine, StartOnboarding())
    steps = clean_steps(n=n, **kwargs)
    for step in DATA_STEPS:
        run_command(engine, SubmitStep(sid, step, steps[step]))
    run_command(engine, VerifyOnboarding(sid))
    engine.dispose()
    return sid


def _bulk_import(url: str) -> tuple[float, float]:
    engine = create_engine_for(url)
    sid = run_command(engine, StartOnboarding())
    steps = clean_steps(n=20_000, locations=1)
    for step in ("business", "contact"):
        run_command(engine, SubmitStep(sid, step, steps[step]))
    files = chain_files()
    started = time.perf_counter()
    summary = run_command(engine, ImportFiles(sid, files))
    import_s = time.perf_counter() - started
    assert (summary.locations, summary.staff, summary.services) == (50, 1000, 30), summary
    run_command(engine, SubmitStep(sid, "integrations", steps["integrations"]))
    run_command(engine, VerifyOnboarding(sid))
    started = time.perf_counter()
    run_command(engine, ActivateTenant(sid))
    activation_s = time.perf_counter() - started
    engine.dispose()
    return import_s, activation_s


def activate_concurrently(url: str, session_id: int, submits: int = 2) -> list[object]:
    """``submits`` threads, each with its own engine, activate one session at once."""
    engines = [create_engine_for(url) for _ in range(submits)]
    actor = operator(engines[0])
    barrier = threading.Barrier(submits)
    results: list[object] = []

    def submit(engine) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            results.append(run_command(engine, ActivateTenant(session_id), actor))
        except Exception as exc:  # reported, so a failure is visible, not a silent 0
            results.append(exc)

    threads = [threading.Thread(target=submit, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    return results


def _tenant_count(url: str) -> int:
    engine = create_engine_for(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Tenant)) or 0
    engine.dispose()
    return int(count)


def _double_activation(url: str, rounds: int) -> list[int]:
    created = []
    for r in range(rounds):
        sid = _verified_session(url, 30_000 + r)
        before = _tenant_count(url)
        results = activate_concurrently(url, sid)
        errors = [r for r in results if isinstance(r, Exception)]
        if errors:
            raise errors[0]
        created.append(_tenant_count(url) - before)
    return created


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-onboarding-") as folder:
        url = _database(Path(folder), args.empty)
        p95, median = _step_p95(url, args.sessions)
        import_s, activation_s = _bulk_import(url)
        created = _double_activation(url, args.rounds)
    figures = {
        "step_submit_p95_ms": round(p95, 2),
        "step_submit_median_ms": round(median, 2),
        "step_submits": args.sessions * len(DATA_STEPS),
        "bulk_import_s": round(import_s, 3),
        "bulk_import_rows": "50 locations, 1000 staff, 30 services",
        "activation_large_s": round(activation_s, 3),
        "double_activation_tenants": max(created),
        "double_activation_rounds": created,
        "database": "empty" if args.empty or not DEFAULT_DB.exists() else "bench_default.db copy",
    }
    print_table("Onboarding wizard", list(figures.items()))
    if args.json:
        write_results(args.json, figures)
    ok = p95 <= 100 and import_s <= 5 and all(c == 1 for c in created)
    return 0 if ok else 1


__all__ = ["WEEKDAY_COLUMNS", "add_arguments", "chain_files", "run"]
