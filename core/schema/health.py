"""Health scores (issue 4): daily per-tenant scores, their components and the weights.

``console_health_scores`` keeps one row per tenant per scored day: the overall score, its
band, every component's 0-100 score (NULL when the component was missing that day) and
the list of missing components. ``console_health_weights`` holds the weight of each
component per tier as edited on the Customer Health page; a tier/component without a row
uses the default in ``core.models.health.weights``. ``console_health_client_base_fits``
caches each tenant's BG/NBD fit of the client-base component (issue 18), so a refit is
warm-started and skipped when the tenant's fitting input did not change.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.schema.base import Base

__all__ = ["HealthClientBaseFit", "HealthScore", "HealthWeight"]


class HealthScore(Base):
    """A tenant's health on one day, from platform rows dated before that day only."""

    __tablename__ = "console_health_scores"

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    tier: Mapped[str | None] = mapped_column(String(20), nullable=True)  # tier at that day
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # NULL: nothing to score
    band: Mapped[str | None] = mapped_column(String(10), nullable=True)  # red, yellow, green
    usage_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    adoption_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    billing_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    support_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    relationship_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    client_base_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    missing: Mapped[list] = mapped_column(JSON, default=list)
    # What the client-base component is made of (BG/NBD over the tenant's own clients).
    expected_active_clients: Mapped[float | None] = mapped_column(Float, nullable=True)
    share_clients_lapsed: Mapped[float | None] = mapped_column(Float, nullable=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class HealthWeight(Base):
    """The weight of one component in one tier's score (normalized to % at use)."""

    __tablename__ = "console_health_weights"

    tier: Mapped[str] = mapped_column(String(20), primary_key=True)
    component: Mapped[str] = mapped_column(String(30), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)  # console user
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)


class HealthClientBaseFit(Base):
    """A tenant's latest BG/NBD fit for the client-base component (a cache, rebuildable).

    ``fingerprint`` digests the exact fitting input (the sampled RFM summary, the
    penalizer and ``core.models.health.client_base.FIT_VERSION``); ``day`` is the as-of
    day of that input.
    """

    __tablename__ = "console_health_client_base_fits"

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    fingerprint: Mapped[str] = mapped_column(String(64))
    r: Mapped[float] = mapped_column(Float)
    alpha: Mapped[float] = mapped_column(Float)
    a: Mapped[float] = mapped_column(Float)
    b: Mapped[float] = mapped_column(Float)
    fitted_at: Mapped[datetime] = mapped_column(DateTime, default=now)
