"""Operations from the server's shell: ``python -m core.ops COMMAND``.

    harden [--json] [--no-store]
    readiness [--json]
    test-results-dir

``harden`` checks the running configuration (core.ops.hardening): one line per item
with PASS, WARN or FAIL, then how to fix what failed; the report is stored under
``<data_dir>/ops/``. Exit 0 when nothing failed, 1 when something did; bad input: one
line on stderr, exit 2.

``readiness`` prints the launch-readiness score (core.ops.readiness): each item with its
weight, status and evidence, then what blocks launch, who should fix it and how. Exit 0
whatever the score; bad input (a setting, an unreachable database): exit 2.
``test-results-dir`` prints where ``make test`` records its JUnit results.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """A command-line argument is not acceptable."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core.ops", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    harden = sub.add_parser("harden", help="check the running configuration for production")
    harden.add_argument("--json", action="store_true", help="print the report as JSON")
    harden.add_argument("--no-store", action="store_true", help="do not store the report")
    ready = sub.add_parser("readiness", help="the launch-readiness score and what blocks it")
    ready.add_argument("--json", action="store_true", help="print the score as JSON")
    sub.add_parser("test-results-dir", help="where make test records its JUnit results")
    return parser


def _table(report: object) -> str:
    from core.ops.hardening import HardeningReport

    assert isinstance(report, HardeningReport)
    width = max(len(item.id) for item in report.items)
    lines = [
        f"{item.status.upper():<4}  {item.id:<{width}}  {item.evidence_text()}"
        for item in report.items
    ]
    counts = report.counts()
    lines.append(f"\n{counts['pass']} passed, {counts['warn']} warned, {counts['fail']} failed")
    to_fix = [item for item in report.items if item.status != "pass"]
    if to_fix:
        lines.append("\nTo fix:")
        lines += [f"  {item.status.upper():<4}  {item.id}: {item.fix_text()}" for item in to_fix]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        print(f"core.ops: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command == "readiness":
        return _readiness(json_output=args.json)
    if args.command == "test-results-dir":
        return _test_results_dir()
    from core.config import ConfigError, get_settings
    from core.db import DATABASE_ERRORS
    from core.ops.hardening import evaluate, reports_dir, store_report
    from core.ops.snapshot import collect_environment

    failures: tuple[type[Exception], ...] = (ConfigError, OSError, *DATABASE_ERRORS)
    try:
        settings = get_settings()
        report = evaluate(collect_environment(settings))
    except failures as exc:
        print(f"core.ops: {_first_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    stored = None
    if not args.no_store:
        try:
            stored = store_report(report, reports_dir(settings))
        except OSError as exc:  # e.g. run as a user who cannot write the state directory
            print(f"core.ops: the report was not stored: {_first_line(exc)}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(_table(report))
        if stored is not None:
            print(f"\nStored: {stored}")
    return EXIT_FAILED if report.failing else 0


def _test_results_dir() -> int:
    from core.config import ConfigError, get_settings
    from core.ops.evidence import test_results_dir

    try:
        print(test_results_dir(get_settings()))
    except ConfigError as exc:
        print(f"core.ops: {_first_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _readiness(*, json_output: bool) -> int:
    from sqlalchemy.orm import Session

    from core.clock import now
    from core.config import ConfigError, get_settings
    from core.db import DATABASE_ERRORS, check_connection, get_engine
    from core.ops.evidence import running_commit
    from core.ops.readiness import audit_now, readiness

    failures: tuple[type[Exception], ...] = (ConfigError, OSError, *DATABASE_ERRORS)
    try:
        settings = get_settings()
        engine = get_engine(settings.database_url)
        check_connection(engine)
        with Session(engine) as session:
            result = readiness(
                session,
                settings=settings,
                at=now(),
                hardening=audit_now(settings, session),
                commit=running_commit(),
            )
    except failures as exc:
        print(f"core.ops: {_first_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if json_output:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print(_readiness_table(result))
    return 0


def _readiness_table(result: object) -> str:
    from core.ops.readiness import Readiness

    assert isinstance(result, Readiness)
    width = max(len(item.id) for item in result.items)
    lines = [
        f"Launch readiness: {result.score:.1f} / 100 "
        f"(commit {(result.commit or 'unknown')[:12]}, {result.at:%Y-%m-%d %H:%M})",
        "",
    ]
    for item in result.items:
        status = {"pass": "PASS", "partial": "PART", "fail": "FAIL"}[item.status]
        lines.append(
            f"{status}  {item.weight:>3g} x {item.credit:.2f}  {item.id:<{width}}  "
            f"{item.evidence_text()}"
        )
    if result.blockers:
        lines.append("\nWhat blocks launch (points lost, who, how):")
        for item in result.blockers:
            lost = item.weight * (1 - item.credit)
            lines.append(f"  -{lost:g}  {item.id} [{item.owner}]: {item.fix}")
    return "\n".join(lines)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


if __name__ == "__main__":
    raise SystemExit(main())
