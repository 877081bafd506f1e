"""The alert rules: each reads current data and lists the tenants whose signal is on.

A rule returns a :class:`RuleResult`: its signals, the tenants it *evaluated* (an open
alert of an evaluated tenant without a signal has cleared), or why it was skipped. Rules
read small tables through indexes and the per-tenant daily rollup
(``console_rollup_tenant_day``), never the raw bookings.

The health and churn rules use the models of issue 4 (``core.models.health.score`` and
``core.models.churn.registry``). When a model is not there yet, or has nothing stored, the rule is
skipped with the reason recorded in the job run; the other rules still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models.churn.registry import latest_churn_scores
from core.models.health.score import health_history, latest_health
from core.schema import Invoice, NpsResponse, RollupTenantDay, Subscription, Tenant
from core.workflows.alerts.definitions import ONBOARDING_WINDOW_DAYS, RuleConfig

log = logging.getLogger(__name__)
FAILED_INVOICE_STATUSES = ("failed", "written_off")


@dataclass(frozen=True)
class Signal:
    tenant_id: int
    reason: str
    key: str  # names this occurrence: the invoice, the NPS answer, the last booking day...
    detail: dict[str, Any]  # JSON-serializable, shown on the tenant card


@dataclass
class RuleResult:
    reason: str
    signals: list[Signal] = field(default_factory=list)
    evaluated: set[int] = field(default_factory=set)
    skipped: str | None = None


@dataclass(frozen=True)
class TenantContext:
    """Active tenants with their owner and current MRR, read once per rule run."""

    at: datetime
    tenants: pd.DataFrame  # tenant_id, trade_name, tier, status, signup_date, cs_owner_id, mrr

    @property
    def today(self) -> date:
        return self.at.date()

    def active_ids(self) -> set[int]:
        return set(self.tenants.loc[self.tenants["status"] == "active", "tenant_id"].astype(int))


def read_context(*, session: Session, at: datetime) -> TenantContext:
    today = at.date()
    tenants = pd.DataFrame(
        session.execute(
            select(
                Tenant.id.label("tenant_id"),
                Tenant.trade_name,
                Tenant.tier,
                Tenant.status,
                Tenant.signup_date,
                Tenant.cs_owner_id,
            )
        ).all(),
        columns=["tenant_id", "trade_name", "tier", "status", "signup_date", "cs_owner_id"],
    )
    mrr = dict(
        session.execute(
            select(Subscription.tenant_id, func.sum(Subscription.mrr_ars))
            .where(
                Subscription.started_on <= today,
                (Subscription.ended_on.is_(None)) | (Subscription.ended_on > today),
            )
            .group_by(Subscription.tenant_id)
        ).all()
    )
    tenants["mrr"] = [float(mrr.get(t, 0.0) or 0.0) for t in tenants["tenant_id"]]
    return TenantContext(at=at, tenants=tenants)


# -------------------------------------------------------------- issue-4 models


# The model reads the rules and the triage card use, by (model, function). Imported
# plainly so the dependency is visible; tests replace model_function to fake the models
# or take them away (a None makes the rule skip with a reason).
MODEL_FUNCTIONS: dict[tuple[str, str], Callable[..., pd.DataFrame]] = {
    ("churn", "latest_churn_scores"): latest_churn_scores,
    ("health", "latest_health"): latest_health,
    ("health", "health_history"): health_history,
}


def model_function(module: str, name: str) -> Callable[..., pd.DataFrame] | None:
    """The model read ``name`` of ``core.models.<module>``, or None if there is none."""
    return MODEL_FUNCTIONS.get((module, name))


def latest_churn(*, session: Session) -> tuple[pd.DataFrame | None, str | None]:
    """The churn model's latest scores, or None with the reason they are unavailable."""
    scores_of = model_function("churn", "latest_churn_scores")
    if scores_of is None:
        return None, "the churn model (core.models.churn.registry) is not available"
    try:
        # A savepoint: on PostgreSQL a failed query would otherwise abort the whole run.
        with session.begin_nested():
            scores = scores_of(session=session)
    except Exception as exc:  # a broken model must not stop the other rules
        log.exception("latest_churn_scores failed")
        return None, f"the churn scores could not be read: {one_line(exc)}"
    if scores is None or len(scores) == 0:
        return None, "no churn scores are stored yet"
    return scores, None


