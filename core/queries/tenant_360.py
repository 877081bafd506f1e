"""Everything the console knows about ONE tenant, for the Tenant 360 page.

Each read is a lookup by tenant through an index (primary keys, ``tenant_id`` indexes,
``console_rollup_tenant_day``'s (tenant_id, day) key), so the page costs the same for a
tenant with ten bookings or a million. Nothing here scans a platform table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.i18n import translator
from core.metrics.registry import kpi_windows
from core.models.health.definitions import TREND_DAYS as HEALTH_TREND_DAYS
from core.models.health.definitions import TREND_SLACK_DAYS as HEALTH_TREND_SLACK_DAYS
from core.schema import (
    AdminActivity,
    ChurnScore,
    ConsoleUser,
    CsAlert,
    CsIntervention,
    HealthScore,
    Invoice,
    NpsResponse,
    OnboardingSession,
    OnboardingStepEvent,
    Partner,
    RollupTenantDay,
    Subscription,
    SupportTicket,
    Tenant,
)
from core.security import parse_id

TREND_DAYS = 365  # daily rollup rows read for the trend charts
HEALTH_DAYS = 90
HEALTH_COLUMNS = [
    "day", "score", "band", "usage_score", "adoption_score", "billing_score", "support_score",
    "sentiment_score", "relationship_score", "client_base_score", "missing",
]  # fmt: skip
SIGNAL_DAYS = 30  # admin logins: the last 30 days
FAILED_INVOICES = ("failed", "retried", "written_off")


class TenantNotFoundError(LookupError):
    """No tenant has this id."""


@dataclass
class Tenant360:
    tenant_id: int
    profile: dict[str, Any]
    signals: dict[str, float | None]  # raw health signals, always available
    health: pd.DataFrame  # stored daily health scores (core.models.health.score), maybe empty
    churn: dict[str, Any] | None  # newest churn score with its drivers as text
    daily: pd.DataFrame  # console_rollup_tenant_day rows of the last TREND_DAYS
    subscriptions: pd.DataFrame
    invoices: pd.DataFrame
    tickets: pd.DataFrame
    nps: pd.DataFrame
    interventions: pd.DataFrame
    alerts: pd.DataFrame
    onboarding: pd.DataFrame
    onboarding_steps: pd.DataFrame = field(default_factory=pd.DataFrame)


def parse_tenant_param(value: object) -> int | None:
    """A tenant id from a URL value (``"42"``), or None when it is not a positive integer."""
    return parse_id(value)


def _frame(session: Session, statement: Any) -> pd.DataFrame:
    result = session.execute(statement)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _profile(session: Session, tenant_id: int) -> dict[str, Any]:
    owner = aliased(ConsoleUser)
    row = session.execute(
        select(Tenant, Partner.name.label("partner_name"), owner.full_name.label("cs_owner"))
        .outerjoin(Partner, Partner.id == Tenant.partner_id)
        .outerjoin(owner, owner.id == Tenant.cs_owner_id)
        .where(Tenant.id == tenant_id)
    ).first()
    if row is None:
        raise TenantNotFoundError(tenant_id)
    tenant = row[0]
    mrr = session.scalar(
        select(Subscription.mrr_ars)
        .where(Subscription.tenant_id == tenant_id, Subscription.ended_on.is_(None))
        .order_by(Subscription.started_on.desc())
        .limit(1)
    )
    columns = [
        "legal_name",
        "trade_name",
        "cuit",
        "tax_status",
        "vertical",
        "plan",
        "tier",
        "province",
        "city",
        "owner_name",
        "email",
        "phone",
        "signup_date",
        "status",
        "churned_on",
        "churn_reason",
        "partner_id",
        "cs_owner_id",
    ]
    return {
        "tenant_id": tenant.id,
        **{name: getattr(tenant, name) for name in columns},
        "partner": row.partner_name,
        "cs_owner": row.cs_owner,
        "mrr_ars": mrr,
    }


def _signals(session: Session, tenant_id: int, today: date, daily: pd.DataFrame) -> dict[str, Any]:
    """The raw signals behind health: usage trend, logins, failed invoices, tickets, NPS."""
    start = today - timedelta(days=SIGNAL_DAYS - 1)
    # bookings: the console's KPI window (28 days ending yesterday) and the 28 days before
    window, window_before = kpi_windows(today)
    days = pd.to_datetime(daily["day"]) if not daily.empty else pd.Series(dtype="datetime64[ns]")

    def within(first: date, last: date) -> pd.DataFrame:
        if daily.empty:
            return daily
        return daily[(days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))]

    recent, earlier = within(*window), within(*window_before)
    bookings = float(recent["bookings"].sum()) if not recent.empty else 0.0
    previous = float(earlier["bookings"].sum()) if not earlier.empty else 0.0
    since = datetime.combine(start, datetime.min.time())
    logins = session.scalar(
        select(func.count())
        .select_from(AdminActivity)
        .where(
            AdminActivity.tenant_id == tenant_id,
            AdminActivity.occurred_at >= since,
            AdminActivity.kind == "login",
        )
    )
    failed = session.scalar(
        select(func.count())
        .select_from(Invoice)
        .where(
            Invoice.tenant_id == tenant_id,
            Invoice.issued_on >= today - timedelta(days=90),
            Invoice.status.in_(FAILED_INVOICES),
        )
    )
    open_tickets = session.scalar(
        select(func.count())
        .select_from(SupportTicket)
        .where(SupportTicket.tenant_id == tenant_id, SupportTicket.closed_at.is_(None))
    )
    nps = session.execute(
        select(NpsResponse.score, NpsResponse.responded_at)
        .where(NpsResponse.tenant_id == tenant_id)
        .order_by(NpsResponse.responded_at.desc())
        .limit(1)
    ).first()
    return {
        "bookings_28d": bookings,
        "bookings_prev_28d": previous,
        "bookings_window": window,
        "usage_change": bookings / previous - 1 if previous else None,
        "logins_30d": float(logins or 0),
        "failed_invoices_90d": float(failed or 0),
        "open_tickets": float(open_tickets or 0),
        "last_nps": None if nps is None else float(nps.score),
        "last_nps_at": None if nps is None else nps.responded_at,
    }


def _health(session: Session, tenant_id: int) -> pd.DataFrame:
    """Stored daily health scores of the last HEALTH_DAYS (plus the trend's look-back),
    oldest first, with ``delta_7d`` against the score 7 to 10 days earlier."""
    h = HealthScore
    latest = session.scalar(select(func.max(h.day)).where(h.tenant_id == tenant_id))
    if latest is None:
        return pd.DataFrame(columns=[*HEALTH_COLUMNS, "delta_7d"])
    start = latest - timedelta(days=HEALTH_DAYS + HEALTH_TREND_DAYS + HEALTH_TREND_SLACK_DAYS)
    frame = _frame(
        session,
        select(*(getattr(h, c) for c in HEALTH_COLUMNS))
        .where(h.tenant_id == tenant_id, h.day >= start)
        .order_by(h.day),
    )
    frame["missing"] = [list(m) if m else [] for m in frame["missing"]]
    scores = dict(zip(frame["day"], frame["score"], strict=True))
    deltas = []
    for day, score in zip(frame["day"], frame["score"], strict=True):
        earlier = [
            scores[d]
            for lag in range(HEALTH_TREND_DAYS, HEALTH_TREND_DAYS + HEALTH_TREND_SLACK_DAYS + 1)
            if (d := day - timedelta(days=lag)) in scores and scores[d] is not None
        ]
        deltas.append(score - earlier[0] if earlier and score is not None else None)
    frame["delta_7d"] = pd.array(deltas, dtype="Float64")
    shown = frame["day"] > latest - timedelta(days=HEALTH_DAYS)
    return frame[shown].reset_index(drop=True)


def _churn(session: Session, tenant_id: int, locale: str) -> dict[str, Any] | None:
    row = session.execute(
        select(ChurnScore)
        .where(ChurnScore.tenant_id == tenant_id)
        .order_by(ChurnScore.scored_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    _ = translator(locale)
    drivers = []
    for driver in row.drivers or []:
        try:  # stored as {"msgid", "params"} (core.models.churn.drivers)
            drivers.append(_(str(driver["msgid"])).format(**dict(driver.get("params") or {})))
        except (KeyError, TypeError, ValueError, IndexError):
            drivers.append(str(driver))
    return {
        "probability": float(row.probability),
        "scored_at": row.scored_at,
        "model_version": row.model_version,
        "drivers": drivers,
    }


def tenant_360(*, session: Session, tenant_id: int, today: date, locale: str = "en") -> Tenant360:
    """Profile, signals, scores, trends and history of one tenant.

    Raises TenantNotFoundError for an unknown id.
    """
    profile = _profile(session, tenant_id)
    r = RollupTenantDay
    daily = _frame(
        session,
        select(
            r.day, r.bookings, r.completed, r.cancelled, r.no_show, r.gmv_ars,
            r.payments_approved_ars, r.payments_failed, r.payments_total,
        )
        .where(r.tenant_id == tenant_id, r.day >= today - timedelta(days=TREND_DAYS))
        .order_by(r.day),
    )  # fmt: skip
    health = _health(session, tenant_id)
    subscriptions = _frame(
        session,
        select(
            Subscription.plan, Subscription.tier, Subscription.mrr_ars, Subscription.started_on,
            Subscription.ended_on, Subscription.change_reason,
        )
        .where(Subscription.tenant_id == tenant_id)
        .order_by(Subscription.started_on.desc()),
    )  # fmt: skip
    invoices = _frame(
        session,
        select(
            Invoice.id.label("invoice_id"), Invoice.period_start, Invoice.issued_on,
            Invoice.due_on, Invoice.amount_ars, Invoice.status, Invoice.attempts, Invoice.paid_on,
        )
        .where(Invoice.tenant_id == tenant_id)
        .order_by(Invoice.issued_on.desc())
        .limit(36),
    )  # fmt: skip
    tickets = _frame(
        session,
        select(
            SupportTicket.id.label("ticket_id"), SupportTicket.opened_at, SupportTicket.closed_at,
            SupportTicket.severity, SupportTicket.category, SupportTicket.subject,
            SupportTicket.csat,
        )
        .where(SupportTicket.tenant_id == tenant_id)
        .order_by(SupportTicket.opened_at.desc())
        .limit(100),
    )  # fmt: skip
    nps = _frame(
        session,
        select(NpsResponse.responded_at, NpsResponse.score, NpsResponse.comment)
        .where(NpsResponse.tenant_id == tenant_id)
        .order_by(NpsResponse.responded_at.desc()),
    )
    owner = aliased(ConsoleUser)
    interventions = _frame(
        session,
        select(
            CsIntervention.triggered_at, CsIntervention.reason, CsIntervention.playbook,
            CsIntervention.arm, CsIntervention.action, CsIntervention.outcome,
            CsIntervention.closed_at, owner.full_name.label("owner"),
        )
        .outerjoin(owner, owner.id == CsIntervention.owner_id)
        .where(CsIntervention.tenant_id == tenant_id)
        .order_by(CsIntervention.triggered_at.desc()),
    )  # fmt: skip
    alerts = _frame(
        session,
        select(
            CsAlert.id.label("alert_id"), CsAlert.triggered_at, CsAlert.reason, CsAlert.status,
            CsAlert.priority, CsAlert.playbook, CsAlert.churn_probability, CsAlert.closed_at,
            CsAlert.outcome,
        )
        .where(CsAlert.tenant_id == tenant_id)
        .order_by(CsAlert.triggered_at.desc()),
    )  # fmt: skip
    onboarding = _frame(
        session,
        select(
            OnboardingSession.id.label("session_id"), OnboardingSession.started_at,
            OnboardingSession.status, OnboardingSession.current_step,
            OnboardingSession.verification_status, OnboardingSession.verification_reasons,
            OnboardingSession.activated_at,
        )
        .where(OnboardingSession.tenant_id == tenant_id)
        .order_by(OnboardingSession.started_at),
    )  # fmt: skip
    steps = pd.DataFrame()
    if not onboarding.empty:
        steps = _frame(
            session,
            select(
                OnboardingStepEvent.session_id, OnboardingStepEvent.step,
                OnboardingStepEvent.entered_at, OnboardingStepEvent.completed_at,
            )
            .where(OnboardingStepEvent.session_id.in_([int(i) for i in onboarding["session_id"]]))
            .order_by(OnboardingStepEvent.entered_at),
        )  # fmt: skip
    return Tenant360(
        tenant_id=tenant_id,
        profile=profile,
        signals=_signals(session, tenant_id, today, daily),
        health=health,
        churn=_churn(session, tenant_id, locale),
        daily=daily,
        subscriptions=subscriptions,
        invoices=invoices,
        tickets=tickets,
        nps=nps,
        interventions=interventions,
        alerts=alerts,
        onboarding=onboarding,
        onboarding_steps=steps,
    )


def tenant_choices(*, session: Session) -> pd.DataFrame:
    """Every tenant's id, names and city, by trade name: the page's picker (a few hundred)."""
    return _frame(
        session,
        select(
            Tenant.id.label("tenant_id"),
            Tenant.trade_name,
            Tenant.legal_name,
            Tenant.city,
            Tenant.status,
        ).order_by(Tenant.trade_name, Tenant.id),
    )
