"""Notifications of new high-priority alerts: a Slack-compatible webhook and/or e-mail.

Opening an alert only *enqueues* messages (``cs_notification_outbox``) in the same
transaction, so an alert is never lost to a notification failure. The alert-rules job
then delivers what is due, outside any database transaction, with a short timeout per
message and a time budget per run: a slow or dead endpoint costs the job a few seconds
at most and never the refresh (which runs as its own job). A failed delivery is retried
with exponential backoff (30 s, 1 min, 2 min... capped at 1 h) up to
:data:`MAX_ATTEMPTS` times, then kept as ``failed`` with its last error.

Who gets what: the alert's assignee (the tenant's CS manager), if they enabled
notifications, for treated alerts whose priority reaches ``notify_min_priority``.
Holdout alerts notify nobody: they are held out from outreach.

E-mail goes through the SMTP relay named by ``BARBERPRO_SMTP_HOST`` (and
``BARBERPRO_SMTP_PORT``, default 25; ``BARBERPRO_SMTP_SENDER``); without a host, e-mail
messages wait in the outbox with that error.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import write_unit
from core.schema import CsAlert, CsNotification, CsNotificationPref, Tenant
from core.workflows.alerts.definitions import REASON_LABELS, AlertConfig

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 3600.0
MAX_ATTEMPTS = 10
TIMEOUT_S = 3.0
RUN_BUDGET_S = 6.0
BATCH = 20


def backoff_s(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure."""
    return min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)


def valid_webhook_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def message_for(alert: CsAlert, tenant_name: str) -> dict[str, Any]:
    """A Slack-compatible payload (``text``) with the alert's fields alongside."""
    reason = REASON_LABELS.get(alert.reason, alert.reason)
    text = (
        f"New high-priority alert: {tenant_name} - {reason}. "
        f"Priority ARS {alert.priority:,.0f} (MRR {alert.mrr_at_risk:,.0f} x "
        f"churn {alert.churn_probability:.0%}). Open: /triage?alert={alert.id}"
    )
    return {
        "text": text,
        "alert_id": alert.id,
        "tenant_id": alert.tenant_id,
        "tenant": tenant_name,
        "reason": alert.reason,
        "priority": round(float(alert.priority), 2),
    }


def enqueue_for_alerts(
    session: Session, alert_ids: list[int], *, at: datetime, config: AlertConfig
) -> int:
    """Outbox rows for the new alerts that deserve a notification; the caller commits."""
    if not alert_ids:
        return 0
    added = 0
    alerts = session.scalars(select(CsAlert).where(CsAlert.id.in_(alert_ids))).all()
    for alert in alerts:
        if alert.arm != "treated" or alert.priority < config.settings.notify_min_priority:
            continue
        if alert.assignee_id is None:
            continue
        pref = session.get(CsNotificationPref, alert.assignee_id)
        if pref is None or not pref.enabled:
            continue
        name = session.scalar(select(Tenant.trade_name).where(Tenant.id == alert.tenant_id))
        payload = message_for(alert, name or f"#{alert.tenant_id}")
        for channel, target in (("webhook", pref.webhook_url), ("email", pref.email)):
            if target:
                session.add(
                    CsNotification(
                        alert_id=alert.id,
                        user_id=alert.assignee_id,
                        channel=channel,
                        target=target,
                        payload=payload,
                        status="pending",
                        attempts=0,
                        next_attempt_at=at,
                        created_at=at,
                    )
                )
                added += 1
    return added


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int
    sender: str

    @classmethod
    def from_env(cls) -> SmtpSettings:
        port = os.environ.get("BARBERPRO_SMTP_PORT", "25")
        try:
            number = int(port)
        except ValueError:
            raise ValueError(f"BARBERPRO_SMTP_PORT must be a port number, got {port!r}") from None
        return cls(
            host=os.environ.get("BARBERPRO_SMTP_HOST") or None,
            port=number,
            sender=os.environ.get("BARBERPRO_SMTP_SENDER", "alerts@barberpro.com.ar"),
        )


def send_webhook(url: str, payload: dict[str, Any], *, timeout_s: float = TIMEOUT_S) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status}")


def send_email(
    to: str, payload: dict[str, Any], *, smtp: SmtpSettings, timeout_s: float = TIMEOUT_S
) -> None:
    if smtp.host is None:
        raise OSError("SMTP is not configured (set BARBERPRO_SMTP_HOST)")
    message = EmailMessage()
    message["From"], message["To"] = smtp.sender, to
    message["Subject"] = f"[BarberPro] {payload.get('tenant')}: {payload.get('reason')}"
    message.set_content(str(payload.get("text", "")))
    with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout_s) as client:
        client.send_message(message)


@dataclass(frozen=True)
class Delivery:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    left: int = 0


def deliver_due(
    engine: Engine,
    *,
    at: datetime | None = None,
    budget_s: float = RUN_BUDGET_S,
    timeout_s: float = TIMEOUT_S,
    smtp: SmtpSettings | None = None,
) -> Delivery:
    """Send the outbox messages due at ``at`` (default now) within ``budget_s`` seconds.

    A failed send never raises: it is recorded and retried ``backoff_s`` after ``at``.
    """
    at = at or now()
    smtp = smtp or SmtpSettings.from_env()
    with Session(engine) as session:
        due = session.execute(
            select(CsNotification.id, CsNotification.channel, CsNotification.target)
            .add_columns(CsNotification.payload)
            .where(CsNotification.status == "pending", CsNotification.next_attempt_at <= at)
            .order_by(CsNotification.next_attempt_at, CsNotification.id)
            .limit(BATCH)
        ).all()
    started = time.monotonic()
    delivered = failed = gave_up = 0
    for index, row in enumerate(due):
        if time.monotonic() - started > budget_s:
            return Delivery(delivered, failed, gave_up, left=len(due) - index)
        error: str | None = None
        try:
            if row.channel == "webhook":
                send_webhook(row.target, row.payload, timeout_s=timeout_s)
            else:
                send_email(row.target, row.payload, smtp=smtp, timeout_s=timeout_s)
        except (OSError, smtplib.SMTPException, urllib.error.URLError, ValueError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:500]
        with write_unit(engine) as session:
            note = session.get(CsNotification, row.id)
            if note is None or note.status != "pending":
                continue
            note.attempts += 1
            if error is None:
                note.status, note.delivered_at, note.last_error = "delivered", at, None
                delivered += 1
            else:
                log.warning("notification %s failed (attempt %s): %s", row.id, note.attempts, error)
                note.last_error = error
                if note.attempts >= MAX_ATTEMPTS:
                    note.status = "failed"
                    gave_up += 1
                else:
                    note.next_attempt_at = at + timedelta(seconds=backoff_s(note.attempts))
                    failed += 1
    return Delivery(delivered, failed, gave_up)
