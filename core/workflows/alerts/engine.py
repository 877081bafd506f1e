"""Turn rule signals into alerts: open, update, wake and close them, one run at a time.

One open alert per (tenant, reason). A signal for a pair with an open (or snoozed) alert
updates it; a signal with a new key (another failed invoice, a newer NPS answer) counts
as a new signal and wakes a snoozed alert. Otherwise a new alert opens, unless the last
alert of the pair was closed by a person less than ``reopen_cooldown_days`` ago for the
same signal key, so closing a case does not bounce it straight back.

Alerts close by themselves (outcome ``signal_cleared``) when their rule ran, judged the
tenant and found the signal gone: health out of red, the invoice paid, bookings back,
the NPS answer out of the rule's window. A tenant that churned closes its alerts with
``churned``. A disabled or skipped rule leaves its alerts as they are. The alert row and
its ledger row keep the outcome; the Outcomes analysis never depends on it.

Priority = MRR at risk x churn probability (ARS of monthly revenue expected to be
lost). MRR at risk is the tenant's current subscription MRR. The probability is the
churn model's latest score; without one (no model yet, or the tenant is not scored) it
is the observed 90-day churn rate of *holdout* alerts of the same reason from the ledger
(at least 20 scored), else of all holdout alerts, else 0.25; ``probability_source``
records which ("model" or "prior").

The randomized holdout: at trigger time each new alert is held out from outreach with
probability ``holdout_share`` (default 10%), drawn with a cryptographic RNG unless the
caller passes one. The arm is written on the alert and its ledger row and never changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit import record
from core.commands import bump_version
from core.schema import CsAlert, CsIntervention
from core.workflows.alerts.config import load_config
from core.workflows.alerts.definitions import AlertConfig
from core.workflows.alerts.outcomes import untreated_churn_priors
from core.workflows.alerts.signals import (
    RuleResult,
    Signal,
    TenantContext,
    drivers_list,
    evaluate_rules,
    latest_churn,
    read_context,
)

_system_rng = random.SystemRandom()


def open_key(tenant_id: int, reason: str) -> str:
    return f"{tenant_id}:{reason}"


def alert_state(alert: CsAlert) -> dict[str, Any]:
    """The audited fields of an alert, JSON-serializable."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    return {
        "status": alert.status,
        "reason": alert.reason,
        "tenant_id": alert.tenant_id,
        "arm": alert.arm,
        "assignee_id": alert.assignee_id,
        "priority": round(float(alert.priority), 2),
        "churn_probability": round(float(alert.churn_probability), 4),
        "probability_source": alert.probability_source,
        "mrr_at_risk": round(float(alert.mrr_at_risk or 0), 2),
        "signal_key": alert.signal_key,
        "signal_count": alert.signal_count,
        "snoozed_until": iso(alert.snoozed_until),
        "snooze_reason": alert.snooze_reason,
        "escalated_to_id": alert.escalated_to_id,
        "escalation_note": alert.escalation_note,
        "tasks_done": sum(1 for t in alert.tasks or [] if t.get("done_at")),
        "outcome": alert.outcome,
        "outcome_note": alert.outcome_note,
        "closed_at": iso(alert.closed_at),
    }


def audit_change(
    session: Session,
    alert: CsAlert,
    action: str,
    before: dict[str, Any] | None,
    *,
    actor_id: int | None,
    comment: str | None = None,
) -> None:
    """One audit event with only the fields that changed (all of them on creation)."""
    after = alert_state(alert)
    if before is not None:
        changed = [k for k in after if after[k] != before.get(k)]
        before = {k: before.get(k) for k in changed}
        after = {k: after[k] for k in changed}
    record(
        session=session,
        actor_id=actor_id,
        action=action,
        entity="alert",
        entity_id=alert.id,
        before=before,
        after=after,
        comment=comment,
    )


def draw_arm(share: float, rng: random.Random | None = None) -> str:
    return "holdout" if (rng or _system_rng).random() < share else "treated"


@dataclass
class Risk:
    """Churn probabilities for priorities: model scores, else the ledger's priors."""

    scores: dict[int, float] = field(default_factory=dict)
    drivers: dict[int, list[str]] = field(default_factory=dict)
    # The same drivers as {"msgid", "params"}, so the card can show them in any language.
    driver_messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    priors: dict[str, float] = field(default_factory=dict)
    overall_prior: float = 0.25

    def probability(self, tenant_id: int, reason: str) -> tuple[float, str]:
        if tenant_id in self.scores:
            return self.scores[tenant_id], "model"
        return self.priors.get(reason, self.overall_prior), "prior"


def read_risk(*, session: Session, at: datetime, scores: pd.DataFrame | None) -> Risk:
    priors, overall = untreated_churn_priors(session=session, as_of=at.date())
    risk = Risk(priors=priors, overall_prior=overall)
    if scores is not None:
        for row in scores.itertuples(index=False):
            risk.scores[int(row.tenant_id)] = float(row.probability)
            risk.drivers[int(row.tenant_id)] = drivers_list(getattr(row, "drivers", None))
            messages = getattr(row, "driver_messages", None)
            if isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
                risk.driver_messages[int(row.tenant_id)] = messages
    return risk


