"""Generate the deterministic Argentine demo data set.

    python -m data.generate --tenants 250 --months 18 --seed 7

Creates or migrates the schema (Alembic), refuses to touch a database that already
holds platform data (``--replace`` empties it first, ``--if-empty`` skips quietly),
loads everything in one transaction and writes the latent truth beside the database
(see ``core.config.ground_truth_path_for``). Bad input gets one line on stderr and
exit code 2, with nothing written. It refuses to run when ``BARBERPRO_ENV=production``,
and ``--replace`` refuses a database it did not fill itself unless ``--allow-non-demo``
(see ``data.demo_guard``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING

from data.generation.limits import MAX_MONTHS, MAX_TENANTS

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from data.generation.pipeline import GenerationReport

# The heavy imports (numpy, pandas, Alembic) wait until the arguments are known to be
# good, so a mistyped flag is answered at once.

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """A command-line argument is not acceptable."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _bounded_int(name: str, low: int, high: int):  # type: ignore[no-untyped-def]
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {raw!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{name} must be between {low} and {high}, got {value}"
            )
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command line; its errors raise UsageError instead of exiting."""
    parser = _Parser(prog="python -m data.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tenants",
        type=_bounded_int("--tenants", 1, MAX_TENANTS),
        default=250,
        help=f"number of business tenants (1..{MAX_TENANTS}, default 250)",
    )
    parser.add_argument(
        "--months",
        type=_bounded_int("--months", 1, MAX_MONTHS),
        default=18,
        help=f"months of history ending today (1..{MAX_MONTHS}, default 18)",
    )
    parser.add_argument(
        "--seed",
        type=_bounded_int("--seed", 0, 2**32 - 1),
        default=7,
        help="random seed (default 7)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="target database (default: BARBERPRO_DATABASE_URL or data/barberpro.db)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (exit 0) when the database already has tenants",
    )
    mode.add_argument(
        "--replace",
        action="store_true",
        help="empty all platform and console tables before loading",
    )
    parser.add_argument(
        "--allow-non-demo",
        action="store_true",
        help="let --replace empty a database whose data the generator did not write",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def generate_demo_data(
    database_url: str | None = None,
    *,
    tenants: int = 250,
    months: int = 18,
    seed: int = 7,
    today: date | None = None,
    replace: bool = False,
    allow_non_demo: bool = False,
) -> GenerationReport:
    """Migrate the database and generate the demo data set into it (the Python API).

    Parameters
    ----------
    database_url
        Target database; default the configured one (``BARBERPRO_DATABASE_URL``).
    tenants, months, seed
        Size and seed, as on the command line.
    today
        The day the history ends (default: today in Argentina). The same seed and the
        same ``today`` always give the same data.
    replace
        Empty the platform and console tables first.
    allow_non_demo
        Let ``replace`` empty a database whose data the generator did not write.

    Raises
    ------
    ConfigError, DatabaseUnavailable, DatabaseNotEmptyError, DemoToolRefusedError
        Bad URL, unreachable database, data already there without ``replace``, or
        production mode / a non-demo database (see ``data.demo_guard``).
    """
    from core.clock import today as console_today
    from core.config import get_settings, resolve_database_url
    from core.db import get_engine
    from core.migrate import upgrade_database
    from data.demo_guard import refuse_in_production
    from data.generation.context import GenerationParams
    from data.generation.pipeline import generate

    refuse_in_production("the demo generator")
    url = resolve_database_url(database_url) if database_url else get_settings().database_url
    upgrade_database(url)
    _refuse_replacing_real_data(get_engine(url), replace=replace, allow_non_demo=allow_non_demo)
    params = GenerationParams(
        tenants=tenants, months=months, seed=seed, today=today or console_today()
    )
    return generate(get_engine(url), url, params, replace=replace)


def _refuse_replacing_real_data(engine, *, replace: bool, allow_non_demo: bool) -> None:  # type: ignore[no-untyped-def]
    from data.demo_guard import refuse_non_demo
    from data.generation.pipeline import has_platform_data

    if replace and not allow_non_demo and has_platform_data(engine):
        refuse_non_demo(engine, doing="--replace would delete it")


def _fail(message: str) -> int:
    print(f"data.generate: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _print_report(report: GenerationReport) -> None:
    total = sum(report.counts.values())
    print(f"generated {total:,} rows in {report.seconds:.1f} s (today {report.today})")
    for table, count in sorted(report.counts.items(), key=lambda kv: -kv[1]):
        print(f"  {table:<24} {count:>12,}")
    print(f"ground truth: {report.truth_path}")
    print("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.timings.items()))


def main(argv: list[str] | None = None, *, today: date | None = None) -> int:
    """Run the generator CLI; returns the process exit code."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc))
    from sqlalchemy.exc import SQLAlchemyError
    from tqdm import tqdm

    from core.clock import today as console_today
    from core.config import ConfigError, get_settings, resolve_database_url
    from core.db import DatabaseUnavailable, get_engine
    from core.migrate import upgrade_database
    from data.demo_guard import DemoToolRefusedError, refuse_in_production
    from data.generation.context import GenerationParams
    from data.generation.pipeline import DatabaseNotEmptyError, existing_tenants, generate

    try:
        refuse_in_production("the demo generator")
        url = (
            resolve_database_url(args.database_url)
            if args.database_url
            else (get_settings().database_url)
        )
        upgrade_database(url)
        engine = get_engine(url)
        if args.if_empty:
            count = existing_tenants(engine)
            if count:
                print(f"data.generate: the database already has {count} tenants; nothing to do")
                return 0
        _refuse_replacing_real_data(
            engine, replace=args.replace, allow_non_demo=args.allow_non_demo
        )
    except DemoToolRefusedError as exc:
        print(f"data.generate: refused: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ConfigError, DatabaseUnavailable) as exc:
        return _fail(str(exc))
    except Exception as exc:  # a CLI boundary: one line, never a traceback
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return _fail(f"cannot prepare the database: {reason}")

    params = GenerationParams(
        tenants=args.tenants, months=args.months, seed=args.seed, today=today or console_today()
    )
    bar = tqdm(total=1, desc="generating", unit="step", disable=args.quiet, file=sys.stderr)

    def set_total(total: int) -> None:
        bar.total = total
        bar.refresh()

    def step(name: str, n: int) -> None:
        bar.set_postfix_str(name)
        bar.update(n - bar.n)

    try:
        report = generate(
            engine, url, params, replace=args.replace, on_progress=step, total_callback=set_total
        )
    except DatabaseNotEmptyError as exc:
        bar.close()
        return _fail(str(exc))
    except SQLAlchemyError as exc:
        bar.close()
        return _fail(
            f"database error while loading (nothing was written): {str(exc).splitlines()[0]}"
        )
    bar.close()
    _print_report(report)
    _print_demo_accounts(engine, url)
    return 0


def _print_demo_accounts(engine: Engine, url: str) -> None:
    """Give the demo users passwords and print, this once, how to sign in."""
    from core.config import demo_accounts_path_for
    from core.users.demo import accounts_table, provision_demo_accounts

    path = demo_accounts_path_for(url)
    rows = provision_demo_accounts(engine, path)
    if rows:
        print(f"demo accounts (passwords generated now; kept only in {path}):")
        print(accounts_table(rows))


if __name__ == "__main__":
    sys.exit(main())
