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

Webhooks (see ``core.security.webhooks`` for the address rules): the URL is a secret, so
it is stored once, sealed (``core.security.sealing``), in the user's preferences; an
outbox row names the recipient's setting (``notification_pref:<user id>``), never the
URL, and delivery reads the setting when it sends. Each delivery vets the address again,
resolves the host once and connects to that vetted IP (TLS still checks the certificate
against the host name, and the Host header names it), so a name that re-resolves to an
internal address meanwhile (DNS rebinding) gets nothing; redirects are never followed (a
3xx is a failed delivery); no proxy is used. Users see one of a few fixed statuses in
``last_error`` (:data:`FAILED`, :data:`BLOCKED`...), never the raw error text, which goes
to the log only: otherwise the delivery error would tell whoever sets the address which
ports answer where.
"""

from __future__ import annotations

import http.client
import logging
import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import write_unit
from core.i18n import N_
from core.schema import AuditEvent, CsAlert, CsNotification, CsNotificationPref, Tenant
from core.security.sealing import SEALED_PREFIX, UnreadableSecretError, seal, unseal
from core.security.webhooks import (
    MAX_WEBHOOK_URL,
    Resolver,
    WebhookRefusedError,
    WebhookSettings,
    mask_webhook_url,
)
from core.workflows.alerts.definitions import REASON_LABELS, AlertConfig
from core.workflows.alerts.webhook_client import send_webhook

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 3600.0
MAX_ATTEMPTS = 10
TIMEOUT_S = 3.0
RUN_BUDGET_S = 6.0
BATCH = 20

# What users see of a delivery that did not go (``last_error``); the page translates it.
FAILED = N_("failed: the receiving service refused or could not be reached")
BLOCKED = N_("blocked: not an allowed address")
CANCELLED = N_("cancelled: no webhook is set any more")
UNREADABLE = N_("failed: the stored webhook address can no longer be read; set it again")
EMAIL_FAILED = N_("failed: the e-mail relay refused or could not be reached")
EMAIL_NOT_CONFIGURED = N_("waiting: e-mail is not set up on the server (BARBERPRO_SMTP_HOST)")
SHOWN_STATUSES = (FAILED, BLOCKED, CANCELLED, UNREADABLE, EMAIL_FAILED, EMAIL_NOT_CONFIGURED)

WEBHOOK_TARGET_PREFIX = "notification_pref:"
_MASK_MARK = "/…/****"


def backoff_s(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure."""
    return min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)


def webhook_target(user_id: int) -> str:
    """What an outbox row says for a webhook: the recipient's setting, not its URL."""
    return f"{WEBHOOK_TARGET_PREFIX}{user_id}"


def webhook_hint(stored: str | None) -> str | None:
    """The masked form of a stored (sealed) webhook URL, for pages and the audit log."""
    if not stored:
        return None
    try:
        return mask_webhook_url(unseal(stored))
    except UnreadableSecretError:
        return "****"


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
        targets = (
            ("webhook", webhook_target(alert.assignee_id) if pref.webhook_url else None),
            ("email", pref.email),
        )
        for channel, target in targets:
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


def seal_stored_webhooks(session: Session) -> dict[str, int]:
    """Seal what was stored in clear before webhook URLs were secrets; the caller commits.

    Preferences get their URL sealed (one longer than a webhook may now be is dropped),
    webhook outbox rows name the recipient's setting instead of the URL, and the audit
    log's notification-preference events show the masked form. Idempotent; each query
    matches nothing once done.
    """
    prefs = outbox = events = 0
    for pref in session.scalars(
        select(CsNotificationPref).where(
            CsNotificationPref.webhook_url.is_not(None),
            CsNotificationPref.webhook_url.not_like(f"{SEALED_PREFIX}%"),
        )
    ):
        clear = (pref.webhook_url or "").strip()
        pref.webhook_url = seal(clear) if clear and len(clear) <= MAX_WEBHOOK_URL else None
        prefs += 1
    for note in session.scalars(
        select(CsNotification).where(
            CsNotification.channel == "webhook",
            CsNotification.target.not_like(f"{WEBHOOK_TARGET_PREFIX}%"),
        )
    ):
        note.target = webhook_target(note.user_id or 0)
        outbox += 1
    for event in session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "notification_pref")
    ):
        changed = False
        for side in ("before", "after"):
            values = getattr(event, side)
            url = values.get("webhook_url") if isinstance(values, dict) else None
            if isinstance(url, str) and _MASK_MARK not in url:
                setattr(event, side, {**values, "webhook_url": mask_webhook_url(unseal(url))})
                changed = True
        events += changed
    if prefs or outbox or events:
        log.warning(
            "sealed webhook URLs stored in clear: %s preferences, %s outbox rows, %s audit events",
            prefs,
            outbox,
            events,
        )
    return {"preferences": prefs, "outbox": outbox, "audit_events": events}


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


