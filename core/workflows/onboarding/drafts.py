"""Wizard state: start a session, move between steps, save each step's draft.

Each action is a command (``core.commands.execute`` runs it as the sidebar's operator).
Every save is one transaction on ``onboarding_sessions`` (the draft JSON, the current step)
and ``onboarding_step_events`` (when a step was entered and completed), so closing the
browser loses nothing and the funnel reads real durations.

Optimistic locking: the session row (its draft and its own fields, such as the business
name the business step copies out of the draft) has one ``version``. A command that
changes them takes ``expected_version``, the version the wizard's form read, and claims
the row before reading it (:func:`open_session`, ``core.commands.claim_version``): a
write from a window that read an older version (another tab saved meanwhile, or a slow
import started before it did) is refused with ``stale_write`` and changes nothing.
Moving between steps (:class:`EnterStep`) changes no data and claims nothing.

Step events: entering a step opens an event (``completed_at`` null); a valid submission
closes it and opens one for the next step. Re-entering the same step reuses its open event
while the operator is active; after ``IDLE_RESTART`` without activity a new event starts,
so a session resumed the next day does not count the night as time spent on the step. An
event left open (the operator went back, or gave up) never counts as a completed step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.clock import now
from core.commands import Actor, claim_version
from core.errors import DomainError
from core.schema import OnboardingSession, OnboardingStepEvent
from core.workflows.onboarding.messages import message
from core.workflows.onboarding.steps import (
    DATA_STEPS,
    STEPS,
    StepResult,
    StepValidationError,
    validate_step,
)

IDLE_RESTART = timedelta(minutes=30)
# The wizard page's query parameter that opens a session (``?session=12``): the resume
# list, the review queue and the API's resume links use it.
SESSION_PARAM = "session"
# When a step's data changes, the steps after it are checked again against it.
_DEPENDENTS = {
    "business": ("services",),  # price bounds depend on the vertical
    "locations": ("hours", "staff"),
    "services": ("staff",),
}


class OnboardingError(DomainError):
    """A wizard action that cannot be done; ``message`` says why in the UI language.

    The message is already rendered (``core.workflows.onboarding.messages``), so it is the
    DomainError's msgid with no params, shown as it is.
    """

    rendered = True

    def __init__(self, message: str, code: str) -> None:
        super().__init__(code, message)
        self.message = message


def _fail(code: str, locale: str, **params: Any) -> OnboardingError:
    return OnboardingError(message(code, locale, **params), code)


def get_session(
    *, session: Session, session_id: int, locale: str = "es_AR", for_update: bool = False
) -> OnboardingSession:
    # populate_existing: a claim (an UPDATE) may have moved the version of a loaded copy.
    query = (
        select(OnboardingSession)
        .where(OnboardingSession.id == session_id)
        .execution_options(populate_existing=True)
    )
    if for_update:  # PostgreSQL locks the row; a SQLite write unit holds the database
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise _fail("session_missing", locale, session_id=session_id)
    return row


def require_open(row: OnboardingSession, locale: str) -> None:
    if row.status != "in_progress":
        raise _fail("session_closed", locale, session_id=row.id, status=row.status)


def completed_steps(draft: Mapping[str, Any] | None) -> list[str]:
    return list((draft or {}).get("completed") or [])


class SessionState(Protocol):
    """What decides the reachable steps: a session row, or the wizard's copy of one."""

    @property
    def draft(self) -> Mapping[str, Any] | None: ...
    @property
    def verification_status(self) -> str | None: ...
    @property
    def status(self) -> str: ...


def reachable_steps(row: SessionState) -> list[str]:
    """Steps the operator may open: every completed data step and the first missing one;
    review once all data is in; activation once verification approved it."""
    done = set(completed_steps(row.draft))
    steps: list[str] = []
    for step in DATA_STEPS:
        steps.append(step)
        if step not in done:
            return steps
    steps.append("review")
    if row.verification_status in ("auto_approved", "approved") or row.status == "activated":
        steps.append("activation")
    return steps


