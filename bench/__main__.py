"""Benchmarks: `python -m bench NAME --json PATH`. Each prints a table of figures measured
in one run and writes them as JSON."""

from __future__ import annotations

import argparse
import sys

from bench import (
    api,
    health,
    interventions,
    models,
    onboarding,
    pages,
    postgres,
    refresh,
    startup,
)

BENCHMARKS = {
    "refresh": refresh,
    "api": api,
    "pages": pages,
    "onboarding": onboarding,
    "interventions": interventions,
    "health": health,
    "models": models,
    "postgres": postgres,
    "startup": startup,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="name", required=True)
    for name, module in BENCHMARKS.items():
        module.add_arguments(sub.add_parser(name, help=module.__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    return BENCHMARKS[args.name].run(args)


if __name__ == "__main__":
    sys.exit(main())
