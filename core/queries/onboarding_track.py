"""One onboarding's progress for the API's track route: its steps with their times
(the wizard's step events), where it stands, and its verification with reason codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.i18n import translator
from core.schema import OnboardingStepEvent
from core.workflows.onboarding.drafts import completed_steps, get_session, step_to_continue
from core.workflows.onboarding.steps import STEP_TITLES, STEPS
from core.workflows.onboarding.verification import describe


@dataclass(frozen=True)
class StepProgress:
    """A step as the funnel counts it: its first entry, its last completion."""

    step: str
    title: str
    state: str  # completed, current, pending
    entered_at: datetime | None
    completed_at: datetime | None
    visits: int  # step events: re-entries after going back or a pause count


@dataclass(frozen=True)
class VerificationCheck:
    code: str
    message: str


@dataclass(frozen=True)
class OnboardingProgress:
    session_id: int
    business_name: str
    status: str  # in_progress, activated, abandoned (discarded), rejected
    current_step: str
    next_step: str | None
    started_at: datetime
    updated_at: datetime
    activated_at: datetime | None
    tenant_id: int | None
    verification_status: str | None  # None (not run), auto_approved, manual_review, approved
    verification_reasons: list[str]
    verification_ran_at: datetime | None
    checks: list[VerificationCheck]
    steps: list[StepProgress]


def _moment(text: object) -> datetime | None:
    # The draft keeps verification's time as ISO text (JSON has no datetime).
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def onboarding_progress(*, session: Session, session_id: int, locale: str) -> OnboardingProgress:
    """Session ``session_id``'s progress; raises OnboardingError (``session_missing``).

    Parameters
    ----------
    session
        A read session.
    session_id
        The onboarding.
    locale
        Language of the step titles and verification messages.
    """
    row = get_session(session=session, session_id=session_id, locale=locale)
    events = session.execute(
        select(
            OnboardingStepEvent.step,
            OnboardingStepEvent.entered_at,
            OnboardingStepEvent.completed_at,
        )
        .where(OnboardingStepEvent.session_id == session_id)
        .order_by(OnboardingStepEvent.entered_at, OnboardingStepEvent.id)
    ).all()
    done = set(completed_steps(row.draft))
    if row.status == "activated":
        done |= {"review", "activation"}
    _ = translator(locale)
    steps = []
    for step in STEPS:
        mine = [e for e in events if e.step == step]
        completions = [e.completed_at for e in mine if e.completed_at is not None]
        if step in done:
            state = "completed"
        elif row.status == "in_progress" and step == row.current_step:
            state = "current"
        else:
            state = "pending"
        steps.append(
            StepProgress(
                step=step,
                title=_(STEP_TITLES[step]),
                state=state,
                entered_at=mine[0].entered_at if mine else None,
                completed_at=max(completions) if completions else None,
                visits=len(mine),
            )
        )
    verification = (row.draft or {}).get("verification") or {}
    return OnboardingProgress(
        session_id=row.id,
        business_name=row.business_name,
        status=row.status,
        current_step=row.current_step,
        next_step=step_to_continue(row),
        started_at=row.started_at,
        updated_at=row.updated_at,
        activated_at=row.activated_at,
        tenant_id=row.tenant_id,
        verification_status=row.verification_status,
        verification_reasons=[c for c in (row.verification_reasons or "").split(",") if c],
        verification_ran_at=_moment(verification.get("ran_at")),
        checks=[
            VerificationCheck(code=c["code"], message=describe(c, locale))
            for c in verification.get("checks") or []
        ],
        steps=steps,
    )