def drivers_list(value: object) -> list[str]:
    """A model's drivers as a list of short texts, whatever shape the model gives."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [f"{k}: {v}" for k, v in value.items()]
    try:
        return [d if isinstance(d, str) else str(d) for d in list(value)]  # type: ignore[call-overload]
    except TypeError:
        return [str(value)]


# ------------------------------------------------------------------------ rules


def health_red(session: Session, ctx: TenantContext, rule: RuleConfig) -> RuleResult:
    result = RuleResult("health_red")
    latest = model_function("health", "latest_health")
    if latest is None:
        result.skipped = "the health score (core.models.health.score) is not available"
        return result
    try:
        with session.begin_nested():
            health = latest(session=session)
    except Exception as exc:
        log.exception("latest_health failed")
        result.skipped = f"the health scores could not be read: {one_line(exc)}"
        return result
    if health is None or len(health) == 0:
        result.skipped = "no health scores are stored yet"
        return result
    active = ctx.active_ids()
    result.evaluated = {int(t) for t in health["tenant_id"]} & active
    for row in health[health["band"] == "red"].itertuples(index=False):
        if int(row.tenant_id) not in active:
            continue
        detail = {"score": _num(row.score), "day": str(row.day)}
        if "trend_7d" in health.columns:
            detail["trend_7d"] = None if pd.isna(row.trend_7d) else str(row.trend_7d)
        # A red spell is one signal: re-entering red after it cleared opens a new alert.
        result.signals.append(Signal(int(row.tenant_id), "health_red", "red", detail))
    return result


def churn_risk(
    session: Session,
    ctx: TenantContext,
    rule: RuleConfig,
    scores: pd.DataFrame | None,
    why: str | None,
) -> RuleResult:
    result = RuleResult("churn_risk")
    if scores is None:
        result.skipped = why
        return result
    threshold = float(rule.threshold if rule.threshold is not None else 0.5)
    active = ctx.active_ids()
    result.evaluated = {int(t) for t in scores["tenant_id"]} & active
    for row in scores[scores["probability"] >= threshold].itertuples(index=False):
        if int(row.tenant_id) not in active:
            continue
        detail = {
            "probability": round(float(row.probability), 4),
            "threshold": threshold,
            "model_version": str(getattr(row, "model_version", "")),
            "scored_at": str(getattr(row, "scored_at", "")),
            "drivers": drivers_list(getattr(row, "drivers", None)),
        }
        result.signals.append(Signal(int(row.tenant_id), "churn_risk", "above", detail))
    return result


def failed_invoice(session: Session, ctx: TenantContext, rule: RuleConfig) -> RuleResult:
    result = RuleResult("failed_invoice", evaluated=ctx.active_ids())
    since = ctx.today - timedelta(days=int(rule.days or 45))
    rows = session.execute(
        select(
            Invoice.id,
            Invoice.tenant_id,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.amount_ars,
            Invoice.status,
            Invoice.attempts,
        )
        .where(Invoice.status.in_(FAILED_INVOICE_STATUSES), Invoice.issued_on >= since)
        .order_by(Invoice.tenant_id, Invoice.issued_on.desc(), Invoice.id.desc())
    ).all()
    seen: dict[int, int] = {}
    for row in rows:
        if row.tenant_id not in result.evaluated:
            continue
        seen[row.tenant_id] = seen.get(row.tenant_id, 0) + 1
        if seen[row.tenant_id] > 1:
            continue  # the newest failed invoice names the signal; the count goes with it
        result.signals.append(
            Signal(
                int(row.tenant_id),
                "failed_invoice",
                f"invoice:{row.id}",
                {
                    "invoice_id": int(row.id),
                    "issued_on": str(row.issued_on),
                    "due_on": str(row.due_on),
                    "amount_ars": _num(row.amount_ars),
                    "status": row.status,
                    "attempts": int(row.attempts or 0),
                },
            )
        )
    for sig in result.signals:
        sig.detail["failed_invoices"] = seen[sig.tenant_id]
    return result


def _rollup_ready(session: Session) -> bool:
    return session.scalar(select(RollupTenantDay.day).limit(1)) is not None


def no_bookings(session: Session, ctx: TenantContext, rule: RuleConfig) -> RuleResult:
    result = RuleResult("no_bookings")
    if not _rollup_ready(session):
        result.skipped = "the daily rollup is empty: no refresh has run yet"
        return result
    days = int(rule.days or 14)
    first = ctx.today - timedelta(days=days - 1)
    t = ctx.tenants
    # Only tenants that could have had bookings over the whole window are judged.
    judged = t[(t["status"] == "active") & (t["signup_date"] < first)]
    result.evaluated = set(judged["tenant_id"].astype(int))
    booked = set(
        session.scalars(
            select(RollupTenantDay.tenant_id)
            .where(
                RollupTenantDay.day >= first,
                RollupTenantDay.day <= ctx.today,
                RollupTenantDay.bookings > 0,
            )
            .distinct()
        )
    )
    quiet = sorted(result.evaluated - booked)
    if not quiet:
        return result
    last = dict(
        session.execute(
            select(RollupTenantDay.tenant_id, func.max(RollupTenantDay.day))
            .where(
                RollupTenantDay.tenant_id.in_(quiet),
                RollupTenantDay.day < first,
                RollupTenantDay.bookings > 0,
            )
            .group_by(RollupTenantDay.tenant_id)
        ).all()
    )
    for tenant_id in quiet:
        last_day = last.get(tenant_id)
        detail = {
            "days": days,
            "last_booking_day": str(last_day) if last_day else None,
            "days_without": (ctx.today - last_day).days if last_day else None,
        }
        key = f"last:{last_day}" if last_day else "never"
        result.signals.append(Signal(int(tenant_id), "no_bookings", key, detail))
    return result


def onboarding_stalled(session: Session, ctx: TenantContext, rule: RuleConfig) -> RuleResult:
    result = RuleResult("onboarding_stalled")
    if not _rollup_ready(session):
        result.skipped = "the daily rollup is empty: no refresh has run yet"
        return result
    min_days = int(rule.days or 14)
    minimum = float(rule.threshold if rule.threshold is not None else 5)
    t = ctx.tenants
    age = (pd.Timestamp(ctx.today) - pd.to_datetime(t["signup_date"])).dt.days
    young = t[(t["status"] == "active") & (age >= min_days) & (age < ONBOARDING_WINDOW_DAYS)]
    result.evaluated = set(young["tenant_id"].astype(int))
    if young.empty:
        return result
    earliest = ctx.today - timedelta(days=ONBOARDING_WINDOW_DAYS)
    counts = dict(
        session.execute(
            select(RollupTenantDay.tenant_id, func.sum(RollupTenantDay.bookings))
            .where(
                RollupTenantDay.tenant_id.in_(sorted(result.evaluated)),
                RollupTenantDay.day >= earliest,
                RollupTenantDay.day <= ctx.today,
            )
            .group_by(RollupTenantDay.tenant_id)
        ).all()
    )
    for row in young.itertuples(index=False):
        booked = int(counts.get(int(row.tenant_id), 0) or 0)
        if booked < minimum:
            detail = {
                "signup_date": str(row.signup_date),
                "days_since_signup": (ctx.today - row.signup_date).days,
                "bookings_since_signup": booked,
                "minimum": minimum,
            }
            result.signals.append(
                Signal(
                    int(row.tenant_id), "onboarding_stalled", f"signup:{row.signup_date}", detail
                )
            )
    return result


def nps_detractor(session: Session, ctx: TenantContext, rule: RuleConfig) -> RuleResult:
    result = RuleResult("nps_detractor", evaluated=ctx.active_ids())
    since = ctx.at - timedelta(days=int(rule.days or 30))
    top = int(rule.threshold if rule.threshold is not None else 6)
    rows = session.execute(
        select(
            NpsResponse.id,
            NpsResponse.tenant_id,
            NpsResponse.responded_at,
            NpsResponse.score,
            NpsResponse.comment,
        )
        .where(NpsResponse.responded_at >= since, NpsResponse.responded_at <= ctx.at)
        .where(NpsResponse.score <= top)
        .order_by(NpsResponse.tenant_id, NpsResponse.responded_at.desc())
    ).all()
    done: set[int] = set()
    for row in rows:
        if row.tenant_id in done or row.tenant_id not in result.evaluated:
            continue
        done.add(row.tenant_id)
        detail = {
            "score": int(row.score),
            "responded_at": row.responded_at.isoformat(timespec="minutes"),
            "comment": row.comment,
        }
        result.signals.append(Signal(int(row.tenant_id), "nps_detractor", f"nps:{row.id}", detail))
    return result


def evaluate_rules(
    *,
    session: Session,
    ctx: TenantContext,
    rules: dict[str, RuleConfig],
    scores: pd.DataFrame | None,
    scores_why: str | None,
) -> list[RuleResult]:
    """Every enabled rule; a rule that fails is reported as skipped, never raised."""
    runners: dict[str, Callable[[], RuleResult]] = {
        "health_red": lambda: health_red(session, ctx, rules["health_red"]),
        "churn_risk": lambda: churn_risk(session, ctx, rules["churn_risk"], scores, scores_why),
        "failed_invoice": lambda: failed_invoice(session, ctx, rules["failed_invoice"]),
        "no_bookings": lambda: no_bookings(session, ctx, rules["no_bookings"]),
        "onboarding_stalled": lambda: onboarding_stalled(session, ctx, rules["onboarding_stalled"]),
        "nps_detractor": lambda: nps_detractor(session, ctx, rules["nps_detractor"]),
    }
    results = []
    for reason, run in runners.items():
        if not rules[reason].enabled:
            results.append(RuleResult(reason, skipped="disabled"))
            continue
        try:
            with session.begin_nested():
                results.append(run())
        except Exception as exc:
            log.exception("alert rule %s failed", reason)
            results.append(RuleResult(reason, skipped=f"failed: {one_line(exc)}"))
    return results


def one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}"[:300]


def _num(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else round(number, 2)