def send_email(
    to: str, payload: dict[str, Any], *, smtp: SmtpSettings, timeout_s: float = TIMEOUT_S
) -> None:
    if smtp.host is None:
        raise OSError("SMTP is not configured (set BARBERPRO_SMTP_HOST)")
    message = EmailMessage()
    message["From"], message["To"] = smtp.sender, to
    # Ops incidents (core.ops.notify) carry their own subject; CS alerts name the tenant.
    subject = payload.get("subject") or f"{payload.get('tenant')}: {payload.get('reason')}"
    message["Subject"] = f"[BarberPro] {subject}"
    message.set_content(str(payload.get("text", "")))
    with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout_s) as client:
        client.send_message(message)


# ------------------------------------------------------------------ delivery


class _NotSentError(Exception):
    """A delivery that did not go: what users see, the reason for the log, and whether
    retrying could help."""

    def __init__(self, shown: str, reason: str, *, final: bool = False) -> None:
        super().__init__(reason)
        self.shown, self.reason, self.final = shown, reason, final


@dataclass(frozen=True)
class Delivery:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    left: int = 0


@dataclass(frozen=True)
class _Channels:
    timeout_s: float
    smtp: SmtpSettings
    resolver: Resolver | None
    settings: WebhookSettings | None
    ssl_context: ssl.SSLContext | None


def _deliver_webhook(
    engine: Engine, user_id: int | None, payload: dict[str, Any], how: _Channels
) -> None:
    with Session(engine) as session:
        pref = session.get(CsNotificationPref, user_id) if user_id is not None else None
        stored = pref.webhook_url if pref is not None and pref.enabled else None
    if not stored:
        raise _NotSentError(CANCELLED, "the recipient has no webhook set any more", final=True)
    try:
        url = unseal(stored)
    except UnreadableSecretError as exc:
        raise _NotSentError(UNREADABLE, str(exc), final=True) from None
    try:
        send_webhook(
            url,
            payload,
            timeout_s=how.timeout_s,
            resolver=how.resolver,
            settings=how.settings,
            ssl_context=how.ssl_context,
        )
    except WebhookRefusedError as exc:
        if exc.code == "webhook_unresolved":  # DNS may answer again later
            raise _NotSentError(FAILED, f"{exc.code}: {exc}") from None
        raise _NotSentError(BLOCKED, f"{exc.code}: {exc}", final=True) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _NotSentError(FAILED, f"{exc.__class__.__name__}: {exc}") from None


def _deliver_email(target: str, payload: dict[str, Any], how: _Channels) -> None:
    if how.smtp.host is None:
        raise _NotSentError(
            EMAIL_NOT_CONFIGURED, "SMTP is not configured (set BARBERPRO_SMTP_HOST)"
        )
    try:
        send_email(target, payload, smtp=how.smtp, timeout_s=how.timeout_s)
    except (OSError, smtplib.SMTPException) as exc:
        raise _NotSentError(EMAIL_FAILED, f"{exc.__class__.__name__}: {exc}") from None


def deliver_due(
    engine: Engine,
    *,
    at: datetime | None = None,
    budget_s: float = RUN_BUDGET_S,
    timeout_s: float = TIMEOUT_S,
    smtp: SmtpSettings | None = None,
    resolver: Resolver | None = None,
    settings: WebhookSettings | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Delivery:
    """Send the outbox messages due at ``at`` (default now) within ``budget_s`` seconds.

    A failed send never raises: it is recorded (the fixed status users see) and retried
    ``backoff_s`` after ``at``; a blocked address or a removed setting is not retried.
    ``resolver``, ``settings`` and ``ssl_context`` are for tests (defaults: the system's
    DNS, the environment's settings, the system's certificate authorities).
    """
    at = at or now()
    how = _Channels(timeout_s, smtp or SmtpSettings.from_env(), resolver, settings, ssl_context)
    with Session(engine) as session:
        due = session.execute(
            select(
                CsNotification.id,
                CsNotification.channel,
                CsNotification.target,
                CsNotification.user_id,
            )
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
        problem: _NotSentError | None = None
        try:
            if row.channel == "webhook":
                _deliver_webhook(engine, row.user_id, row.payload, how)
            else:
                _deliver_email(row.target, row.payload, how)
        except _NotSentError as exc:
            problem = exc
        with write_unit(engine) as session:
            note = session.get(CsNotification, row.id)
            if note is None or note.status != "pending":
                continue
            note.attempts += 1
            if problem is None:
                note.status, note.delivered_at, note.last_error = "delivered", at, None
                delivered += 1
                continue
            # The raw reason is for the log only: shown to users, it would map the network.
            log.warning(
                "notification %s (%s) not delivered, attempt %s: %s",
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
    return Delivery(delivered, failed, gave_up)
