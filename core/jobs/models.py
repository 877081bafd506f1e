"""The model jobs: tenant health scores, churn retraining and hourly churn scoring.

``churn_retrain`` trains a new model on all history, backtests it, registers it (promoted
only if not worse, see ``core.models.churn.registry``) and scores every active tenant with the
promoted model. ``churn_score`` re-scores every hour with the promoted model, so the
scores follow the day's activity between retrains. Each runs under its own lease
(declared in the registry).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.clock import now
from core.db import read_session
from core.jobs.spec import JobContext, JobOutcome
from core.models.churn import registry as churn
from core.models.health.job import update_health_scores
from core.schema import ChurnModelVersion, ChurnScore


def health_scores_job(context: JobContext) -> JobOutcome:
    result = update_health_scores(context.engine)
    if not result["days"]:
        return JobOutcome(skipped=True, rows_touched=0, detail={"reason": "today is up to date"})
    return JobOutcome(rows_touched=result["rows"], detail=result)


# A scheduler wakes its daily jobs right after the warm-up, so every restart retrained
# the model (many minutes of CPU). While a usable model is this recent, the run is a
# recorded skip unless an administrator asked; a restart delays a retrain by under a day.
RETRAIN_AFTER = timedelta(hours=20)


def churn_retrain_job(context: JobContext) -> JobOutcome:
    if not context.requested:
        with read_session(context.engine) as session:
            trained_at = session.scalar(select(func.max(ChurnModelVersion.trained_at)))
            # a damaged or missing promoted model is replaced whatever its age
            usable = churn.promoted_model(session=session) is not None
        if usable and trained_at is not None and now() - trained_at < RETRAIN_AFTER:
            return JobOutcome(
                skipped=True,
                rows_touched=0,
                detail={"reason": f"a model was trained at {trained_at:%Y-%m-%d %H:%M}"},
            )
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


# Scores this recent, by the promoted model, are not redone by the hourly job (a retrain or
# the first-run warm-up has just written them); under its hour, so a run an hour after
# the previous one never finds them "recent".
RESCORE_AFTER = timedelta(minutes=50)


def churn_score_job(context: JobContext) -> JobOutcome:
    if not context.requested:
        with read_session(context.engine) as session:
            last = session.execute(
                select(ChurnScore.scored_at, ChurnScore.model_version)
                .order_by(ChurnScore.scored_at.desc())
                .limit(1)
            ).first()
            promoted = churn.promoted_version(session=session)
        if (
            last is not None
            and promoted is not None
            and last.model_version == promoted.version
            and now() - last.scored_at < RESCORE_AFTER
        ):
            return JobOutcome(
                skipped=True,
                rows_touched=0,
                detail={"reason": f"the promoted model scored at {last.scored_at:%Y-%m-%d %H:%M}"},
            )
    scored = churn.score_with_promoted(context.engine)
    if scored is None:
        return JobOutcome(skipped=True, detail={"reason": "no promoted churn model yet"})
    return JobOutcome(rows_touched=scored, detail={"tenants_scored": scored})
