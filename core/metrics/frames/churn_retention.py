"""Churn & Retention detail tables: why tenants left, and the churn model's latest scores.

Churn events and cohorts come from ``revenue_tenant_months`` (subscriptions.py); this
adds what that frame lacks: each tenant's recorded churn reason and, when the churn
model has scored (``core.models.churn.registry``), its newest probability per tenant.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.metrics.frames.subscriptions import read_tenants
from core.models.churn.registry import latest_churn_scores
from core.schema import ChurnScore

log = logging.getLogger(__name__)
SCORE_COLUMNS = ["tenant_id", "probability", "drivers"]


def latest_scores(session: Session) -> pd.DataFrame:
    """tenant_id, probability of the churn model's newest scores; empty without a model."""
    try:
        frame = pd.DataFrame(latest_churn_scores(session=session))
    except SQLAlchemyError as exc:  # e.g. its table not migrated yet: reasons still count
        session.rollback()
        log.warning("churn scores unavailable: %s", str(exc).splitlines()[0])
        return pd.DataFrame(columns=SCORE_COLUMNS)
    if frame.empty or not {"tenant_id", "probability"} <= set(frame.columns):
        return pd.DataFrame(columns=SCORE_COLUMNS)
    drivers = frame["drivers"] if "drivers" in frame else pd.Series([[]] * len(frame))
    # the two strongest drivers, as text (English msgids rendered by the churn module)
    frame = frame.assign(drivers=["; ".join(list(d or [])[:2]) for d in drivers])
    return frame[SCORE_COLUMNS].astype({"tenant_id": "int64", "probability": "float64"})


def churn_scores_written_at(session: Session) -> datetime | None:
    """When the churn model last scored (None: never)."""
    return session.scalar(select(func.max(ChurnScore.scored_at)))


def compute_churn_frames(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    tenants = read_tenants(session=session)
    reasons = tenants[["tenant_id", "status", "churned_on", "churn_reason"]]
    return {"churn_tenant_reasons": reasons, "churn_risk_scores": latest_scores(session)}


PROVIDERS = [
    FrameProvider(
        name="churn",
        frames=("churn_tenant_reasons", "churn_risk_scores"),
        compute=compute_churn_frames,
        description="Each tenant's status, churn date and reason; the churn model's "
        "newest probability per tenant (empty until the model exists).",
        inputs_written_at=churn_scores_written_at,
    )
]
