"""Evidence from outside the database for the launch-readiness score: the commit the
console runs, the test-suite results ``make test`` records, the benchmark results.

* Test results: ``make test`` writes each of its two pytest runs as JUnit XML into
  :func:`test_results_dir` (``<data_dir>/ops/test-results/``), named
  ``<run>-<commit>.xml`` (``unit``, ``e2e``); a tree with uncommitted changes records
  ``<commit>-dirty``, which never matches a running commit.
* Benchmarks: ``python -m bench NAME --json bench/results/NAME.json``; each file has
  ``measured_at`` and, since issue 16, ``commit``. :data:`BENCH_BUDGETS` declares the
  targets the benchmarks print (DESIGN.md "Performance budget" and each module's
  docstring).
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from core.config import PROJECT_ROOT, Settings
from core.i18n import N_
from core.ops.snapshot import parse_time

COMMIT_VARIABLE = "BARBERPRO_COMMIT"
TEST_RUNS = ("unit", "e2e")
BENCH_RESULTS_DIR = PROJECT_ROOT / "bench" / "results"


def running_commit(project_root: Path = PROJECT_ROOT) -> str | None:
    """The commit the console runs: ``BARBERPRO_COMMIT`` (a deployment without ``.git``
    sets it), else ``git rev-parse HEAD`` in ``project_root``; None when neither says."""
    declared = os.environ.get(COMMIT_VARIABLE, "").strip()
    if declared:
        return declared
    try:
        done = subprocess.run(
            ["git", "-C", str(project_root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def test_results_dir(settings: Settings) -> Path:
    """Where ``make test`` records its JUnit results."""
    return settings.data_dir / "ops" / "test-results"


@dataclass(frozen=True)
class TestRun:
    """One recorded pytest run (a JUnit XML file), summed over its test suites."""

    __test__ = False  # not a pytest test class

    name: str
    path: Path
    tests: int
    failures: int
    errors: int
    skipped: int
    timestamp: str | None

    @property
    def passed(self) -> bool:
        return self.tests > 0 and self.failures == 0 and self.errors == 0


def read_junit(path: Path, name: str) -> TestRun:
    """Parse a JUnit XML file as pytest writes it (ValueError when it cannot be read)."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if not suites:
        raise ValueError(f"{path.name}: no testsuite element")

    def total(attribute: str) -> int:
        try:
            return sum(int(suite.get(attribute, "0")) for suite in suites)
        except ValueError:
            raise ValueError(f"{path.name}: {attribute} is not a number") from None

    return TestRun(
        name,
        path,
        total("tests"),
        total("failures"),
        total("errors"),
        total("skipped"),
        suites[0].get("timestamp"),
    )


def recorded_test_runs(directory: Path, commit: str) -> dict[str, TestRun | str]:
    """Each of :data:`TEST_RUNS` recorded for ``commit``: the run, or why there is none."""
    found: dict[str, TestRun | str] = {}
    for name in TEST_RUNS:
        path = directory / f"{name}-{commit}.xml"
        if not path.exists():
            found[name] = N_("not recorded")
            continue
        try:
            found[name] = read_junit(path, name)
        except ValueError as exc:
            found[name] = str(exc)
    return found


Comparison = Literal["<=", ">="]


@dataclass(frozen=True)
class BenchBudget:
    """One figure a benchmark writes and the target it must meet."""

    benchmark: str
    figure: str
    comparison: Comparison
    limit: float

    def met_by(self, value: float) -> bool:
        return value <= self.limit if self.comparison == "<=" else value >= self.limit


BENCH_BUDGETS: tuple[BenchBudget, ...] = (
    BenchBudget("pages", "max_render_ms", "<=", 300),  # a dashboard renders in <= 300 ms
    BenchBudget("pages", "raw_query_ratio_min", ">=", 20),
    BenchBudget("refresh", "incremental_over_duckdb", "<=", 0.5),
    BenchBudget("refresh", "incremental_4x_over_incremental", "<=", 1.5),
    BenchBudget("models", "score_p99_ms", "<=", 10),  # one tenant's churn score
    BenchBudget("postgres", "max_postgres_over_sqlite", "<=", 2),
    BenchBudget("postgres", "scheduler_stop_s", "<=", 10),
    BenchBudget("interventions", "card_ms_median", "<=", 200),
)


@dataclass(frozen=True)
class BenchVerdict:
    """A budget judged on the recorded result: ``problem`` says why it is not met
    (missing file or figure, too old, another commit, over budget), None when met."""

    budget: BenchBudget
    value: float | None
    measured_at: datetime | None
    commit: str | None
    problem: str | None


def judge_benchmarks(
    directory: Path,
    *,
    at: datetime,
    max_age_days: float,
    commit: str | None,
    budgets: tuple[BenchBudget, ...] = BENCH_BUDGETS,
) -> tuple[BenchVerdict, ...]:
    """Every budget against ``<directory>/<benchmark>.json``.

    A result counts when it was measured at most ``max_age_days`` before ``at`` and,
    when it records its commit, on ``commit`` (results from before issue 16 do not
    record one: judged by age alone).
    """
    loaded: dict[str, dict[str, Any] | str] = {}
    verdicts = []
    for budget in budgets:
        if budget.benchmark not in loaded:
            path = directory / f"{budget.benchmark}.json"
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                loaded[budget.benchmark] = data if isinstance(data, dict) else "not an object"
            except (OSError, ValueError) as exc:
                loaded[budget.benchmark] = "not recorded" if isinstance(exc, OSError) else str(exc)
        data = loaded[budget.benchmark]
        if isinstance(data, str):
            verdicts.append(BenchVerdict(budget, None, None, None, data))
            continue
        measured = parse_time(data.get("measured_at"))
        recorded_commit = data.get("commit") or None
        raw = data.get(budget.figure)
        value = float(raw) if isinstance(raw, int | float) else None
        problem = None
        if measured is None:
            problem = "no measured_at"
        elif (at - measured).total_seconds() > max_age_days * 86_400:
            problem = f"measured {(at - measured).days} d ago"
        elif recorded_commit and commit and recorded_commit != commit:
            problem = f"measured on {str(recorded_commit)[:12]}"
        elif value is None:
            problem = "figure missing"
        elif not budget.met_by(value):
            problem = f"{value:g} (target {budget.comparison} {budget.limit:g})"
        verdicts.append(BenchVerdict(budget, value, measured, recorded_commit, problem))
    return tuple(verdicts)
