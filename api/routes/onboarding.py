"""/api/enterprise/onboarding/*: start, follow and measure enterprise onboardings.

``initiate`` runs the wizard's own commands (core.workflows.onboarding.initiate) as the
token's user; ``track`` reads one session's progress; ``success`` the Onboarding Funnel's
numbers (core.queries.onboarding_success). HTTP in, core calls, HTTP out: no rule here.

``success`` is kept per process under the newest detail snapshot's version and the
range (``api.cache``): the numbers are that snapshot's, so a new one is a new answer.
``track`` is read exactly on every request (two indexed queries).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import actor_of, requires, requires_capability
from api.cache import encode, json_answer, memo_of
from api.locale import locale_of
from api.problems import AUTHENTICATED_ERRORS, FieldError, ProblemError, documented
from api.types import Timestamp
from core.auth.api_tokens import ApiCaller
from core.auth.roles import ROLES, Role
from core.clock import now
from core.commands import execute
from core.db import Engine, read_session
from core.i18n import translator
from core.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyClaim,
    IdempotencyKeyReusedError,
    IdempotencyKeyTakenError,
    request_fingerprint,
    stored_result,
)
from core.metrics.snapshots import latest_detail_version
from core.queries.onboarding_success import onboarding_success
from core.queries.onboarding_track import onboarding_progress
from core.workflows.onboarding.drafts import SESSION_PARAM, OnboardingError
from core.workflows.onboarding.initiate import (
    InitiateOnboarding,
    InitiateRejectedError,
    InitiateResult,
    StepError,
)
from page_registry import PAGES

router = APIRouter(prefix="/api/enterprise/onboarding", tags=["onboarding"])
ROUTE = "onboarding.initiate"
REPLAYED_HEADER = "Idempotent-Replayed"
# Who reads one session: the onboarding team (the Onboarding sessions page's roles) and
# executives, who read the same sessions in the Onboarding Funnel's session table.
TRACK_READERS = (Role.ONBOARDING, Role.ADMIN, Role.EXECUTIVE)
# The success numbers are the Onboarding Funnel's, a dashboard every role reads.
SUCCESS_READERS = ROLES
MAX_RANGE_DAYS = 3 * 366
WIZARD_PATH = next(p.url_path for p in PAGES if p.path == "app_pages/onboarding_wizard.py")
# Printable ASCII, no space at either end (Stripe's keys are up to 255; ours 200).
KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"
SUCCESS_MEMO = "onboarding_success"

_EXAMPLE: dict[str, Any] = {
    "business": {
        "legal_name": "Barbería del Centro S.R.L.",
        "trade_name": "Barbería del Centro",
        "cuit": "30-71234574-5",
        "tax_status": "Responsable Inscripto",
        "legal_form": "srl",
        "vertical": "barbershop",
        "plan": "cadena",
        "tier": "enterprise",
    },
    "contact": {
        "owner_name": "Lucía Fernández",
        "email": "lucia@barberiadelcentro.com.ar",
        "phone": "0351 15 4000001",
    },
    "locations": [
        {"name": "Centro", "address": "San Martín 120", "province": "Córdoba", "city": "Córdoba"}
    ],
    "hours": {"Centro": {"0": [["09:00", "20:00"]], "5": [["09:00", "13:00"]], "6": []}},
}


class _In(BaseModel):
    # The JSON shapes only: what is required and what is valid is the wizard's rule
    # (core.workflows.onboarding.steps), reported with step, field and row.
    model_config = ConfigDict(extra="forbid")


class BusinessIn(_In):
    legal_name: str | None = Field(default=None, description="Required.")
    trade_name: str | None = Field(default=None, description="Required.")
    cuit: str | None = Field(default=None, description="Required; 11 digits, dashes optional.")
    tax_status: str | None = Field(
        default=None, description="Required: Responsable Inscripto, Monotributo or Exento."
    )
    legal_form: str | None = Field(default=None, description="sa, srl, sas... (optional)")
    vertical: str | None = Field(default=None, description="barbershop, salon, spa or nails.")
    plan: str | None = Field(default=None, description="A BarberPro plan (its tier must match).")
    tier: str | None = Field(default=None, description="starter, pro or enterprise.")


class ContactIn(_In):
    owner_name: str | None = Field(default=None, description="Required.")
    email: str | None = Field(default=None, description="Required.")
    phone: str | None = Field(default=None, description="Required; an Argentine number.")


class LocationIn(_In):
    name: str | None = None
    address: str | None = None
    province: str | None = None
    city: str | None = None


class ServiceIn(_In):
    name: str | None = None
    category: str | None = None
    duration_min: int | None = None
    price_ars: float | None = Field(default=None, allow_inf_nan=False)


# A week of shifts: weekday ("0" Monday ... "6" Sunday) → [["09:00", "13:00"], ...].
Week = dict[str, list[list[str]] | None]


class StaffIn(_In):
    name: str | None = None
    location: str | None = Field(default=None, description="One of the locations' names.")
    role: str | None = None
    services: list[str] | None = Field(default=None, description="Names of services offered.")
    hours: Week | None = None


class InitiateIn(_In):
    """An onboarding's data as the wizard's steps take it; business and contact required."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    business: BusinessIn | None = None
    contact: ContactIn | None = None
    locations: list[LocationIn] | None = None
    hours: dict[str, Week] | None = Field(
        default=None, description="Per location name, its week of opening hours."
    )
    services: list[ServiceIn] | None = None
    staff: list[StaffIn] | None = None


class StepErrorOut(BaseModel):
    step: str = Field(examples=["locations"])
    field: str = Field(examples=["name"])
    row: int | None = Field(description="0-based row of a list step.", examples=[1])
    code: str = Field(examples=["duplicate_name"])
    message: str = Field(examples=["There are two locations named “Centro”."])


class InitiateOut(BaseModel):
    session_id: int = Field(examples=[812])
    status: str = Field(examples=["in_progress"])
    next_step: str | None = Field(
        description="The first step not completed: where the wizard continues.",
        examples=["services"],
    )
    completed: list[str] = Field(examples=[["business", "contact", "locations", "hours"]])
    errors: list[StepErrorOut] = Field(
        description="The first failing optional step's errors (that step was not saved)."
    )
    not_checked: list[str] = Field(
        description="Steps sent after the failing one: not checked, not saved (they depend on it).",
        examples=[["staff"]],
    )
    warnings: list[str] = Field(description="What will send the case to manual review.")
    resume_url: str = Field(examples=["http://127.0.0.1:8501/onboarding-wizard?session=812"])
    track_url: str = Field(examples=["/api/enterprise/onboarding/track?session_id=812"])


class StepOut(BaseModel):
    step: str = Field(examples=["business"])
    title: str = Field(examples=["Business"])
    state: Literal["completed", "current", "pending"]
    entered_at: Timestamp | None = Field(description="First time the step was opened.")
    completed_at: Timestamp | None = Field(description="Last valid submission.")
    visits: int = Field(description="Times the step was (re)opened.", examples=[1])


class CheckOut(BaseModel):
    code: str = Field(examples=["price_outlier"])
    message: str


class VerificationOut(BaseModel):
    status: str | None = Field(
        description="null (not run), auto_approved, manual_review or approved.",
        examples=["manual_review"],
    )
    reason_codes: list[str] = Field(examples=[["price_outlier"]])
    ran_at: Timestamp | None = Field(description="When verification last ran.")
    checks: list[CheckOut]


class TrackOut(BaseModel):
    session_id: int = Field(examples=[812])
    business_name: str = Field(examples=["Barbería del Centro"])
    status: str = Field(
        description="in_progress, activated, abandoned (discarded) or rejected.",
        examples=["in_progress"],
    )
    current_step: str = Field(examples=["services"])
    next_step: str | None = Field(examples=["services"])
    started_at: Timestamp
    updated_at: Timestamp
    activated_at: Timestamp | None
    tenant_id: int | None = Field(examples=[None])
    verification: VerificationOut
    steps: list[StepOut]
    resume_url: str


class StepDropOffOut(BaseModel):
    step: str = Field(examples=["locations"])
    entered: int = Field(examples=[120])
    completed: int = Field(examples=[104])
    drop_off: int = Field(description="Entered, not completed.", examples=[16])
    step_conversion: float = Field(description="completed ÷ entered.", examples=[0.8667])
    share_of_started: float = Field(description="entered ÷ sessions started.")
    median_minutes: float | None


class SuccessOut(BaseModel):
    start: date = Field(serialization_alias="from", examples=["2026-11-01"])
    end: date = Field(serialization_alias="to", examples=["2026-11-30"])
    source: Literal["snapshot", "live"] = Field(
        description="snapshot: the dashboard's newest detail snapshot (what the page "
        "shows); live: computed now (no snapshot yet)."
    )
    as_of: Timestamp
    sessions_started: int = Field(examples=[140])
    activated: int = Field(examples=[98])
    finished: int = Field(description="Activated, abandoned or rejected.", examples=[120])
    success_rate: float | None = Field(description="activated ÷ finished.", examples=[0.8167])
    median_minutes_to_activate: float | None = Field(examples=[96.5])
    p90_minutes_to_activate: float | None = Field(examples=[410.0])
    automated_verification_rate: float | None = Field(
        description="Approved automatically ÷ approved.", examples=[0.71]
    )
    steps: list[StepDropOffOut]


def _resume_url(request: Request, session_id: int) -> str:
    base = request.app.state.settings.console_url.rstrip("/")
    return f"{base}/{WIZARD_PATH}?{SESSION_PARAM}={session_id}"


def _track_url(session_id: int) -> str:
    return f"{router.prefix}/track?session_id={session_id}"


def _error_out(error: StepError) -> StepErrorOut:
    return StepErrorOut(
        step=error.step, field=error.field, row=error.row, code=error.code, message=error.message
    )


def _answer(request: Request, result: InitiateResult, *, replayed: bool) -> JSONResponse:
    body = InitiateOut(
        session_id=result.session_id,
        status=result.status,
        next_step=result.next_step,
        completed=result.completed,
        errors=[_error_out(e) for e in result.errors],
        not_checked=result.not_checked,
        warnings=result.warnings,
        resume_url=_resume_url(request, result.session_id),
        track_url=_track_url(result.session_id),
    )
    headers = {"Location": _track_url(result.session_id)}
    if replayed:
        headers[REPLAYED_HEADER] = "true"
    return JSONResponse(body.model_dump(mode="json"), status_code=201, headers=headers)


def _replay(request: Request, claim: IdempotencyClaim) -> JSONResponse | None:
    with read_session(request.app.state.engine) as session:
        try:
            stored = stored_result(session=session, claim=claim, at=now())
        except IdempotencyKeyReusedError as exc:
            raise ProblemError(
                409, exc.text(locale_of(request)), code=exc.code, errors=_key_error(exc, request)
            ) from None
    if stored is None:
        return None
    return _answer(request, InitiateResult.from_json(stored.result), replayed=True)


def _key_error(exc: IdempotencyKeyReusedError, request: Request) -> list[FieldError]:
    return [FieldError(field="header.Idempotency-Key", message=exc.text(locale_of(request)))]


def _field_path(error: StepError) -> str:
    row = "" if error.row is None else f".{error.row}"
    return f"body.{error.step}{row}.{error.field}"


@router.post(
    "/initiate",
    status_code=201,
    response_model=InitiateOut,
    responses={
        **AUTHENTICATED_ERRORS,
        **documented(
            409,
            "The Idempotency-Key was used before with a different body.",
            "This Idempotency-Key was already used with a different request body; use a "
            "new key for a new request.",
        ),
    },
    summary="Start an enterprise onboarding from a signup payload",
)
def initiate(
    request: Request,
    payload: InitiateIn,
    caller: Annotated[
        ApiCaller, Depends(requires_capability(InitiateOnboarding.required_capability))
    ],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            pattern=KEY_PATTERN,
            description="Retries with the same key and body return the first answer "
            f"(header {REPLAYED_HEADER}: true) for 24 hours; another body is a 409.",
        ),
    ] = None,
) -> Response:
    """Runs the wizard's commands as the token's user (the audit log names them).

    Business or contact invalid: 422 listing every field at fault, nothing created.
    Valid business and contact: 201 with the session; a failing optional step is not
    saved, its errors are listed and ``next_step`` points at it; the steps sent after it
    are listed in ``not_checked``. Open ``resume_url`` in the console to continue.
    """
    locale = locale_of(request)
    steps: dict[str, Any] = payload.model_dump(exclude_none=True)
    claim = None
    if idempotency_key is not None:
        claim = IdempotencyClaim(
            user_id=caller.user.user_id,
            route=ROUTE,
            key=idempotency_key,
            request_sha256=request_fingerprint(steps),
        )
        replay = _replay(request, claim)
        if replay is not None:
            return replay
    command = InitiateOnboarding(steps, locale=locale, idempotency=claim)
    try:
        result = execute(command, actor=actor_of(caller), engine=request.app.state.engine)
    except InitiateRejectedError as exc:
        errors = [
            FieldError(field=_field_path(e), message=e.message, step=e.step, row=e.row, code=e.code)
            for e in exc.errors
        ]
        raise ProblemError(422, exc.text(locale), code=exc.code, errors=errors) from None
    except IdempotencyKeyTakenError:
        # A racing retry with the same key committed first: answer what it stored.
        assert claim is not None
        replay = _replay(request, claim)
        if replay is None:  # its key expired in between: not a state a client can cause
            raise RuntimeError("an idempotency key vanished right after its insert") from None
        return replay
    return _answer(request, result, replayed=False)


@router.get(
    "/track",
    response_model=TrackOut,
    responses={
        **AUTHENTICATED_ERRORS,
        **documented(404, "No onboarding has this id.", "Onboarding #812 does not exist."),
    },
    summary="An onboarding's steps with their times, verification and status",
)
async def track(
    request: Request,
    session_id: Annotated[int, Query(ge=1, le=2**31 - 1, description="The onboarding's id.")],
    _caller: Annotated[ApiCaller, Depends(requires(*TRACK_READERS))],
) -> Response:
    """Steps as the funnel counts them: the first entry, the last valid submission."""
    locale = locale_of(request)
    try:
        with read_session(request.app.state.engine) as session:
            progress = onboarding_progress(session=session, session_id=session_id, locale=locale)
    except OnboardingError as exc:
        if exc.code != "session_missing":
            raise
        raise ProblemError(404, exc.text(locale), code=exc.code) from None
    answer = TrackOut(
        session_id=progress.session_id,
        business_name=progress.business_name,
        status=progress.status,
        current_step=progress.current_step,
        next_step=progress.next_step,
        started_at=progress.started_at,
        updated_at=progress.updated_at,
        activated_at=progress.activated_at,
        tenant_id=progress.tenant_id,
        verification=VerificationOut(
            status=progress.verification_status,
            reason_codes=progress.verification_reasons,
            ran_at=progress.verification_ran_at,
            checks=[CheckOut(code=c.code, message=c.message) for c in progress.checks],
        ),
        steps=[
            StepOut(
                step=s.step,
                title=s.title,
                state=s.state,  # type: ignore[arg-type]
                entered_at=s.entered_at,
                completed_at=s.completed_at,
                visits=s.visits,
            )
            for s in progress.steps
        ],
        resume_url=_resume_url(request, progress.session_id),
    )
    return json_answer(encode(answer))


def _range_problem(start: date, end: date, locale: str) -> ProblemError | None:
    _ = translator(locale)
    if start > end:
        text = _("The start day must not be after the end day.")
        return ProblemError(422, text, code="range_reversed", errors=[_range_error("from", text)])
    if (end - start) > timedelta(days=MAX_RANGE_DAYS):
        text = _("The range may cover at most {days} days.").format(days=MAX_RANGE_DAYS)
        return ProblemError(422, text, code="range_too_long", errors=[_range_error("to", text)])
    return None


def _range_error(name: str, message: str) -> FieldError:
    return FieldError(field=f"query.{name}", message=message)


@router.get(
    "/success",
    response_model=SuccessOut,
    response_model_by_alias=True,
    responses=AUTHENTICATED_ERRORS,
    summary="Success rate, time to activate, automated verification, drop-off by step",
)
async def success(
    request: Request,
    start: Annotated[date, Query(alias="from", description="First start day (YYYY-MM-DD).")],
    end: Annotated[date, Query(alias="to", description="Last start day, inclusive.")],
    _caller: Annotated[ApiCaller, Depends(requires(*SUCCESS_READERS))],
) -> Response:
    """The Onboarding Funnel's numbers for sessions STARTED in the range (no tier or
    vertical filter): the same frames and functions the dashboard uses."""
    locale = locale_of(request)
    problem = _range_problem(start, end, locale)
    if problem is not None:
        raise problem
    engine = request.app.state.engine
    with read_session(engine) as session:
        version = latest_detail_version(session=session)
    if version is None:  # computed live from the database: nothing to key it on
        return json_answer(await run_in_threadpool(_success, engine, start, end))
    kept = await memo_of(request, SUCCESS_MEMO, None).get(
        (version, start, end), lambda: _success(engine, start, end)
    )
    return json_answer(kept.value)


def _success(engine: Engine, start: date, end: date) -> bytes:
    with read_session(engine) as session:
        numbers = onboarding_success(session=session, start=start, end=end, at=now())
    answer = SuccessOut(
        start=numbers.start,
        end=numbers.end,
        source=numbers.source,  # type: ignore[arg-type]
        as_of=numbers.as_of,
        sessions_started=numbers.sessions_started,
        activated=numbers.activated,
        finished=numbers.finished,
        success_rate=numbers.success_rate,
        median_minutes_to_activate=numbers.median_minutes_to_activate,
        p90_minutes_to_activate=numbers.p90_minutes_to_activate,
        automated_verification_rate=numbers.auto_verification_rate,
        steps=[
            StepDropOffOut(
                step=s.step,
                entered=s.entered,
                completed=s.completed,
                drop_off=s.drop_off,
                step_conversion=s.step_conversion,
                share_of_started=s.share_of_started,
                median_minutes=s.median_minutes,
            )
            for s in numbers.steps
        ],
    )
    return encode(answer)
