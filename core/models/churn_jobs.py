"""Scheduler jobs of the churn model: daily retraining and hourly scoring.

``churn_retrain`` trains a new model on all history, backtests it, registers it (promoted
only if not worse, see ``core.models.churn``) and scores every active tenant with the
promoted model. ``churn_score`` re-scores every hour with the promoted model, so the
scores follow the day's activity between retrains. Both hold a database lease so only
one scheduler does the work; ``core.jobs`` records every run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from core.jobs import JobOutcome

RETRAIN_JOB_ID = "churn_retrain"
SCORE_JOB_ID = "churn_score"
RETRAIN_INTERVAL_S = 24 * 3600.0
SCORE_INTERVAL_S = 3600.0
# A first retrain computes a year of weekly feature sets: minutes, never hours.
RETRAIN_LEASE_S = 3 * 3600.0
SCORE_LEASE_S = 1800.0


def churn_retrain_job(engine: Engine, scheduler_id: str, run_id: int) -> JobOutcome:
    from core.jobs import JobOutcome
    from core.locks import release, try_acquire
    from core.models.churn import retrain, score_with_promoted

    if not try_acquire(engine, RETRAIN_JOB_ID, scheduler_id, lease_s=RETRAIN_LEASE_S):
        return JobOutcome(skipped=True, detail={"reason": "another scheduler holds the lock"})
    try:
        row = retrain(engine, job_run_id=run_id)
        scored = score_with_promoted(engine)
    finally:
        release(engine, RETRAIN_JOB_ID, scheduler_id)
    return JobOutcome(
        rows_touched=scored or 0,
        detail={
            "version": row.version,
            "algorithm": row.algorithm,
            "roc_auc": round(row.roc_auc, 4),
            "promoted": row.promoted,
            "decision": row.promotion_note,
            "tenants_scored": scored or 0,
        },
    )


def churn_score_job(engine: Engine, scheduler_id: str, run_id: int) -> JobOutcome:
    from core.jobs import JobOutcome
    from core.locks import release, try_acquire
    from core.models.churn import score_with_promoted

    if not try_acquire(engine, SCORE_JOB_ID, scheduler_id, lease_s=SCORE_LEASE_S):
        return JobOutcome(skipped=True, detail={"reason": "another scheduler holds the lock"})
    try:
        scored = score_with_promoted(engine)
    finally:
        release(engine, SCORE_JOB_ID, scheduler_id)
    if scored is None:
        return JobOutcome(skipped=True, detail={"reason": "no promoted churn model yet"})
    return JobOutcome(rows_touched=scored, detail={"tenants_scored": scored})
