"""`python -m bench startup`: what it watches in the database, and a smoke run of the
whole benchmark on a small data set (``--quick``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bench.console_state import CRITERIA, console_state, data_ages, slower_cadences
from bench.startup import TARGETS
from core.clock import now
from core.config import PROJECT_ROOT
from core.metrics.detail import FrameProvider, discover_providers
from core.models.health.job import wanted_days


def _no_frames(session: Session, as_of: object) -> dict[str, pd.DataFrame]:
    return {}


def test_an_empty_console_meets_no_criterion(sqlite_engine: Engine) -> None:
    providers = discover_providers()
    with Session(sqlite_engine) as session:
        state = console_state(session=session, today=now().date(), providers=providers)
        ages = data_ages(session=session, at=now(), providers=providers)
    assert not state.complete
    assert state.met == dict.fromkeys(CRITERIA, False)
    assert state.why_not["metrics"] == "no metrics snapshot"
    assert state.why_not["detail_tables"] == "no detail snapshot"
    assert state.why_not["churn_model"] == "no promoted churn model"
    wanted = len(wanted_days(now().date()))  # nothing stored: every wanted day is to do
    assert state.why_not["health_history"] == f"{wanted} health days to compute"
    assert ages["metrics"] is None
    assert all(ages[f"detail:{p.name}"] is None for p in providers)


def test_slower_cadences_are_the_declared_ones_with_their_seconds() -> None:
    hourly = FrameProvider("hourly", ("x",), _no_frames, "a slow table", cadence_s=3600.0)
    default = FrameProvider("default", ("y",), _no_frames, "no cadence of its own")
    incremental = FrameProvider(
        "live", ("z",), _no_frames, "incremental", update=lambda s, d, p, t: p, cadence_s=900.0
    )
    declared = slower_cadences([hourly, default, incremental])
    # Only a provider with its own cadence and no update is slower by declaration; the
    # model jobs' outputs come with their registry schedule.
    assert declared == {
        "detail:hourly": 3600.0,
        "health scores (Customer Health, daily scores)": 3600.0,
        "churn scores (Churn & Retention, Tenants at risk)": 3600.0,
        "churn model and its model card (daily retrain)": 86400.0,
    }


@pytest.mark.slow
@pytest.mark.soak  # about 85 s of a worker on a quiet machine: `make soak` runs it
@pytest.mark.timeout(1200)
def test_the_quick_run_measures_every_stage(tmp_path: Path) -> None:
    output = tmp_path / "startup.json"
    bench = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "startup",
            "--quick",
            "--workdir",
            str(tmp_path / "work"),
            "--json",
            str(output),
        ],
        cwd=PROJECT_ROOT,
    )
    try:
        # A couple of minutes; ten on a starved machine (each phase waits for the runs it
        # needs: measured 9+ min at nice 19 with a load average of 14 on 2 cores).
        assert bench.wait(timeout=1100) == 0
    finally:
        if bench.poll() is None:
            bench.terminate()  # SIGTERM: it stops the scheduler and simulator it started
            bench.wait(timeout=60)
    result = json.loads(output.read_text())
    assert set(result["targets"]) == set(TARGETS)
    for name, verdict in result["targets"].items():
        assert verdict["target"] == TARGETS[name]
        assert verdict["met"] == (
            verdict["value"] is not None and verdict["value"] <= TARGETS[name]
        )
    assert result["scale"] == {"tenants": 6, "months": 14, "seed": 7}
    assert result["generation_s"] > 0
    stages = result["stages"]
    # The warm-up ran before the scheduler, as in `make run`, and wrote the first snapshot.
    assert stages["warm_s"] > 0
    assert stages["criteria_first_met_s"]["metrics"] > 0
    assert stages["jobs"]["metrics_refresh"]["first_status"] == "success"
    # The restarted scheduler's first refresh and detail run were both measured.
    assert set(result["restart"]["restart_first_runs_s"]) == {
        "metrics_refresh",
        "dashboard_frames",
    }
    assert result["restart_first_refresh_ratio"] > 0
    assert result["health_ms_per_tenant_day"] > 0
    assert result["features_all_tenants_s"] > 0
    # Every dashboard source was sampled; the slower ones are listed with their cadence.
    assert "metrics" in result["steady"]["data_age_max_s"]
    assert (
        result["steady"]["slower_cadence_s"]["churn model and its model card (daily retrain)"]
        == 86400.0
    )
    # The processes it started are gone: their logs were closed with a stop line.
    assert "stopped" in (tmp_path / "work" / "scheduler-2.log").read_text()
