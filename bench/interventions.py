"""Intervention outcomes on the default demo data: measured uplift vs the generator's truth.

Copies the default benchmark database (never touched itself), migrates the copy, runs the
Outcomes analysis as of the data's last day and compares the 90-day uplift (holdout minus
treated churn rate, with its 95% CI) with ``intervention_uplift_90d`` from the ground-truth
file. Then runs the alert rules once on the copy and times opening each new alert's
tenant card (server-side, the triage page's budget is 200 ms).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bench.report import print_table, write_results
from core.config import PROJECT_ROOT
from core.db import create_engine_for
from core.migrate import upgrade_database
from core.workflows.alerts.engine import run_alert_rules
from core.workflows.alerts.outcomes import CI_METHOD, analyse
from core.workflows.alerts.queries import tenant_card

RESULTS = PROJECT_ROOT / "bench" / "results"
CARD_BUDGET_MS = 200.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--database",
        default=str(RESULTS / "bench_default.db"),
        help="demo database to copy (default: the refresh benchmark's default data set)",
    )
    parser.add_argument(
        "--truth", help="its ground-truth JSON (default: <database>.ground_truth.json)"
    )
    parser.add_argument("--workdir", help="where to put the copy (default: a temporary folder)")


def _copy(source: Path, workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "interventions_bench.db"
    for leftover in workdir.glob(target.name + "*"):
        leftover.unlink()
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):  # an unfinished write-ahead log belongs to the copy
        side = source.with_name(source.name + suffix)
        if side.exists():
            shutil.copyfile(side, target.with_name(target.name + suffix))
    return target


def run(args: argparse.Namespace) -> int:
    source = Path(args.database)
    truth_path = Path(args.truth or source.with_suffix(".ground_truth.json"))
    if not source.exists() or not truth_path.exists():
        print(f"interventions: need {source} and {truth_path} (python -m bench refresh makes them)")
        return 2
    truth = json.loads(truth_path.read_text())
    as_of = datetime.fromisoformat(truth["as_of"])
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-interventions-"))
    copy = _copy(source, workdir)
    url = f"sqlite:///{copy}"
    upgrade_database(url)
    engine = create_engine_for(url)

    started = time.perf_counter()
    with Session(engine) as session:
        result = analyse(session=session, as_of=as_of.date())
    analysis_s = time.perf_counter() - started
    row = result.row(90)

    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        rules = run_alert_rules(session=session, at=as_of, rng=random.Random(7))
    rules_s = time.perf_counter() - started
    card_ms = []
    with Session(engine) as session:
        tenant_card(session=session, alert_id=rules.opened[0], at=as_of)  # warm the caches
    for alert_id in rules.opened:
        with Session(engine) as session:
            started = time.perf_counter()
            tenant_card(session=session, alert_id=alert_id, at=as_of)
            card_ms.append((time.perf_counter() - started) * 1000)
    engine.dispose()

    uplift_truth = float(truth["intervention"]["intervention_uplift_90d"])
    ci = [float(row.ci_low), float(row.ci_high)]
    figures = {
        "uplift_estimate": float(row.difference),
        "uplift_ci": ci,
        "uplift_truth": uplift_truth,
        "treated_n": int(row.treated_n),
        "holdout_n": int(row.holdout_n),
        "treated_churned": int(row.treated_churned),
        "holdout_churned": int(row.holdout_churned),
        "p_value": float(row.p_value),
        "ci_method": CI_METHOD,
        "ci_contains_truth": ci[0] <= uplift_truth <= ci[1],
        "ci_excludes_zero": ci[0] > 0 or ci[1] < 0,
        "truth_n_scored": int(truth["intervention"]["n_interventions_scored"]),
        "as_of": as_of.date().isoformat(),
        "analysis_s": analysis_s,
        "alert_rules_s": rules_s,
        "alerts_opened": len(rules.opened),
        "rules_skipped": rules.skipped,
        "card_ms_median": statistics.median(card_ms),
        "card_ms_max": max(card_ms),
        "card_ms_samples": [round(x, 2) for x in card_ms],
    }
    print_table(
        "intervention outcomes (90-day churn, holdout minus treated)",
        [
            ("uplift_estimate", figures["uplift_estimate"]),
            ("uplift_ci low", ci[0]),
            ("uplift_ci high", ci[1]),
            ("uplift_truth", uplift_truth),
            ("treated_n", figures["treated_n"]),
            ("holdout_n", figures["holdout_n"]),
            ("p_value", figures["p_value"]),
            ("CI contains truth", figures["ci_contains_truth"]),
            ("CI excludes zero", figures["ci_excludes_zero"]),
            ("alert rules run (s)", rules_s),
            ("alerts opened", len(rules.opened)),
            (f"tenant card median ms (budget {CARD_BUDGET_MS:g})", figures["card_ms_median"]),
            ("tenant card max ms", figures["card_ms_max"]),
        ],
    )
    write_results(args.json, figures)
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if figures["ci_contains_truth"] and figures["ci_excludes_zero"] else 1