def _reopen_blocked(session: Session, signal: Signal, at: datetime, config: AlertConfig) -> bool:
    last = session.scalars(
        select(CsAlert)
        .where(CsAlert.tenant_id == signal.tenant_id, CsAlert.reason == signal.reason)
        .where(CsAlert.status == "closed")
        .order_by(CsAlert.closed_at.desc(), CsAlert.id.desc())
        .limit(1)
    ).first()
    if last is None or last.outcome in ("signal_cleared", "churned"):
        return False
    recent = last.closed_at is not None and last.closed_at > at - timedelta(
        days=config.settings.reopen_cooldown_days
    )
    return recent and last.signal_key == signal.key


def apply_signal(
    session: Session,
    signal: Signal,
    *,
    at: datetime,
    config: AlertConfig,
    tenant: dict[str, Any],
    risk: Risk,
    rng: random.Random | None = None,
) -> tuple[str, CsAlert | None]:
    """Open or update the alert of one signal: ("opened" | "updated" | "unchanged" |
    "blocked", alert). Never opens a second alert for a (tenant, reason) pair."""
    key = open_key(signal.tenant_id, signal.reason)
    probability, source = risk.probability(signal.tenant_id, signal.reason)
    mrr = float(tenant.get("mrr") or 0.0)
    detail = dict(signal.detail)
    if signal.tenant_id in risk.drivers:
        detail["drivers"] = risk.drivers[signal.tenant_id]
    if signal.tenant_id in risk.driver_messages:
        detail["driver_messages"] = risk.driver_messages[signal.tenant_id]
    alert = session.scalars(select(CsAlert).where(CsAlert.open_key == key)).first()
    if alert is None:
        if _reopen_blocked(session, signal, at, config):
            return "blocked", None
        opened = _open(
            session, signal, key, at, config, tenant, mrr, probability, source, detail, rng
        )
        if opened is not None:
            return "opened", opened
        alert = session.scalars(select(CsAlert).where(CsAlert.open_key == key)).one()
    before = alert_state(alert)
    if signal.key != alert.signal_key:
        alert.signal_key = signal.key
        alert.signal_count += 1
        alert.last_signal_at = at
        if alert.status == "snoozed":
            alert.status, alert.snoozed_until = "open", None
            bump_version(alert)
    alert.signal_detail = detail
    alert.mrr_at_risk, alert.churn_probability, alert.probability_source = mrr, probability, source
    alert.priority = round(mrr * probability, 2)
    if alert_state(alert) == before:
        return "unchanged", alert
    audit_change(session, alert, "alert.update", before, actor_id=None, comment="rule signal")
    return "updated", alert


def _open(
    session: Session,
    signal: Signal,
    key: str,
    at: datetime,
    config: AlertConfig,
    tenant: dict[str, Any],
    mrr: float,
    probability: float,
    source: str,
    detail: dict[str, Any],
    rng: random.Random | None,
) -> CsAlert | None:
    """Insert the alert and its ledger row; None if a concurrent run opened the pair."""
    playbook = config.playbooks[signal.reason]
    arm = draw_arm(config.settings.holdout_share, rng)
    owner = tenant.get("cs_owner_id")
    owner = int(owner) if owner is not None and not pd.isna(owner) else None
    try:
        with session.begin_nested():
            ledger = CsIntervention(
                tenant_id=signal.tenant_id,
                owner_id=owner,
                triggered_at=at,
                reason=signal.reason,
                playbook=playbook.playbook,
                arm=arm,
                updated_at=at,
            )
            session.add(ledger)
            session.flush()
            alert = CsAlert(
                tenant_id=signal.tenant_id,
                reason=signal.reason,
                status="open",
                open_key=key,
                arm=arm,
                intervention_id=ledger.id,
                owner_id=owner,
                assignee_id=owner,
                playbook=playbook.playbook,
                tasks=[{"text": step, "done_at": None, "done_by": None} for step in playbook.steps],
                triggered_at=at,
                signal_key=signal.key,
                signal_detail=detail,
                signal_count=1,
                last_signal_at=at,
                mrr_at_risk=mrr,
                churn_probability=probability,
                probability_source=source,
                priority=round(mrr * probability, 2),
            )
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None
    audit_change(session, alert, "alert.open", None, actor_id=None, comment="rule signal")
    return alert


