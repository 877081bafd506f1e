"""Churn models (issue 4): the model registry and stored per-tenant scores.

``console_churn_models`` keeps every trained model: when and on what data window it was
trained, its horizon and algorithm, its rolling-origin backtest (metrics with bootstrap
CIs and sample sizes, calibration and lift curve data, in ``metrics``), whether it was
promoted and why, and the fitted estimator itself (its parameters as JSON, in
``model_bytes``; never a pickle, see ``core.models.churn.storage``). The Model card page
reads only this table. ``console_churn_scores`` keeps the probability and
risk drivers of each tenant each time the promoted model scored it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.schema.base import Base

__all__ = ["ChurnFeatureSet", "ChurnModelVersion", "ChurnScore"]


class ChurnModelVersion(Base):
    __tablename__ = "console_churn_models"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)
    # The as-of dates of the training examples (first and last).
    data_start: Mapped[date] = mapped_column(Date)
    data_end: Mapped[date] = mapped_column(Date)
    horizon_days: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(40))
    # Backtest results: metrics with CIs and sizes, per-origin rows, calibration, lift,
    # global driver importance, the competing algorithm's metrics.
    metrics: Mapped[dict] = mapped_column(JSON)
    roc_auc: Mapped[float] = mapped_column(Float)  # copied from metrics for the rule
    promoted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    promotion_note: Mapped[str] = mapped_column(Text, default="")
    # UTF-8 JSON (core.models.churn.storage); rows from earlier releases hold a pickle,
    # which is refused on load and never unpickled.
    model_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    job_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ChurnScore(Base):
    __tablename__ = "console_churn_scores"
    __table_args__ = (Index("ix_console_churn_scores_tenant_scored", "tenant_id", "scored_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    # [{"msgid": ..., "params": {...}, "weight": ...}], riskiest first.
    drivers: Mapped[list] = mapped_column(JSON, default=list)


class ChurnFeatureSet(Base):
    """Point-in-time features of every tenant on one past as-of date, computed once.

    Features as of a past moment never change (they read rows before it only), so daily
    retraining computes only the new as-of dates. ``feature_version`` changes whenever
    the feature list does, which makes older sets unused.
    """

    __tablename__ = "console_churn_feature_sets"

    as_of: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    feature_version: Mapped[str] = mapped_column(String(16), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    # {"columns": [...], "data": [[...], ...]}: one row per tenant active then.
    frame: Mapped[dict] = mapped_column(JSON)
