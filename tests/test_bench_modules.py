"""Every benchmark module imports: a refactor that moves what a bench uses fails here, in
the suite, not weeks later when somebody runs `python -m bench`."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import bench

MODULES = sorted(module.name for module in pkgutil.iter_modules(bench.__path__))
# Modules the benchmarks share, not benchmarks of their own.
HELPERS = {"__main__", "report", "console_state"}


@pytest.mark.parametrize("name", MODULES)
def test_bench_module_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    if name not in HELPERS:
        assert callable(getattr(module, "run", None)), f"bench.{name} has no run()"


def test_every_bench_is_listed_in_the_command() -> None:
    main = importlib.import_module("bench.__main__")
    source = main.__file__
    assert source is not None
    text = Path(source).read_text(encoding="utf-8")
    for name in MODULES:
        if name not in HELPERS:
            assert name in text, f"python -m bench does not offer {name}"