def step_to_continue(row: SessionState) -> str | None:
    """Where the operator continues: the first data step not completed, else review, else
    activation once verification approved it; None when the session is closed."""
    if row.status != "in_progress":
        return None
    return reachable_steps(row)[-1]


def _open_event(session: Session, session_id: int) -> OnboardingStepEvent | None:
    """The session's newest event if it is still open."""
    event = session.scalars(
        select(OnboardingStepEvent)
        .where(OnboardingStepEvent.session_id == session_id)
        .order_by(OnboardingStepEvent.entered_at.desc(), OnboardingStepEvent.id.desc())
        .limit(1)
    ).one_or_none()
    return event if event is not None and event.completed_at is None else None


def _enter(session: Session, row: OnboardingSession, step: str, at: datetime) -> None:
    event = _open_event(session, row.id)
    recent = row.updated_at is not None and at - row.updated_at <= IDLE_RESTART
    if event is None or event.step != step or not recent:
        session.add(OnboardingStepEvent(session_id=row.id, step=step, entered_at=at, updated_at=at))
    row.current_step = step
    row.updated_at = at


def complete_step(session: Session, row: OnboardingSession, step: str, at: datetime) -> None:
    """Close the open event of ``step`` (or record an instant one if none is open)."""
    event = _open_event(session, row.id)
    if event is not None and event.step == step:
        event.completed_at = at
        event.updated_at = at
    else:
        session.add(
            OnboardingStepEvent(
                session_id=row.id, step=step, entered_at=at, completed_at=at, updated_at=at
            )
        )


@dataclass
class StartOnboarding:
    """A new, empty onboarding at its first step, run by the actor; returns its id."""

    required_capability = Capability.RUN_ONBOARDING

    at: datetime | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        """Nothing to check: any operator may start an onboarding."""

    def run(self, *, session: Session, actor: Actor) -> int:
        at = self.at or now()
        row = OnboardingSession(
            business_name="",
            vertical="",
            tier="",
            operator_id=actor.user_id,
            started_at=at,
            current_step=STEPS[0],
            status="in_progress",
            draft={"completed": []},
            updated_at=at,
        )
        session.add(row)
        session.flush()
        session.add(
            OnboardingStepEvent(session_id=row.id, step=STEPS[0], entered_at=at, updated_at=at)
        )
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="onboarding.start",
            entity="onboarding_session",
            entity_id=row.id,
        )
        return row.id


def open_session(
    session: Session,
    session_id: int,
    locale: str,
    *,
    expected_version: int | None = None,
    claim: bool = True,
) -> OnboardingSession:
    """The session, claimed for this change, still in progress (else OnboardingError).

    ``claim`` bumps the row's version (the write lock on PostgreSQL too) if it is still
    ``expected_version`` (None: whatever it is), else raises StaleWriteError; navigation
    passes ``claim=False`` and only locks the row (PostgreSQL ``FOR UPDATE``).
    """
    if claim and claim_version(session, OnboardingSession, session_id, expected_version) is None:
        raise _fail("session_missing", locale, session_id=session_id)
    # Unclaimed (navigation), the row is still locked so two tabs' moves do not interleave.
    row = get_session(session=session, session_id=session_id, locale=locale, for_update=not claim)
    require_open(row, locale)
    return row


def check_reachable(row: OnboardingSession, step: str, steps: Sequence[str], locale: str) -> None:
    """``step`` is one of ``steps`` and the operator may open it now."""
    if step not in steps:
        raise _fail("step_unknown", locale, step=step)
    if step not in reachable_steps(row):
        raise _fail("step_locked", locale, step=step)


@dataclass
class EnterStep:
    """Record that the operator opened ``step`` (navigation, back button, resume)."""

    required_capability = Capability.RUN_ONBOARDING

    session_id: int
    step: str
    locale: str = "es_AR"
    at: datetime | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        row = open_session(session, self.session_id, self.locale, claim=False)
        check_reachable(row, self.step, STEPS, self.locale)

    def run(self, *, session: Session, actor: Actor) -> None:
        at = self.at or now()
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        if row.current_step == self.step and at - row.updated_at <= IDLE_RESTART:
            _touch_if_needed(session, row, self.step, at)
            return
        _enter(session, row, self.step, at)


