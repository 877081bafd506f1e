"""Reads of the triage page that are not the queue or the card (core.workflows.alerts.queries)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.schema import CsAlert, CsNotification, CsNotificationPref
from core.workflows.alerts.notify import webhook_hint

__all__ = ["NotificationPref", "notification_pref", "sent_notifications"]

SENT_COLUMNS = ["created_at", "channel", "status", "attempts", "last_error", "alert_id"]


@dataclass(frozen=True)
class NotificationPref:
    """What the page shows of a user's settings: the webhook masked, never its URL."""

    enabled: bool = False
    webhook_hint: str = ""  # https://hooks.slack.com/…/****abcd; "" when none is set
    email: str = ""


def notification_pref(*, session: Session, user_id: int) -> NotificationPref:
    """A console user's notification settings (all off when never saved)."""
    row = session.get(CsNotificationPref, user_id)
    if row is None:
        return NotificationPref()
    return NotificationPref(bool(row.enabled), webhook_hint(row.webhook_url) or "", row.email or "")


def sent_notifications(*, session: Session, user_id: int, limit: int = 20) -> pd.DataFrame:
    """The latest notifications sent to a user, newest first.

    ``last_error`` is one of the fixed statuses of ``core.workflows.alerts.notify``
    (``SHOWN_STATUSES``), never a raw error: the page translates it.
    """
    rows = session.execute(
        select(
            CsNotification.created_at,
            CsNotification.channel,
            CsNotification.status,
            CsNotification.attempts,
            CsNotification.last_error,
            CsAlert.id,
        )
        .join(CsAlert, CsAlert.id == CsNotification.alert_id)
        .where(CsNotification.user_id == user_id)
        .order_by(CsNotification.id.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=SENT_COLUMNS)
