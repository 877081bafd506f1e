"""The launch-readiness score: each item judged from seeded rows and files, the score's
arithmetic by hand, JUnit results from a real pytest run, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import write_unit
from core.ops import evidence
from core.ops.evidence import BENCH_BUDGETS, read_junit
from core.ops.hardening import CHECKS, evaluate
from core.ops.readiness import (
    Declared,
    ReadinessItem,
    declared_items,
    readiness,
    score,
)
from core.ops.snapshot import Environment
from core.ops.uptime import record_freshness
from core.schema import OpsMonitorResult, OpsMonitorState, OpsPageTiming
from tests import db_templates
from tests.core.ops.test_cli import run

AT = datetime(2026, 12, 7, 12, 0, 30)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def item(weight: float, credit: float) -> ReadinessItem:
    status = "pass" if credit == 1 else "fail" if credit == 0 else "partial"
    return ReadinessItem("x", "x", weight, status, credit, "", "", "")  # type: ignore[arg-type]


def test_score_arithmetic() -> None:
    # (3 x 1 + 2 x 0 + 1 x 0.5 + 2 x 0.75) / 8 = 5 / 8.
    assert score((item(3, 1), item(2, 0), item(1, 0.5), item(2, 0.75))) == 62.5
    # 2 / 3 to one decimal.
    assert score((item(1, 1), item(1, 1), item(1, 0))) == 66.7
    assert score(()) == 0.0


def test_every_hardening_item_is_declared_with_its_weight() -> None:
    declared = {d.id: d for d in declared_items()}
    for spec in CHECKS:
        assert declared[f"hardening.{spec.id}"].weight == spec.weight
    assert all(isinstance(d, Declared) and d.owner and d.fix for d in declared.values())


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest"
 errors="{errors}" failures="{failures}" skipped="1" tests="{tests}" time="1.0"
 timestamp="2026-12-07T11:00:00"></testsuite></testsuites>"""


def write_junit(directory: Path, run_name: str, *, tests: int, failures: int = 0) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    text = JUNIT.format(errors=0, failures=failures, tests=tests)
    (directory / f"{run_name}-{COMMIT}.xml").write_text(text, encoding="utf-8")


