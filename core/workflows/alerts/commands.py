"""What a CS manager does to an alert, and how the programme is configured: commands.

Each command is ``validate`` then ``run`` inside one transaction, run by
``core.commands.execute`` as an actor (an active console user); validation raises
:class:`AlertError` with one clear sentence and nothing is written. Every change
writes an audit event with the fields before and after.

Every command on one alert takes ``expected_version``, the alert's version the triage
card read, and claims the alert before anything else (``core.commands.claim_version``):
a write from a card that read an older version is refused with ``stale_write`` and
changes nothing, so two windows (or a window and the rules job) never overwrite each
other's change.

Holdout alerts are visible but held out from outreach: logging an action, ticking a
playbook task or escalating one is refused; assigning, snoozing and closing are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record
from core.auth.roles import Capability, can
from core.clock import now
from core.commands import Actor, claim_version
from core.i18n import N_
from core.schema import (
    ConsoleUser,
    CsAlert,
    CsAlertAction,
    CsAlertRule,
    CsAlertSettings,
    CsIntervention,
    CsNotificationPref,
    CsPlaybook,
    Tenant,
)
from core.security import parse_id
from core.security.sealing import seal
from core.security.webhooks import Resolver, mask_webhook_url, validate_webhook_url
from core.validation import ValidationError
from core.validation.contact import validate_email
from core.workflows.alerts.config import AlertError, check_settings, load_config
from core.workflows.alerts.definitions import (
    ACTION_KINDS,
    CLOSE_OUTCOMES,
    MAX_PLAYBOOK_STEPS,
    MAX_TEXT,
    REASONS,
    RULE_SPECS,
    ParamSpec,
)
from core.workflows.alerts.engine import alert_state, audit_change, close_alert
from core.workflows.alerts.notify import webhook_hint

# ------------------------------------------------------------------ lookups


def _alert(session: Session, alert_id: int, *, open_only: bool = True) -> CsAlert:
    alert = session.get(CsAlert, alert_id)
    if alert is None:
        raise AlertError(N_("Alert #{id} does not exist."), id=alert_id)
    if open_only and alert.status == "closed":
        raise AlertError(N_("Alert #{id} is already closed."), id=alert_id)
    return alert


def _claimed(session: Session, alert_id: int, expected_version: int | None) -> CsAlert:
    """The alert, claimed for this write: its version bumped if it is still the one the
    card read (else StaleWriteError), read again after the bump."""
    if claim_version(session, CsAlert, alert_id, expected_version) is None:
        raise AlertError(N_("Alert #{id} does not exist."), id=alert_id)
    return session.scalars(
        select(CsAlert).where(CsAlert.id == alert_id).execution_options(populate_existing=True)
    ).one()


def _user(session: Session, user_id: object, *, role: str = "") -> ConsoleUser:
    try:
        key = int(user_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise AlertError(N_("No console user has the id {id}."), id=user_id) from None
    user = session.get(ConsoleUser, key)
    if user is None:
        raise AlertError(N_("No console user has the id {id}."), id=user_id)
    if not user.active:
        raise AlertError(N_("{name} is no longer an active console user."), name=user.full_name)
    return user


def _actor(session: Session, actor: Actor) -> None:
    _user(session, actor.user_id)


def _in_book(session: Session, alert_id: int, actor: Actor) -> None:
    """A CS manager works the alerts of their own book (or assigned to them); the lead
    and admins work any."""
    _actor(session, actor)
    if can(actor.role, Capability.ALL_BOOKS):
        return
    alert = _alert(session, alert_id, open_only=False)
    owner = session.scalar(select(Tenant.cs_owner_id).where(Tenant.id == alert.tenant_id))
    if actor.user_id not in (owner, alert.assignee_id):
        raise AlertError(
            N_("Alert #{id} is for a tenant outside your book of business."), id=alert_id
        )


def _not_holdout(alert: CsAlert) -> None:
    if alert.arm == "holdout":
        raise AlertError(
            N_(
                "Alert #{id} is in the randomized holdout: "
                "no outreach may be done or logged for it."
            ),
            id=alert.id,
        )


def _text(value: str | None, *, required: str | None = None) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise AlertError(required)
    if len(text) > 2000:
        raise AlertError(N_("A note may have at most {n} characters."), n=2000)
    return text or None


# -------------------------------------------------------------- alert commands


@dataclass
class AssignAlert:
    required_capability = Capability.WORK_ALERTS

    alert_id: int
    assignee_id: object
    # The alert's version the card read (None: no card, e.g. a script).
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        _claimed(session, self.alert_id, self.expected_version)
        _alert(session, self.alert_id)
        _user(session, self.assignee_id)
        _in_book(session, self.alert_id, actor)
        assignee = _user(session, self.assignee_id)
        if assignee.id != actor.user_id and not can(actor.role, Capability.ALL_BOOKS):
            raise AlertError(N_("Only a CS lead or an administrator can reassign alerts."))

    def run(self, *, session: Session, actor: Actor) -> CsAlert:
        alert = _alert(session, self.alert_id)
        before = alert_state(alert)
        alert.assignee_id = int(self.assignee_id)  # type: ignore[call-overload]
        audit_change(session, alert, "alert.assign", before, actor_id=actor.user_id)
        return alert


def snooze_moment(until: date | datetime) -> datetime:
    """A date snoozes until the start of that day; a datetime until that moment."""
    return until if isinstance(until, datetime) else datetime.combine(until, time())


@dataclass
class SnoozeAlert:
    required_capability = Capability.WORK_ALERTS

    alert_id: int
    until: date | datetime | None
    reason: str | None
    at: datetime | None = None
    # The alert's version the card read (None: no card, e.g. a script).
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        _claimed(session, self.alert_id, self.expected_version)
        _alert(session, self.alert_id)
        if self.until is None:
            raise AlertError(N_("Choose the date the alert should come back."))
        moment, at = snooze_moment(self.until), self.at or now()
        if moment <= at:
            raise AlertError(
                N_("A snooze must end in the future; {until} has already passed."),
                until=moment.strftime("%Y-%m-%d %H:%M"),
            )
        _text(self.reason, required=N_("Say why the alert is snoozed."))
        _in_book(session, self.alert_id, actor)

    def run(self, *, session: Session, actor: Actor) -> CsAlert:
        alert = _alert(session, self.alert_id)
        before = alert_state(alert)
        alert.status = "snoozed"
        alert.snoozed_until = snooze_moment(self.until)  # type: ignore[arg-type]
        alert.snooze_reason = _text(self.reason)
        audit_change(session, alert, "alert.snooze", before, actor_id=actor.user_id)
        return alert


@dataclass
class EscalateAlert:
    required_capability = Capability.WORK_ALERTS

    alert_id: int
    to_user_id: object
    note: str | None
    at: datetime | None = None
    # The alert's version the card read (None: no card, e.g. a script).
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        _claimed(session, self.alert_id, self.expected_version)
        alert = _alert(session, self.alert_id)
        _not_holdout(alert)
        if self.to_user_id is None:
            raise AlertError(N_("Choose who the alert is escalated to."))
        _user(session, self.to_user_id)
        _text(self.note, required=N_("Say why the alert is escalated."))
        _in_book(session, self.alert_id, actor)

    def run(self, *, session: Session, actor: Actor) -> CsAlert:
        alert = _alert(session, self.alert_id)
        before = alert_state(alert)
        alert.escalated_at = self.at or now()
        alert.escalated_to_id = int(self.to_user_id)  # type: ignore[call-overload]
        alert.escalation_note = _text(self.note)
        audit_change(session, alert, "alert.escalate", before, actor_id=actor.user_id)
        return alert


@dataclass
class LogAction:
    required_capability = Capability.WORK_ALERTS

    alert_id: int
    kind: str | None
    note: str | None
    at: datetime | None = None
    # The alert's version the card read (None: no card, e.g. a script).
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        _claimed(session, self.alert_id, self.expected_version)
        alert = _alert(session, self.alert_id)
        _not_holdout(alert)
        if self.kind not in ACTION_KINDS:
            raise AlertError(
                N_("Choose what you did: one of {kinds}."), kinds=", ".join(ACTION_KINDS)
            )
        _text(self.note)
        _in_book(session, self.alert_id, actor)

    def run(self, *, session: Session, actor: Actor) -> CsAlertAction:
        alert = _alert(session, self.alert_id)
        at = self.at or now()
        action = CsAlertAction(
            alert_id=alert.id,
            tenant_id=alert.tenant_id,
            kind=self.kind,
            occurred_at=at,
            actor_id=actor.user_id,
            note=_text(self.note),
        )
        session.add(action)
        if alert.intervention_id is not None:
            ledger = session.get(CsIntervention, alert.intervention_id)
            if ledger is not None:
                ledger.action = self.kind  # the ledger keeps the latest action
        session.flush()
        record(
            session=session,
            actor_id=actor.user_id,
            action="alert.log_action",
            entity="alert",
            entity_id=alert.id,
            before=None,
            after={"action_id": action.id, "kind": self.kind, "note": action.note},
        )
        return action


@dataclass
class SetTask:
    required_capability = Capability.WORK_ALERTS

    alert_id: int
    index: int
    done: bool
    at: datetime | None = None
    # The alert's version the card read (None: no card, e.g. a script).
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        _claimed(session, self.alert_id, self.expected_version)
        alert = _alert(session, self.alert_id)
        _not_holdout(alert)
        if not 0 <= self.index < len(alert.tasks or []):
            raise AlertError(N_("Alert #{id} has no task {n}."), id=alert.id, n=self.index + 1)
        _in_book(session, self.alert_id, actor)

    def run(self, *, session: Session, actor: Actor) -> CsAlert:
        alert = _alert(session, self.alert_id)
        tasks = [dict(t) for t in alert.tasks]
        before = dict(tasks[self.index])
        stamp = (self.at or now()).isoformat(timespec="seconds")
        tasks[self.index].update(
            done_at=stamp if self.done else None, done_by=actor.user_id if self.done else None
        )
        alert.tasks = tasks  # a new list, so the JSON column is written
        record(
            session=session,
            actor_id=actor.user_id,
            action="alert.task",
            entity="alert",
            entity_id=alert.id,
            before={"task": self.index, **before},
            after={"task": self.index, **tasks[self.index]},
        )
        return alert


@dataclass
class CloseAlert:
    required_capability = Capability.WORK_ALERTS

    alert_id: int
    outcome: str | None
    note: str | None
    at: datetime | None = None
    # The alert's version the card read (None: no card, e.g. a script).
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        _claimed(session, self.alert_id, self.expected_version)
        _alert(session, self.alert_id)
        if not self.outcome:
            raise AlertError(N_("Choose an outcome to close the alert."))
        if self.outcome not in CLOSE_OUTCOMES:
            raise AlertError(
                N_("Unknown outcome {outcome}: use one of {allowed}."),
                outcome=self.outcome,
                allowed=", ".join(CLOSE_OUTCOMES),
            )
        _text(self.note)
        _in_book(session, self.alert_id, actor)

    def run(self, *, session: Session, actor: Actor) -> CsAlert:
        alert = _alert(session, self.alert_id)
        close_alert(
            session,
            alert,
            outcome=self.outcome,  # type: ignore[arg-type]
            at=self.at or now(),
            actor_id=actor.user_id,
            note=_text(self.note),
        )
        return alert


# ------------------------------------------------------------ configuration


def _param(spec: ParamSpec | None, value: float | None) -> float | None:
    if spec is None:
        return None
    if value is None:
        raise AlertError(N_("{label} is required."), label=spec.label)
    if not spec.minimum <= float(value) <= spec.maximum or (
        spec.integer and float(value) != int(value)
    ):
        raise AlertError(
            N_("{label} must be a whole number between {low} and {high}.")
            if spec.integer
            else N_("{label} must be a number between {low} and {high}."),
            label=spec.label,
            low=f"{spec.minimum:g}",
            high=f"{spec.maximum:g}",
        )
    return float(value)


@dataclass
class UpdateRule:
    required_capability = Capability.EDIT_SETTINGS

    reason: str
    enabled: bool
    threshold: float | None
    days: float | None

    def validate(self, *, session: Session, actor: Actor) -> None:
        if self.reason not in REASONS:
            raise AlertError(N_("There is no alert rule called {rule}."), rule=self.reason)
        spec = RULE_SPECS[self.reason]
        _param(spec.threshold, self.threshold)
        _param(spec.days, self.days)
        _actor(session, actor)

    def run(self, *, session: Session, actor: Actor) -> CsAlertRule:
        spec = RULE_SPECS[self.reason]
        before = load_config(session=session).rules[self.reason]
        row = session.get(CsAlertRule, self.reason) or CsAlertRule(rule=self.reason)
        row.enabled = bool(self.enabled)
        row.threshold = _param(spec.threshold, self.threshold)
        days = _param(spec.days, self.days)
        row.days = int(days) if days is not None else None
        row.updated_by_id = actor.user_id
        session.add(row)
        after = {"enabled": row.enabled, "threshold": row.threshold, "days": row.days}
        record(
            session=session,
            actor_id=actor.user_id,
            action="alert_rule.update",
            entity="alert_rule",
            entity_id=self.reason,
            before={"enabled": before.enabled, "threshold": before.threshold, "days": before.days},
            after=after,
        )
        return row


@dataclass
class UpdateSettings:
    required_capability = Capability.EDIT_SETTINGS

    holdout_share: float
    notify_min_priority: float
    reopen_cooldown_days: int

    def validate(self, *, session: Session, actor: Actor) -> None:
        check_settings(self.holdout_share, self.notify_min_priority, self.reopen_cooldown_days)
        _actor(session, actor)

    def run(self, *, session: Session, actor: Actor) -> CsAlertSettings:
        old = load_config(session=session).settings
        row = session.get(CsAlertSettings, 1) or CsAlertSettings(id=1)
        row.holdout_share = float(self.holdout_share)
        row.notify_min_priority = float(self.notify_min_priority)
        row.reopen_cooldown_days = int(self.reopen_cooldown_days)
        row.updated_by_id = actor.user_id
        session.add(row)
        record(
            session=session,
            actor_id=actor.user_id,
            action="alert_settings.update",
            entity="alert_settings",
            entity_id=1,
            before=_settings_dict(old),
            after=_settings_dict(row),
        )
        return row


def _settings_dict(settings: Any) -> dict[str, Any]:
    return {
        "holdout_share": settings.holdout_share,
        "notify_min_priority": settings.notify_min_priority,
        "reopen_cooldown_days": settings.reopen_cooldown_days,
    }


@dataclass
class UpdatePlaybook:
    required_capability = Capability.EDIT_SETTINGS

    reason: str
    title: str
    steps: list[str]

    def cleaned(self) -> list[str]:
        return [s.strip() for s in self.steps if s and s.strip()]

    def validate(self, *, session: Session, actor: Actor) -> None:
        if self.reason not in REASONS:
            raise AlertError(N_("There is no playbook for {reason}."), reason=self.reason)
        if not (self.title or "").strip():
            raise AlertError(N_("A playbook needs a title."))
        steps = self.cleaned()
        if not steps:
            raise AlertError(N_("A playbook needs at least one step."))
        if len(steps) > MAX_PLAYBOOK_STEPS:
            raise AlertError(N_("A playbook may have at most {n} steps."), n=MAX_PLAYBOOK_STEPS)
        if any(len(s) > MAX_TEXT for s in [*steps, self.title]):
            raise AlertError(N_("Titles and steps may have at most {n} characters."), n=MAX_TEXT)
        _actor(session, actor)

    def run(self, *, session: Session, actor: Actor) -> CsPlaybook:
        old = load_config(session=session).playbooks[self.reason]
        row = session.get(CsPlaybook, self.reason) or CsPlaybook(
            reason=self.reason, playbook=old.playbook
        )
        row.title, row.steps, row.updated_by_id = self.title.strip(), self.cleaned(), actor.user_id
        session.add(row)
        record(
            session=session,
            actor_id=actor.user_id,
            action="playbook.update",
            entity="playbook",
            entity_id=self.reason,
            before={"title": old.title, "steps": list(old.steps)},
            after={"title": row.title, "steps": row.steps},
        )
        return row


@dataclass
class SetNotificationPref:
    """A user's notification channels: a webhook, an e-mail address, on or off.

    A user sets their own; an administrator may set anyone's. The webhook URL must pass
    ``core.security.webhooks`` (https to an allowlisted public host); it is stored sealed
    and the audit row shows its masked form only. ``webhook_url`` empty removes the
    webhook, unless ``keep_webhook`` (the page's default: it never shows the stored URL
    back) keeps the one stored. ``resolver`` replaces DNS in tests.
    """

    required_capability = Capability.OWN_NOTIFICATIONS

    user_id: object
    enabled: bool
    webhook_url: str | None = field(repr=False)  # a secret: never in a repr or a log
    email: str | None
    keep_webhook: bool = False
    resolver: Resolver | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._vetted_url: str | None = None

    def _owner(self, actor: Actor) -> int:
        user_id = parse_id(self.user_id)
        if user_id is None:
            raise AlertError(N_("No console user has the id {id}."), id=self.user_id)
        if user_id != actor.user_id and not can(actor.role, Capability.MANAGE_USERS):
            raise AlertError(
                N_(
                    "You can only change your own notification settings; "
                    "only an administrator can change someone else's."
                )
            )
        return user_id

    def validate(self, *, session: Session, actor: Actor) -> None:
        _actor(session, actor)
        user_id = _user(session, self._owner(actor)).id
        url = (self.webhook_url or "").strip()
        # Refused with one sentence (WebhookRefusedError, field webhook_url); nothing is written.
        self._vetted_url = validate_webhook_url(url, resolver=self.resolver) if url else None
        mail = (self.email or "").strip()
        if mail:
            try:
                validate_email(mail, locale="en")
            except ValidationError:
                raise AlertError(N_("{email} is not a valid e-mail address."), email=mail) from None
        stored = session.get(CsNotificationPref, user_id)
        kept = self.keep_webhook and stored is not None and bool(stored.webhook_url)
        if self.enabled and not url and not kept and not mail:
            raise AlertError(N_("Give a webhook address or an e-mail address to be notified."))

    def run(self, *, session: Session, actor: Actor) -> CsNotificationPref:
        user_id = self._owner(actor)
        url = (self.webhook_url or "").strip()
        if url and self._vetted_url is None:  # run() without validate(): never unchecked
            self._vetted_url = validate_webhook_url(url, resolver=self.resolver)
        row = session.get(CsNotificationPref, user_id)
        before = None if row is None else _pref_state(row)
        row = row or CsNotificationPref(user_id=user_id)
        row.enabled = bool(self.enabled)
        if self._vetted_url is not None:
            row.webhook_url = seal(self._vetted_url)
        elif not self.keep_webhook:
            row.webhook_url = None
        row.email = (self.email or "").strip() or None
        session.add(row)
        after = _pref_state(row)
        if self._vetted_url is not None:
            after["webhook_url"] = mask_webhook_url(self._vetted_url)
        record(
            session=session,
            actor_id=actor.user_id,
            action="notification_pref.update",
            entity="notification_pref",
            entity_id=user_id,
            before=before,
            after=after,
        )
        return row


def _pref_state(row: CsNotificationPref) -> dict[str, Any]:
    """A preference as the audit log shows it: the webhook masked, never in clear."""
    return {
        "enabled": row.enabled,
        "webhook_url": webhook_hint(row.webhook_url),
        "email": row.email,
    }
