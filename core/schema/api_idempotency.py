"""The JSON API's idempotency keys (issue 17): a retried POST gets the first answer.

``api_idempotency_keys`` keeps, per caller (the token's user) and ``Idempotency-Key``,
the SHA-256 of the request's canonical body and the result the first request produced.
The unique constraint on (user, key) is what makes two racing retries create one
onboarding: the second insert fails and that request replays the first one's result.
Keys expire after ``IDEMPOTENCY_KEY_TTL`` (core.idempotency); the scheduler's
``prune_job_runs`` maintenance job deletes expired ones.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.base import Base

__all__ = ["ApiIdempotencyKey"]


class ApiIdempotencyKey(Base):
    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "route", "key", name="uq_api_idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    # The route the key was used on ("onboarding.initiate"): a key names one operation.
    route: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    # What the first request produced (JSON), replayed as it was.
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
