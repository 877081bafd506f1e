"""Onboarding wizard (issue 5): what activation writes beyond the platform's core tables,
and the manual-review decisions.

The wizard's drafts and step timings live in ``onboarding_sessions`` and
``onboarding_step_events`` (``core.schema``). Activation creates a tenant with its
locations, services, staff and subscription there, plus the rows below: opening hours per
location, working hours and services per staff member, and the tenant's integrations.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.schema.base import Base

__all__ = [
    "LocationOpeningHours",
    "OnboardingReview",
    "StaffService",
    "StaffWorkingHours",
    "TenantIntegration",
]


def _updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime, default=now, onupdate=now, nullable=False, index=True)


class LocationOpeningHours(Base):
    """One shift of a location's week: weekday 0 = Monday, times ``HH:MM`` (24:00 allowed)."""

    __tablename__ = "location_opening_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))
    updated_at: Mapped[datetime] = _updated_at()


class StaffWorkingHours(Base):
    """One shift of a staff member's week (same conventions as opening hours)."""

    __tablename__ = "staff_working_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts: Mapped[str] = mapped_column(String(5))
    ends: Mapped[str] = mapped_column(String(5))
    updated_at: Mapped[datetime] = _updated_at()


class StaffService(Base):
    """Who performs what: a staff member may take bookings for the service."""

    __tablename__ = "staff_services"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True, index=True)
    updated_at: Mapped[datetime] = _updated_at()


class TenantIntegration(Base):
    """A tenant's integration (mercadopago, whatsapp, calendar): on or off, and its settings.

    Credentials are never stored here: ``settings`` keeps a masked hint and a fingerprint.
    """

    __tablename__ = "tenant_integrations"
    __table_args__ = (UniqueConstraint("tenant_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class OnboardingReview(Base):
    """A reviewer's decision on an onboarding sent to manual review."""

    __tablename__ = "onboarding_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("onboarding_sessions.id"), index=True)
    decision: Mapped[str] = mapped_column(String(10))  # approved, rejected
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    reasons: Mapped[str | None] = mapped_column(Text, nullable=True)  # the flagged reason codes
    comment: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = _updated_at()
