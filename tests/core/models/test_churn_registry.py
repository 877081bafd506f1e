"""Model registry: promotion rule, promoted model round trip, stored scores, recorded job runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import now
from core.config import get_settings
from core.db import get_engine
from core.jobs.models import churn_retrain_job
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.jobs.spec import JobContext
from core.models.churn import registry as churn
from core.models.churn.registry import (
    PROMOTION_AUC_TOLERANCE,
    latest_churn_scores,
    model_history,
    promoted_model,
    promotion_decision,
    register_candidate,
    score_tenant,
)
from core.schema import ChurnModelVersion, JobRun
from core.schema.churn_models import ChurnScore
from tests.core.models.test_churn_helpers import (
    registry_database,
    simulated_examples,
    small_candidate,
)


def _metrics(auc: float, brier: float = 0.02, baseline: float = 0.03) -> dict:
    return {
        "roc_auc": {"value": auc},
        "brier": {"value": brier},
        "brier_baseline": {"value": baseline},
    }


def test_promotion_rule() -> None:
    current = SimpleNamespace(version=3, roc_auc=0.80)
    assert promotion_decision(_metrics(0.70), None)[0] is True
    assert promotion_decision(_metrics(0.70), None)[1]["reason"] == "first_model"
    within = 0.80 - PROMOTION_AUC_TOLERANCE + 1e-9
    assert promotion_decision(_metrics(within), current)[1]["reason"] == "not_worse"
    assert promotion_decision(_metrics(0.85), current)[0] is True
    promote, why = promotion_decision(_metrics(0.78), current)
    assert not promote and why["reason"] == "worse_auc" and why["previous_version"] == 3
    promote, why = promotion_decision(_metrics(0.95, brier=0.03, baseline=0.03), current)
    assert not promote and why["reason"] == "no_better_than_base_rate"


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory) -> str:
    return registry_database(f"sqlite:///{tmp_path_factory.mktemp('churn') / 'registry.db'}")


def test_registry_keeps_every_version_and_one_promoted(registry_url) -> None:
    with Session(get_engine(registry_url)) as session:
        history = model_history(session=session)
        model = promoted_model(session=session)
    assert list(history["version"]) == [2, 1]
    assert history["promoted"].sum() == 1
    promoted = history[history["promoted"]].iloc[0]
    assert model is not None and model.version_ == promoted["version"]
    metrics = promoted["metrics"]
    for key in ("roc_auc", "pr_auc", "brier", "top_decile_lift"):
        assert len(metrics[key]["ci"]) == 2
    assert metrics["n_test"] > 0 and metrics["calibration"]["n"] and metrics["lift"]["decile"]
    assert metrics["promotion"]["reason"] in {"not_worse", "worse_auc", "first_model"}


def test_a_worse_model_is_registered_but_not_promoted(registry_url, monkeypatch) -> None:
    candidate = small_candidate(seed=3, health=False)
    candidate.metrics = {**candidate.metrics, "roc_auc": {"value": 0.5, "ci": [0.4, 0.6]}}
    engine = get_engine(registry_url)
    with Session(engine) as session, session.begin():
        before = promoted_model(session=session).version_
        row = register_candidate(session=session, candidate=candidate)
        assert not row.promoted and row.promotion_note == "worse_auc"
        session.rollback()
    with Session(engine) as session:
        assert promoted_model(session=session).version_ == before


def test_scores_are_stored_and_read_back_with_drivers(registry_url) -> None:
    engine = get_engine(registry_url)
    rows = simulated_examples(n_tenants=5, n_dates=1, seed=9)
    with Session(engine) as session, session.begin():
        model = promoted_model(session=session)
        for _, row in rows.iterrows():
            p, drivers = score_tenant(model, row)
            session.add(
                ChurnScore(
                    tenant_id=int(row["tenant_id"]),
                    scored_at=datetime(2026, 1, 1, 12),
                    model_version=model.version_,
                    probability=p,
                    drivers=drivers,
                )
            )
    with Session(engine) as session:
        latest = latest_churn_scores(session=session)
    assert len(latest) == 5
    assert list(latest["probability"]) == sorted(latest["probability"], reverse=True)
    assert all(isinstance(text, str) for texts in latest["drivers"] for text in texts)
    assert all("{" not in text for texts in latest["drivers"] for text in texts)


def test_retrain_job_records_its_runs(registry_url, monkeypatch, tmp_path) -> None:
    spec = next(s for s in JOBS if s.job_id == "churn_retrain")
    # On an empty database the job fails with a clear reason, and the failure is recorded.
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    from core.migrate import upgrade_database

    upgrade_database(empty)
    run = run_recorded(get_engine(empty), spec, "test:1:abc", get_settings())
    assert run.status == "failed" and "no billing history" in run.error

    # With training replaced by the small simulated run, a success is recorded with
    # the registered version.
    def fake_retrain(engine, *, job_run_id=None, **_):  # type: ignore[no-untyped-def]
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return register_candidate(
                session=session,
                candidate=small_candidate(seed=4, health=False),
                job_run_id=job_run_id,
            )

    monkeypatch.setattr(churn, "retrain", fake_retrain)
    monkeypatch.setattr(churn, "score_with_promoted", lambda engine: 0)
    engine = get_engine(registry_url)
    # A scheduler's wake-up while a usable model is under 20 hours old (every restart
    # woke the job after the warm-up) is a recorded skip, not hours of training...
    run = run_recorded(engine, spec, "test:1:abc", get_settings())
    assert run.status == "skipped" and "a model was trained at" in run.detail["reason"]
    # ... unless an administrator asked for it.
    asked = churn_retrain_job(JobContext(engine, "test:1:abc", run.id, get_settings(), True))
    assert not asked.skipped and asked.detail["version"] == 3
    with Session(engine) as session, session.begin():
        session.execute(update(ChurnModelVersion).values(trained_at=now() - timedelta(hours=21)))
    run = run_recorded(engine, spec, "test:1:abc", get_settings())
    assert run.status == "success", run.error
    with Session(get_engine(registry_url)) as session:
        stored = session.scalars(select(JobRun).where(JobRun.job_id == "churn_retrain")).all()
        assert stored[-1].detail["version"] == model_history(session=session)["version"].max()
