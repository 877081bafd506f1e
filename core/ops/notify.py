"""Delivering ops incidents to the ops channel, by the watchdog (not the scheduler).

The ops outbox (``ops_notification_outbox``) is filled in the same transaction that
opens, escalates or resolves an incident (``core.ops.incidents``); the watchdog then
sends what is due after each evaluation, outside any transaction, with the CS outbox's
rules: a short timeout per message, a time budget per round, exponential backoff up to
``MAX_ATTEMPTS``, the webhook address vetted and pinned (``core.security.webhooks``),
and the raw error in the log only.
"""

from __future__ import annotations

import http.client
import logging
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.clock import now
from core.config import Settings
from core.db import write_unit
from core.schema import OpsNotification
from core.security.webhooks import Resolver, WebhookRefusedError
from core.workflows.alerts.notify import (
    BLOCKED,
    EMAIL_FAILED,
    EMAIL_NOT_CONFIGURED,
    FAILED,
    MAX_ATTEMPTS,
    TIMEOUT_S,
    SmtpSettings,
    backoff_s,
    send_email,
)
from core.workflows.alerts.webhook_client import send_webhook

log = logging.getLogger(__name__)

BATCH = 20
RUN_BUDGET_S = 6.0
CHANNEL_REMOVED = "cancelled: the ops channel is no longer set"


@dataclass(frozen=True)
class OpsDelivery:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0


class _NotSentError(Exception):
    def __init__(self, shown: str, reason: str, *, final: bool = False) -> None:
        super().__init__(reason)
        self.shown, self.reason, self.final = shown, reason, final


def _send(
    channel: str,
    payload: dict,
    settings: Settings,
    *,
    resolver: Resolver | None,
    ssl_context: ssl.SSLContext | None,
) -> None:
    if channel == "webhook":
        if not settings.ops_webhook_url:
            raise _NotSentError(CHANNEL_REMOVED, "BARBERPRO_OPS_WEBHOOK_URL is not set", final=True)
        try:
            send_webhook(
                settings.ops_webhook_url,
                payload,
                timeout_s=TIMEOUT_S,
                resolver=resolver,
                settings=settings,
                ssl_context=ssl_context,
            )
        except WebhookRefusedError as exc:
            final = exc.code != "webhook_unresolved"
            raise _NotSentError(
                BLOCKED if final else FAILED, f"{exc.code}: {exc}", final=final
            ) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise _NotSentError(FAILED, f"{exc.__class__.__name__}: {exc}") from None
        return
    if not settings.ops_email:
        raise _NotSentError(CHANNEL_REMOVED, "BARBERPRO_OPS_EMAIL is not set", final=True)
    smtp = SmtpSettings.from_env()
    if smtp.host is None:
        raise _NotSentError(EMAIL_NOT_CONFIGURED, "SMTP is not configured (BARBERPRO_SMTP_HOST)")
    try:
        send_email(settings.ops_email, payload, smtp=smtp, timeout_s=TIMEOUT_S)
    except (OSError, smtplib.SMTPException) as exc:
        raise _NotSentError(EMAIL_FAILED, f"{exc.__class__.__name__}: {exc}") from None


def deliver_ops_due(
    engine: Engine,
    settings: Settings,
    *,
    at: datetime | None = None,
    budget_s: float = RUN_BUDGET_S,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> OpsDelivery:
    """Send the ops messages due at ``at`` within ``budget_s``; never raises for a send."""
    at = at or now()
    with Session(engine) as session:
        due = session.execute(
            select(OpsNotification.id, OpsNotification.channel, OpsNotification.payload)
            .where(OpsNotification.status == "pending", OpsNotification.next_attempt_at <= at)
            .order_by(OpsNotification.next_attempt_at, OpsNotification.id)
            .limit(BATCH)
        ).all()
    started = time.monotonic()
    delivered = failed = gave_up = 0
    for row in due:
        if time.monotonic() - started > budget_s:
            break
        problem: _NotSentError | None = None
        try:
            _send(row.channel, row.payload, settings, resolver=resolver, ssl_context=ssl_context)
        except _NotSentError as exc:
            problem = exc
        with write_unit(engine) as session:
            note = session.get(OpsNotification, row.id)
            if note is None or note.status != "pending":
                continue
            note.attempts += 1
            if problem is None:
                note.status, note.delivered_at, note.last_error = "delivered", now(), None
                delivered += 1
                continue
            log.warning(
                "ops notification %s (%s) not delivered, attempt %s: %s",
                row.id,
                row.channel,
                note.attempts,
                problem.reason[:500],
            )
            note.last_error = problem.shown
            if problem.final or note.attempts >= MAX_ATTEMPTS:
                note.status = "failed"
                gave_up += 1
            else:
                note.next_attempt_at = at + timedelta(seconds=backoff_s(note.attempts))
                failed += 1
    return OpsDelivery(delivered, failed, gave_up)
