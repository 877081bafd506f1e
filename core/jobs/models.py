"""The model jobs: tenant health scores, churn retraining and hourly churn scoring.

``churn_retrain`` trains a new model on all history, backtests it, registers it (promoted
only if not worse, see ``core.models.churn``) and scores every active tenant with the
promoted model. ``churn_score`` re-scores every hour with the promoted model, so the
scores follow the day's activity between retrains. Each runs under its own lease
(declared in the registry).
"""

from __future__ import annotations

from core.jobs.spec import JobContext, JobOutcome
from core.models import churn
from core.models.health_job import update_health_scores


def health_scores_job(context: JobContext) -> JobOutcome:
    result = update_health_scores(context.engine)
    if not result["days"]:
        return JobOutcome(skipped=True, rows_touched=0, detail={"reason": "today is up to date"})
    return JobOutcome(rows_touched=result["rows"], detail=result)


def churn_retrain_job(context: JobContext) -> JobOutcome:
    # Through the module, so tests can replace the training with a small simulated run.
    row = churn.retrain(context.engine, job_run_id=context.run_id)
    scored = churn.score_with_promoted(context.engine)
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


def churn_score_job(context: JobContext) -> JobOutcome:
    scored = churn.score_with_promoted(context.engine)
    if scored is None:
        return JobOutcome(skipped=True, detail={"reason": "no promoted churn model yet"})
    return JobOutcome(rows_touched=scored, detail={"tenants_scored": scored})
