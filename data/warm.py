"""Compute the console's first run before the scheduler starts (``make run`` runs it).

    python -m data.warm [--database-url URL] [--workers 2] [--quiet]

Runs the registered jobs a fresh console needs (the metrics snapshot, every detail
table with the finance ledger's whole history, the health history, the churn model and
its scores, the alert rules) as ``core.jobs.first_run`` plans them, with a progress bar
per phase, then prints each job's wall and CPU seconds. The scheduler started after it
finds nothing to redo; on a console already warm it takes seconds.

Exit codes: 0 done (or nothing to warm), 2 bad input (one line, nothing written), 3 a
job failed (listed; the scheduler retries it on its schedule).
"""

from __future__ import annotations

import argparse
import sys
import time

EXIT_BAD_INPUT = 2
EXIT_JOB_FAILED = 3
MAX_WORKERS = 8


class UsageError(Exception):
    """A command-line argument is not acceptable."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _workers(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers must be a whole number, not {raw!r}") from None
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"--workers must be between 1 and {MAX_WORKERS}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m data.warm", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: BARBERPRO_DATABASE_URL or data/")
    parser.add_argument(
        "--workers",
        type=_workers,
        default=2,
        help="processes running independent jobs at once (default 2; 1: one after another)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _fail(message: str) -> int:
    print(f"data.warm: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Run the warm-up CLI; returns the process exit code."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc))
    from sqlalchemy import func, select
    from tqdm import tqdm

    from core.config import ConfigError, get_settings, resolve_database_url
    from core.db import DatabaseUnavailable, get_engine
    from core.jobs.first_run import PHASES, JobTiming, Phase, warm_console
    from core.jobs.runner import new_scheduler_id
    from core.migrate import upgrade_database
    from core.schema import Tenant

    try:
        url = resolve_database_url(args.database_url) if args.database_url else None
        url = url or get_settings().database_url
        upgrade_database(url)
        with get_engine(url).connect() as connection:
            tenants = connection.scalar(select(func.count()).select_from(Tenant))
    except (ConfigError, DatabaseUnavailable) as exc:
        return _fail(str(exc))
    except Exception as exc:  # a CLI boundary: one line, never a traceback
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(f"cannot open the database: {reason}")
    if not tenants:
        print("data.warm: the database has no tenants yet; nothing to warm")
        return 0

    bars: dict[str, tqdm] = {}

    def on_start(phase: Phase, job_id: str) -> None:
        if phase.name not in bars:
            number = PHASES.index(phase) + 1 if phase in PHASES else len(bars) + 1
            bars[phase.name] = tqdm(
                total=len(phase.job_ids),
                desc=f"[{number}/{len(PHASES)}] {phase.name}",
                unit="job",
                disable=args.quiet,
                file=sys.stderr,
            )

    def on_end(phase: Phase, timing: JobTiming) -> None:
        bar = bars[phase.name]
        bar.set_postfix_str(f"{timing.job_id} {timing.status} in {timing.wall_s:.0f} s")
        bar.update(1)
        if bar.n == bar.total:
            bar.close()

    started = time.perf_counter()
    report = warm_console(
        url,
        scheduler_id=new_scheduler_id(),
        settings=get_settings(),
        workers=args.workers,
        on_start=on_start,
        on_end=on_end,
    )
    for bar in bars.values():
        bar.close()
    print(f"data.warm: first run computed in {time.perf_counter() - started:.0f} s")
    for job in report.jobs:
        print(f"  {job.job_id:<18} {job.status:<8} {job.wall_s:8.1f} s wall {job.cpu_s:8.1f} s CPU")
    for job in report.failed:
        print(
            f"data.warm: {job.job_id} {job.status}: {job.error}; the scheduler runs it again",
            file=sys.stderr,
        )
    return EXIT_JOB_FAILED if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