def _touch_if_needed(session: Session, row: OnboardingSession, step: str, at: datetime) -> None:
    # Same step, still active: only open an event if none is open for it (after a save).
    event = _open_event(session, row.id)
    if event is None or event.step != step:
        _enter(session, row, step, at)


def next_step(step: str) -> str:
    return STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]


def reset_verification(row: OnboardingSession, draft: dict[str, Any]) -> None:
    """Data changed after verification: it must run again (a reviewer's approval too)."""
    if row.verification_status is not None:
        row.verification_status = None
        row.verification_reasons = None
        draft.pop("verification", None)


def apply_step_data(row: OnboardingSession, step: str, data: Any, *, locale: str) -> dict[str, Any]:
    """The draft with ``step``'s data replaced; dependents that no longer validate are
    marked incomplete. Returns the new draft (assign it: JSON columns are not mutable)."""
    draft = dict(row.draft or {})
    changed = draft.get(step) != data
    draft[step] = data
    done = [s for s in completed_steps(draft) if s != step] + [step]
    if changed:
        for dependent in _DEPENDENTS.get(step, ()):
            if dependent in done and dependent in draft:
                try:
                    validate_step(dependent, draft[dependent], draft, locale=locale)
                except StepValidationError:
                    done.remove(dependent)
        if step == "locations":  # hours of removed locations go; new ones need hours
            hours = {k: v for k, v in (draft.get("hours") or {}).items() if k in _names(data)}
            draft["hours"] = hours
            if set(hours) != set(_names(data)) and "hours" in done:
                done.remove("hours")
        reset_verification(row, draft)
    draft["completed"] = [s for s in STEPS if s in done]
    if step == "business":
        row.business_name = data["trade_name"]
        row.vertical = data["vertical"]
        row.tier = data["tier"]
    return draft


def _names(locations: list[dict[str, Any]]) -> set[str]:
    return {loc["name"] for loc in locations}


@dataclass
class SubmitStep:
    """Validate and save one step, then move to the next; raises StepValidationError
    (nothing saved) or OnboardingError. Returns the step's result (data and warnings)."""

    required_capability = Capability.RUN_ONBOARDING

    session_id: int
    step: str
    payload: Any
    locale: str = "es_AR"
    at: datetime | None = None
    # The session's version the form read (None: no form, e.g. a script).
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        row = open_session(
            session, self.session_id, self.locale, expected_version=self.expected_version
        )
        check_reachable(row, self.step, DATA_STEPS, self.locale)

    def run(self, *, session: Session, actor: Actor) -> StepResult:
        at = self.at or now()
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        result = validate_step(self.step, self.payload, row.draft or {}, locale=self.locale)
        row.draft = apply_step_data(row, self.step, result.data, locale=self.locale)
        complete_step(session, row, self.step, at)
        # Which step and which fields, not their values (owners' data stays in the draft).
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="onboarding.save_step",
            entity="onboarding_session",
            entity_id=row.id,
            after={"step": self.step, "fields": sorted(map(str, result.data))}
            if isinstance(result.data, dict)
            else {"step": self.step},
        )
        # Every step before this one is complete (it was reachable), so the next one is too.
        _enter(session, row, next_step(self.step), at)
        return result


@dataclass
class DiscardOnboarding:
    """Give up an onboarding: it leaves the in-progress list as ``abandoned``."""

    required_capability = Capability.RUN_ONBOARDING

    session_id: int
    locale: str = "es_AR"
    at: datetime | None = None
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        open_session(session, self.session_id, self.locale, expected_version=self.expected_version)

    def run(self, *, session: Session, actor: Actor) -> None:
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        row.status = "abandoned"
        row.updated_at = self.at or now()
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="onboarding.discard",
            entity="onboarding_session",
            entity_id=row.id,
            before={"status": "in_progress"},
            after={"status": "abandoned"},
        )
