"""The audit log: one row per change made through the console (who, when, before, after).

Write flows call :func:`record` inside their own transaction, so a change and its audit
row are committed together or not at all. Like every data-access helper, it never commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from core.schema import AuditEvent


def record(
    *,
    session: Session,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
) -> AuditEvent:
    """Add one audit event to ``session`` (the caller commits).

    ``before``/``after`` must be JSON-serializable: pass dates and decimals as strings.
    """
    event = AuditEvent(
        occurred_at=now(),
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
        comment=comment,
    )
    session.add(event)
    return event


def history(*, session: Session, entity: str, entity_id: object) -> list[AuditEvent]:
    """Every event of one entity, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )
