"""Start an onboarding from a whole payload (the booking platform's signup flow, via the API).

No rule of its own: it runs the wizard's commands in one transaction, as the caller's
user — :class:`~core.workflows.onboarding.drafts.StartOnboarding`, then
:class:`~core.workflows.onboarding.drafts.SubmitStep` for each step sent, in the wizard's
order, with the wizard's validators (``core.workflows.onboarding.steps``) and its
reachability rule (a step opens once the ones before it are complete).

What happens with bad input (the product's choice):

* business or contact invalid (or missing): nothing is created and every field error of
  both is raised at once (:class:`InitiateRejectedError`). A signup flow never leaves a
  session behind that has no valid business and contact to resume from.
* business and contact valid, an optional step invalid: the session is created, the steps
  before the failing one are saved (as the wizard would have saved them), the failing
  step's errors are returned, ``next_step`` is that step (the wizard opens there), and the
  steps sent after it are listed as not checked (they depend on it: hours on locations,
  staff on locations and services).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.clock import now
from core.commands import Actor
from core.errors import DomainError
from core.i18n import N_
from core.idempotency import IdempotencyClaim, IdempotencyKeyTakenError, is_key_conflict, take_key
from core.workflows.onboarding.drafts import (
    OnboardingError,
    StartOnboarding,
    SubmitStep,
    completed_steps,
    get_session,
    step_to_continue,
)
from core.workflows.onboarding.steps import StepValidationError, validate_step

# The steps a payload may carry, in the wizard's order; business and contact are required.
# Integrations are not among them: their credentials (a Mercado Pago access token) are
# typed by the operator in the wizard, never sent through a signup flow.
PAYLOAD_STEPS = ("business", "contact", "locations", "hours", "services", "staff")
REQUIRED_STEPS = ("business", "contact")


@dataclass(frozen=True)
class StepError:
    """One input at fault: the wizard's FieldError with the step it belongs to."""

    step: str
    field: str
    message: str
    row: int | None = None
    code: str = ""


def _tagged(step: str, exc: StepValidationError) -> list[StepError]:
    return [StepError(step, e.field, e.message, e.row, e.code) for e in exc.errors]


class InitiateRejectedError(DomainError):
    """Business or contact are not valid: nothing was created (``errors``: every one)."""

    def __init__(self, errors: list[StepError]) -> None:
        super().__init__(
            "onboarding_payload_invalid",
            N_("{n} field(s) of the business and contact are not valid; nothing was created."),
            {"n": len(errors)},
            field=f"{errors[0].step}.{errors[0].field}" if errors else None,
        )
        self.errors = errors


@dataclass(frozen=True)
class InitiateResult:
    """What the initiation did; stored as JSON for idempotent replays."""

    session_id: int
    status: str
    next_step: str | None
    completed: list[str]
    errors: list[StepError] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InitiateResult:
        return cls(
            session_id=int(data["session_id"]),
            status=str(data["status"]),
            next_step=data.get("next_step"),
            completed=list(data.get("completed") or []),
            errors=[StepError(**e) for e in data.get("errors") or []],
            not_checked=list(data.get("not_checked") or []),
            warnings=list(data.get("warnings") or []),
        )


@dataclass
class InitiateOnboarding:
    """Start an onboarding and save every step of ``steps`` that the wizard would accept.

    ``steps`` maps a step name to its payload (the wizard form's shape); business and
    contact are required. ``idempotency`` takes the caller's Idempotency-Key in the same
    transaction; a racing request with the same key fails on the key's unique constraint
    and gets :class:`~core.idempotency.IdempotencyKeyTakenError` (replay the stored one).
    """

    # StartOnboarding's and SubmitStep's: whoever may run the wizard may initiate.
    required_capability: ClassVar[Capability | None] = Capability.RUN_ONBOARDING

    steps: Mapping[str, Any]
    locale: str = "es_AR"
    at: datetime | None = None
    idempotency: IdempotencyClaim | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        """Business and contact through the wizard's validators; all their errors at once."""
        errors: list[StepError] = []
        draft: dict[str, Any] = {}
        for step in REQUIRED_STEPS:
            try:
                draft[step] = validate_step(
                    step, self.steps.get(step), draft, locale=self.locale
                ).data
            except StepValidationError as exc:
                errors += _tagged(step, exc)
        if errors:
            raise InitiateRejectedError(errors)

    def run(self, *, session: Session, actor: Actor) -> InitiateResult:
        at = self.at or now()
        if self.idempotency is not None:
            key = take_key(session=session, claim=self.idempotency, at=at)
        session_id = StartOnboarding(at=at).run(session=session, actor=actor)
        errors: list[StepError] = []
        warnings: list[str] = []
        not_checked: list[str] = []
        for step in PAYLOAD_STEPS:
            if step not in self.steps:
                continue
            if errors:  # later steps depend on the failing one: the wizard would not open them
                not_checked.append(step)
                continue
            submit = SubmitStep(session_id, step, self.steps[step], locale=self.locale, at=at)
            try:
                submit.validate(session=session, actor=actor)
                warnings += submit.run(session=session, actor=actor).warnings
            except StepValidationError as exc:
                errors += _tagged(step, exc)
            except OnboardingError as exc:  # e.g. hours sent without locations: step_locked
                errors.append(StepError(step, step, exc.message, None, exc.code))
        row = get_session(session=session, session_id=session_id, locale=self.locale)
        result = InitiateResult(
            session_id=session_id,
            status=row.status,
            next_step=step_to_continue(row),
            completed=completed_steps(row.draft),
            errors=errors,
            not_checked=not_checked,
            warnings=warnings,
        )
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="onboarding.initiate",
            entity="onboarding_session",
            entity_id=session_id,
            after={
                "source": "api",
                "completed": result.completed,
                "failed_step": errors[0].step if errors else None,
                "idempotency_key": self.idempotency is not None,
            },
        )
        if self.idempotency is not None:
            key.result = result.to_json()
        return result

    def on_commit_error(self, exc: IntegrityError) -> DomainError | None:
        """A racing request with the same key committed first: replay its result."""
        return IdempotencyKeyTakenError() if is_key_conflict(exc) else None
