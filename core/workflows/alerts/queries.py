"""Reads for the triage page: the alert queue and a tenant's card.

Small, indexed queries only (alerts by status and priority; one tenant's rows through
their ``tenant_id`` indexes; its daily rollup by primary key). The card is budgeted at
200 ms server-side on the default demo data (``bench/interventions.py`` measures it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from core.schema import (
    AuditEvent,
    ConsoleUser,
    CsAlert,
    CsAlertAction,
    Invoice,
    NpsResponse,
    RollupTenantDay,
    Subscription,
    SupportTicket,
    Tenant,
)
from core.workflows.alerts.signals import model_function

QUEUE_COLUMNS = [
    "alert_id",
    "tenant_id",
    "tenant",
    "tier",
    "reason",
    "status",
    "arm",
    "priority",
    "mrr_at_risk",
    "churn_probability",
    "probability_source",
    "owner",
    "assignee",
    "assignee_id",
    "triggered_at",
    "last_signal_at",
    "signal_count",
    "snoozed_until",
    "escalated",
    "closed_at",
    "outcome",
]


def users(*, session: Session, roles: Sequence[str] | None = None) -> pd.DataFrame:
    """Active console users (id, full_name, role), by name."""
    query = select(ConsoleUser.id, ConsoleUser.full_name, ConsoleUser.role).where(
        ConsoleUser.active.is_(True)
    )
    if roles:
        query = query.where(ConsoleUser.role.in_(list(roles)))
    rows = session.execute(query.order_by(ConsoleUser.full_name)).all()
    return pd.DataFrame(rows, columns=["id", "full_name", "role"])


def alert_queue(
    *,
    session: Session,
    owner_id: int | None = None,
    reasons: Sequence[str] | None = None,
    tiers: Sequence[str] | None = None,
    min_priority: float = 0.0,
    statuses: Sequence[str] = ("open", "snoozed"),
    include_holdout: bool = False,
    limit: int = 500,
) -> pd.DataFrame:
    """Alerts by priority, highest first. ``owner_id`` keeps the user's book: tenants
    they own plus alerts assigned to them. Holdout alerts only when asked for."""
    owner = aliased(ConsoleUser)
    assignee = aliased(ConsoleUser)
    query = (
        select(
            CsAlert.id,
            CsAlert.tenant_id,
            Tenant.trade_name,
            Tenant.tier,
            CsAlert.reason,
            CsAlert.status,
            CsAlert.arm,
            CsAlert.priority,
            CsAlert.mrr_at_risk,
            CsAlert.churn_probability,
            CsAlert.probability_source,
            owner.full_name,
            assignee.full_name,
            CsAlert.assignee_id,
            CsAlert.triggered_at,
            CsAlert.last_signal_at,
            CsAlert.signal_count,
            CsAlert.snoozed_until,
            CsAlert.escalated_at.is_not(None),
            CsAlert.closed_at,
            CsAlert.outcome,
        )
        .join(Tenant, Tenant.id == CsAlert.tenant_id)
        .outerjoin(owner, owner.id == Tenant.cs_owner_id)
        .outerjoin(assignee, assignee.id == CsAlert.assignee_id)
        .where(CsAlert.status.in_(list(statuses)))
    )
    if owner_id is not None:
        query = query.where(or_(CsAlert.assignee_id == owner_id, Tenant.cs_owner_id == owner_id))
    if reasons:
        query = query.where(CsAlert.reason.in_(list(reasons)))
    if tiers:
        query = query.where(Tenant.tier.in_(list(tiers)))
    if min_priority > 0:
        query = query.where(CsAlert.priority >= min_priority)
    if not include_holdout:
        query = query.where(CsAlert.arm == "treated")
    rows = session.execute(query.order_by(CsAlert.priority.desc(), CsAlert.id).limit(limit)).all()
    frame = pd.DataFrame(rows, columns=QUEUE_COLUMNS)
    frame["escalated"] = frame["escalated"].astype(bool)
    return frame


@dataclass
class TenantCard:
    alert: dict[str, Any]
    tenant: dict[str, Any]
    drivers: list[str]
    driver_messages: list[dict[str, Any]]  # {"msgid", "params"} when the model gave them
    signal: dict[str, Any]
    tasks: list[dict[str, Any]]
    health: pd.DataFrame | None  # day, score, band (None when the health score is absent)
    health_note: str | None
    bookings: pd.DataFrame  # day, bookings, completed, no_show: last 60 days
    events: pd.DataFrame  # when, kind, text: NPS, invoices, tickets, CS actions (90 days)
    history: pd.DataFrame  # the alert's audit trail
    other_alerts: pd.DataFrame = field(default_factory=pd.DataFrame)


def _dict(obj: Any, columns: Sequence[str]) -> dict[str, Any]:
    return {c: getattr(obj, c) for c in columns}


def tenant_card(*, session: Session, alert_id: int, at: datetime) -> TenantCard | None:
    """Everything the triage card shows for one alert; None when the alert is unknown."""
    alert = session.get(CsAlert, alert_id)
    if alert is None:
        return None
    t = session.get(Tenant, alert.tenant_id)
    assert t is not None
    today = at.date()
    mrr = session.scalar(
        select(func.sum(Subscription.mrr_ars)).where(
            Subscription.tenant_id == t.id,
            Subscription.started_on <= today,
            (Subscription.ended_on.is_(None)) | (Subscription.ended_on > today),
        )
    )
    owner = session.get(ConsoleUser, t.cs_owner_id) if t.cs_owner_id else None
    tenant = _dict(
        t,
        [
            "id",
            "trade_name",
            "legal_name",
            "tier",
            "plan",
            "vertical",
            "city",
            "province",
            "owner_name",
            "phone",
            "email",
            "status",
            "signup_date",
        ],
    )
    tenant["mrr"] = float(mrr or 0.0)
    tenant["cs_owner"] = owner.full_name if owner else None
    detail = dict(alert.signal_detail or {})
    drivers = [str(d) for d in detail.pop("drivers", []) or []]
    messages = [m for m in detail.pop("driver_messages", []) or [] if isinstance(m, dict)]
    health, note = _health(session, t.id)
    return TenantCard(
        alert=_dict(
            alert,
            [
                "id",
                "version",
                "tenant_id",
                "reason",
                "status",
                "arm",
                "priority",
                "mrr_at_risk",
                "churn_probability",
                "probability_source",
                "assignee_id",
                "playbook",
                "triggered_at",
                "last_signal_at",
                "signal_count",
                "snoozed_until",
                "snooze_reason",
                "escalated_at",
                "escalated_to_id",
                "escalation_note",
                "closed_at",
                "outcome",
                "outcome_note",
                "intervention_id",
            ],
        ),
        tenant=tenant,
        drivers=drivers,
        driver_messages=messages,
        signal=detail,
        tasks=[dict(task) for task in alert.tasks or []],
        health=health,
        health_note=note,
        bookings=_bookings(session, t.id, today),
        events=_events(session, t.id, alert.id, at),
        history=_history(session, alert.id),
        other_alerts=_other_alerts(session, t.id, alert.id),
    )


def _health(session: Session, tenant_id: int) -> tuple[pd.DataFrame | None, str | None]:
    history = model_function("health", "health_history")
    if history is None:
        return None, "The health score is not available yet."
    try:
        with session.begin_nested():
            frame = history(session=session, tenant_id=tenant_id, days=90)
    except Exception as exc:  # the card still opens without the chart
        return None, f"The health history could not be read: {exc.__class__.__name__}"
    if frame is None or len(frame) == 0:
        return None, "No health score is stored for this tenant yet."
    return frame, None


def _bookings(session: Session, tenant_id: int, today: Any) -> pd.DataFrame:
    rows = session.execute(
        select(
            RollupTenantDay.day,
            RollupTenantDay.bookings,
            RollupTenantDay.completed,
            RollupTenantDay.no_show,
        )
        .where(
            RollupTenantDay.tenant_id == tenant_id,
            RollupTenantDay.day > today - timedelta(days=60),
            RollupTenantDay.day <= today,
        )
        .order_by(RollupTenantDay.day)
    ).all()
    return pd.DataFrame(rows, columns=["day", "bookings", "completed", "no_show"])


def _events(session: Session, tenant_id: int, alert_id: int, at: datetime) -> pd.DataFrame:
    since = at - timedelta(days=90)
    events: list[tuple[Any, str, str]] = []
    for n in session.execute(
        select(NpsResponse.responded_at, NpsResponse.score, NpsResponse.comment).where(
            NpsResponse.tenant_id == tenant_id, NpsResponse.responded_at >= since
        )
    ):
        events.append((n.responded_at, "nps", f"{n.score}/10 {n.comment or ''}".strip()))
    for r in session.execute(
        select(Invoice.issued_on, Invoice.status, Invoice.amount_ars, Invoice.attempts).where(
            Invoice.tenant_id == tenant_id, Invoice.issued_on >= since.date()
        )
    ):
        when = datetime.combine(r.issued_on, datetime.min.time())
        events.append((when, "invoice", f"{r.status} · ARS {r.amount_ars:,.0f} · {r.attempts}x"))
    for k in session.execute(
        select(SupportTicket.opened_at, SupportTicket.severity, SupportTicket.subject).where(
            SupportTicket.tenant_id == tenant_id, SupportTicket.opened_at >= since
        )
    ):
        events.append((k.opened_at, "ticket", f"[{k.severity}] {k.subject}"))
    for c in session.execute(
        select(CsAlertAction.occurred_at, CsAlertAction.kind, CsAlertAction.note).where(
            CsAlertAction.tenant_id == tenant_id, CsAlertAction.occurred_at >= since
        )
    ):
        events.append((c.occurred_at, "cs_action", f"{c.kind}: {c.note or ''}".strip(": ")))
    frame = pd.DataFrame(events, columns=["when", "kind", "text"])
    return frame.sort_values("when", ascending=False, ignore_index=True)


def _history(session: Session, alert_id: int) -> pd.DataFrame:
    actor = aliased(ConsoleUser)
    rows = session.execute(
        select(
            AuditEvent.occurred_at,
            AuditEvent.action,
            actor.full_name,
            AuditEvent.before,
            AuditEvent.after,
            AuditEvent.comment,
        )
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(AuditEvent.entity == "alert", AuditEvent.entity_id == str(alert_id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    ).all()
    return pd.DataFrame(rows, columns=["when", "action", "who", "before", "after", "comment"])


def _other_alerts(session: Session, tenant_id: int, alert_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(CsAlert.id, CsAlert.reason, CsAlert.status, CsAlert.triggered_at, CsAlert.outcome)
        .where(CsAlert.tenant_id == tenant_id, CsAlert.id != alert_id)
        .order_by(CsAlert.triggered_at.desc())
        .limit(20)
    ).all()
    return pd.DataFrame(rows, columns=["alert_id", "reason", "status", "triggered_at", "outcome"])