def write_bench(directory: Path, name: str, measured: datetime, **figures: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    payload = {"measured_at": measured.isoformat(), "commit": COMMIT, **figures}
    (directory / f"{name}.json").write_text(json.dumps(payload), encoding="utf-8")


def seed_console_rows(engine: Engine) -> None:
    with write_unit(engine) as session:
        # Two monitors evaluated since 25 h ago; disk.free warned once, 3 h ago.
        for monitor in ("db.reachable", "disk.free"):
            for hours in range(25, 0, -1):
                session.add(
                    OpsMonitorResult(
                        monitor_id=monitor,
                        checked_at=AT - timedelta(hours=hours),
                        state="warning" if (monitor, hours) == ("disk.free", 3) else "ok",
                        value=None,
                        evidence="",
                    )
                )
        # Three of the four churn monitors: the feature drift one never evaluated.
        for monitor, state in (
            ("churn.model_age", "ok"),
            ("churn.score_coverage", "ok"),
            ("churn.score_drift", "ok"),
        ):
            session.add(
                OpsMonitorState(
                    monitor_id=monitor,
                    state=state,
                    since=AT - timedelta(days=1),
                    observed=state,
                    streak=1,
                    value=None,
                    evidence="PSI 0.03",
                    checked_at=AT,
                )
            )
        # 100 fresh minutes; 100 renders of which 10 above 500 ms (budget 5).
        for i in range(100):
            record_freshness(session, AT - timedelta(minutes=i + 1), 20.0)
        session.add(
            OpsPageTiming(
                minute=AT - timedelta(hours=1),
                page="revenue",
                process="host:1",
                renders=100,
                total_ms=0,
                max_ms=900,
                buckets=[0, 0, 90, 0, 0, 0, 10, 0, 0, 0, 0],
                failed=0,
            )
        )


def development(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite:///unused.db", data_dir=tmp_path)


def test_items_judged_from_seeded_rows_and_files(engine: Engine, tmp_path: Path) -> None:
    seed_console_rows(engine)
    settings = development(tmp_path)
    report = evaluate(Environment(settings=settings, now=AT))
    results = evidence.test_results_dir(settings)
    write_junit(results, "unit", tests=120)
    write_junit(results, "e2e", tests=30, failures=2)
    bench = tmp_path / "bench"
    write_bench(bench, "pages", AT - timedelta(days=2), max_render_ms=250, raw_query_ratio_min=5)
    with Session(engine) as session:
        result = readiness(
            session, settings=settings, at=AT, hardening=report, commit=COMMIT, bench_dir=bench
        )
    items = {i.id: i for i in result.items}
    assert len(items) == len(declared_items())
    # The development environment fails production mode and PostgreSQL.
    assert items["hardening.production_mode"].status == "fail"
    assert (
        items["hardening.postgresql"].evidence_text() == "the database is the embedded SQLite file"
    )
    monitors = items["monitors_green"]
    assert monitors.status == "fail"
    assert monitors.evidence_text() == "1 of 2 monitors warning or critical in 24 h: disk.free"
    assert items["slo_freshness"].status == "pass"
    assert "100.00 % good of 100 minutes" in items["slo_freshness"].evidence_text()
    render = items["slo_render"]
    assert render.status == "fail" and "10 slow of a budget of 5.0" in render.evidence_text()
    assert items["churn_promoted"].status == "pass"
    drift = items["churn_not_drifting"]
    assert drift.status == "fail"
    assert drift.evidence_text() == (
        "no state for churn.feature_drift: the watchdog has not evaluated them"
    )
    tests = items["test_suite"]
    assert tests.status == "fail"
    assert "e2e: 30 tests, 2 failures, 0 errors, 1 skipped" in tests.evidence_text()
    # One budget of eight met: pages' render time; its query ratio missed, the rest absent.
    bench_item = items["benchmarks"]
    assert (bench_item.status, bench_item.credit) == ("partial", 1 / len(BENCH_BUDGETS))
    assert "pages.raw_query_ratio_min 5 (target >= 20)" in bench_item.evidence_text()
    assert "refresh.incremental_over_duckdb not recorded" in bench_item.evidence_text()
    # The score is the weighted credits, recomputed by hand from the items.
    earned = sum(i.weight * i.credit for i in result.items)
    assert result.score == round(100 * earned / sum(i.weight for i in result.items), 1)
    assert result.score < 50
    assert result.blockers[0].weight * (1 - result.blockers[0].credit) == 3


def test_monitors_green_need_a_full_day_and_tests_both_runs(engine: Engine, tmp_path: Path):
    with write_unit(engine) as session:
        for minutes in range(0, 120, 30):
            session.add(
                OpsMonitorResult(
                    monitor_id="db.reachable",
                    checked_at=AT - timedelta(minutes=minutes),
                    state="ok",
                    value=None,
                    evidence="",
                )
            )
    settings = development(tmp_path)
    write_junit(evidence.test_results_dir(settings), "unit", tests=120)
    write_junit(evidence.test_results_dir(settings), "e2e", tests=30)
    report = evaluate(Environment(settings=settings, now=AT))
    with Session(engine) as session:
        result = readiness(
            session,
            settings=settings,
            at=AT,
            hardening=report,
            commit=COMMIT,
            bench_dir=tmp_path / "none",
        )
        other = readiness(
            session,
            settings=settings,
            at=AT,
            hardening=report,
            commit="f" * 40,
            bench_dir=tmp_path / "none",
        )
    items = {i.id: i for i in result.items}
    assert items["monitors_green"].evidence_text() == (
        "1 monitors green, but evaluated for only 1.5 h of the 24"
    )
    assert items["test_suite"].status == "pass"
    assert items["benchmarks"].status == "fail"
    # Another commit's results do not count.
    assert {i.id: i for i in other.items}["test_suite"].evidence_text() == (
        "commit ffffffffffff: unit: not recorded; e2e: not recorded"
    )


def test_junit_from_a_real_pytest_run(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text(
        "import pytest\n"
        "def test_a(): pass\n"
        "def test_b(): assert 1 == 2\n"
        "@pytest.mark.skip\n"
        "def test_c(): pass\n",
        encoding="utf-8",
    )
    xml = tmp_path / "unit.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            f"--junitxml={xml}",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_tiny.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    recorded = read_junit(xml, "unit")
    assert (recorded.tests, recorded.failures, recorded.errors, recorded.skipped) == (3, 1, 0, 1)
    assert not recorded.passed


def test_the_cli_prints_the_score_and_exits_0(tmp_path: Path) -> None:
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'dev.db'}")
    done = run("readiness", BARBERPRO_DATABASE_URL=url, BARBERPRO_DATA_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Launch readiness: ")
    assert "FAIL    3 x 0.00  hardening.production_mode" in done.stdout
    assert "What blocks launch" in done.stdout
    as_json = run(
        "readiness", "--json", BARBERPRO_DATABASE_URL=url, BARBERPRO_DATA_DIR=str(tmp_path)
    )
    data = json.loads(as_json.stdout)
    assert 0 < data["score"] < 60 and len(data["items"]) == len(declared_items())
    bad = run("readiness", BARBERPRO_DATABASE_URL="nosuchdb://x", BARBERPRO_DATA_DIR=str(tmp_path))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