def close_alert(
    session: Session,
    alert: CsAlert,
    *,
    outcome: str,
    at: datetime,
    actor_id: int | None,
    note: str | None = None,
    action: str = "alert.close",
) -> None:
    """Close an alert and its ledger row with an outcome (callers validate the outcome)."""
    before = alert_state(alert)
    alert.status, alert.open_key = "closed", None
    alert.closed_at, alert.closed_by_id = at, actor_id
    alert.outcome, alert.outcome_note = outcome, note
    alert.snoozed_until = None
    if actor_id is None:  # the rules closed it: a card open on it is stale now
        bump_version(alert)
    if alert.intervention_id is not None:
        ledger = session.get(CsIntervention, alert.intervention_id)
        if ledger is not None:
            ledger.closed_at, ledger.outcome = at, outcome
    audit_change(session, alert, action, before, actor_id=actor_id, comment=note)


@dataclass
class RulesRun:
    opened: list[int] = field(default_factory=list)
    updated: int = 0
    closed: int = 0
    woken: int = 0
    blocked: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    signals: dict[str, int] = field(default_factory=dict)

    @property
    def rows_touched(self) -> int:
        return len(self.opened) + self.updated + self.closed + self.woken

    def detail(self) -> dict[str, Any]:
        return {
            "opened": len(self.opened),
            "updated": self.updated,
            "closed": self.closed,
            "woken": self.woken,
            "blocked": self.blocked,
            "signals": self.signals,
            "skipped": self.skipped,
        }


@dataclass
class RulesInput:
    """What a run reads before it writes: rules, tenants, signals, risk (see evaluate)."""

    config: AlertConfig
    ctx: TenantContext
    results: list[RuleResult]
    risk: Risk


def evaluate(
    *, session: Session, at: datetime, results: list[RuleResult] | None = None
) -> RulesInput:
    """Read and evaluate every rule; writes nothing, so it may run in a read session.

    ``results`` replaces the rule evaluation (tests feed signals directly).
    """
    config = load_config(session=session)
    ctx: TenantContext = read_context(session=session, at=at)
    scores, why = latest_churn(session=session)
    if results is None:
        results = evaluate_rules(
            session=session, ctx=ctx, rules=config.rules, scores=scores, scores_why=why
        )
    risk = read_risk(session=session, at=at, scores=scores)
    return RulesInput(config, ctx, results, risk)


def run_alert_rules(
    *,
    session: Session,
    at: datetime,
    rng: random.Random | None = None,
    results: list[RuleResult] | None = None,
    evaluated: RulesInput | None = None,
) -> RulesRun:
    """Evaluate every rule and bring the alerts in line; the caller commits.

    ``results`` replaces the rule evaluation (tests feed signals directly);
    ``evaluated`` is :func:`evaluate`'s answer read beforehand (the job reads it in a
    read session, so its write unit holds the write lock only to apply it).
    """
    evaluated = evaluated or evaluate(session=session, at=at, results=results)
    config, ctx, results, risk = (
        evaluated.config,
        evaluated.ctx,
        evaluated.results,
        evaluated.risk,
    )
    tenants = {int(r["tenant_id"]): r for r in ctx.tenants.to_dict("records")}
    run = RulesRun()
    for result in results:
        if result.skipped:
            run.skipped[result.reason] = result.skipped
            continue
        run.signals[result.reason] = len(result.signals)
        signalled = set()
        for signal in result.signals:
            signalled.add(signal.tenant_id)
            tenant = tenants.get(signal.tenant_id, {})
            outcome, alert = apply_signal(
                session, signal, at=at, config=config, tenant=tenant, risk=risk, rng=rng
            )
            if outcome == "opened" and alert is not None:
                run.opened.append(alert.id)
            run.updated += outcome == "updated"
            run.blocked += outcome == "blocked"
        cleared = result.evaluated - signalled
        for alert in _open_alerts(session, result.reason, cleared):
            close_alert(session, alert, outcome="signal_cleared", at=at, actor_id=None)
            run.closed += 1
    churned = {t for t, row in tenants.items() if row.get("status") == "churned"}
    for alert in _open_alerts(session, None, churned):
        close_alert(session, alert, outcome="churned", at=at, actor_id=None)
        run.closed += 1
    run.woken = wake_snoozed(session, at=at)
    return run


def _open_alerts(session: Session, reason: str | None, tenants: set[int]) -> list[CsAlert]:
    if not tenants:
        return []
    query = select(CsAlert).where(
        CsAlert.status != "closed", CsAlert.tenant_id.in_(sorted(tenants))
    )
    if reason is not None:
        query = query.where(CsAlert.reason == reason)
    return list(session.scalars(query.order_by(CsAlert.id)))


def wake_snoozed(session: Session, *, at: datetime) -> int:
    """Snoozed alerts whose date has come back to the queue."""
    due = session.scalars(
        select(CsAlert).where(CsAlert.status == "snoozed", CsAlert.snoozed_until <= at)
    ).all()
    for alert in due:
        before = alert_state(alert)
        alert.status, alert.snoozed_until = "open", None
        bump_version(alert)
        audit_change(session, alert, "alert.wake", before, actor_id=None, comment="snooze ended")
    return len(due)
