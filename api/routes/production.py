"""/api/production/*: the operations checks (issue 16) for the operations team's tools.

The two read models are kept per process for a short while (``api.cache``): they are
built from what the watchdog stores every round, so recomputing them per request only
repeats the answer. ``POST /harden`` runs the hardening audit now (administrators).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api.auth import actor_of, requires, requires_capability
from api.cache import cache_control, encode, json_answer, memo_of
from api.locale import locale_of
from api.problems import AUTHENTICATED_ERRORS
from api.types import Timestamp
from core.auth.api_tokens import ApiCaller
from core.auth.roles import Role
from core.clock import now
from core.commands import execute
from core.db import read_session
from core.i18n import gettext
from core.ops.hardening import RunHardeningAudit, evaluate, reports_dir, store_report
from core.ops.readiness import hardening_score
from core.ops.snapshot import collect_environment
from core.ops.status_types import CRITICAL, OK, UNKNOWN, WARNING, SystemStatus
from core.queries.ops import launch_readiness, system_status

router = APIRouter(prefix="/api/production", tags=["production"])
READERS = (Role.ADMIN, Role.EXECUTIVE)
# Seconds a computed answer is kept: a fraction of the watchdog's 30 s round for the
# status (a state change shows within 10 s), one round for the readiness score (its
# inputs are 24-hour windows, stored test results and the stored hardening report).
STATUS_MAX_AGE_S = 10.0
READINESS_MAX_AGE_S = 30.0
STATUS_MEMO, READINESS_MEMO = "systems_status", "launch_readiness"

Overall = Literal["ok", "degraded", "down", "unknown"]
# A component's (or the system's) monitor state, as an API client reads it.
_OVERALL: dict[str, Overall] = {
    OK: "ok",
    WARNING: "degraded",
    CRITICAL: "down",
    UNKNOWN: "unknown",
}


class ComponentOut(BaseModel):
    component: str = Field(examples=["database"])
    label: str = Field(examples=["Database"])
    state: str = Field(
        description="The worst state among its monitors: ok, warning, critical or unknown "
        "(never evaluated).",
        examples=["ok"],
    )
    since: Timestamp | None = Field(description="When the component entered its state.")
    evidence: str = Field(
        description="What the deciding monitor measured, in a sentence.",
        examples=["Answered in 3 ms."],
    )
    monitor_id: str | None = Field(examples=["db.latency"])
    monitor_title: str = Field(examples=["Database latency"])
    monitors: int = Field(description="Monitors declared for the component.", examples=[3])
    failing: int = Field(description="Monitors in warning or critical.", examples=[0])
    pending: int = Field(
        description="Monitors whose last check failed, not yet confirmed.", examples=[0]
    )


class IncidentOut(BaseModel):
    incident_id: int = Field(examples=[41])
    monitor_id: str = Field(examples=["refresh.freshness"])
    monitor_title: str = Field(examples=["Snapshot freshness"])
    component: str = Field(examples=["refresh"])
    severity: str = Field(examples=["critical"])
    status: str = Field(description="open or acknowledged.", examples=["open"])
    opened_at: Timestamp
    evidence: str = Field(examples=["The newest snapshot is 312 s old (limit 120 s)."])
    monitor_state: str = Field(description="The monitor's state now.", examples=["critical"])
    acknowledged_at: Timestamp | None = None
    acknowledged_by: str | None = None
    silenced_until: Timestamp | None = None


class SystemStatusOut(BaseModel):
    overall: Overall = Field(
        description="down if a component is critical; degraded if one is in warning or the "
        "watchdog stopped evaluating; unknown if no monitor was ever evaluated; else ok "
        "(the System status page's rule: components never evaluated do not count).",
        examples=["ok"],
    )
    built_at: Timestamp
    newest_check: Timestamp | None = Field(
        description="The watchdog's newest evaluation of any monitor."
    )
    watchdog_stale: bool = Field(
        description="True when the monitors have not been evaluated for three rounds: the "
        "states below may be out of date.",
        examples=[False],
    )
    components: list[ComponentOut]
    open_incidents: list[IncidentOut]
    computed_at: Timestamp = Field(description="When this answer was computed.")
    max_age_s: float = Field(
        description="How long an answer is kept and served again (Cache-Control matches).",
        examples=[STATUS_MAX_AGE_S],
    )


def _overall(status: SystemStatus, at: datetime) -> Overall:
    worst = _OVERALL.get(status.overall, "unknown")
    if worst == "unknown":
        return "unknown"
    if worst == "ok" and status.watchdog_stale(at):
        # States nobody re-checked for three rounds are not evidence that all is well.
        return "degraded"
    return worst


@router.get(
    "/systems/status",
    response_model=SystemStatusOut,
    responses=AUTHENTICATED_ERRORS,
    summary="Each component's state with evidence, the overall state, open incidents",
)
async def systems_status(
    request: Request,
    _caller: Annotated[ApiCaller, Depends(requires(*READERS))],
) -> Response:
    """The System status page's read model (stored monitor states; nothing is measured here).

    Kept up to ``max_age_s`` seconds per process and language.
    """
    locale = locale_of(request)
    kept = await memo_of(request, STATUS_MEMO, STATUS_MAX_AGE_S).get(
        locale, lambda: encode(_system_status(request, locale))
    )
    return json_answer(
        kept.value, headers={"Cache-Control": cache_control(STATUS_MAX_AGE_S, kept.age_s)}
    )


def _system_status(request: Request, locale: str) -> SystemStatusOut:
    settings = request.app.state.settings
    at = now()
    with read_session(request.app.state.engine) as session:
        status = system_status(
            session=session,
            at=at,
            locale=locale,
            watchdog_interval_s=settings.watchdog_interval_s,
        )
    return SystemStatusOut(
        overall=_overall(status, at),
        built_at=status.built_at,
        newest_check=status.newest_check,
        watchdog_stale=status.watchdog_stale(at),
        components=[
            ComponentOut(
                component=c.component,
                label=c.label,
                state=c.state,
                since=c.since,
                evidence=c.evidence,
                monitor_id=c.monitor_id,
                monitor_title=c.monitor_title,
                monitors=c.monitors,
                failing=c.failing,
                pending=c.pending,
            )
            for c in status.components
        ],
        open_incidents=[
            IncidentOut(
                incident_id=i.incident_id,
                monitor_id=i.monitor_id,
                monitor_title=i.monitor_title,
                component=i.component,
                severity=i.severity,
                status=i.status,
                opened_at=i.opened_at,
                evidence=i.evidence,
                monitor_state=i.monitor_state,
                acknowledged_at=i.acknowledged_at,
                acknowledged_by=i.acknowledged_by,
                silenced_until=i.silenced_until,
            )
            for i in status.open_incidents
        ],
        computed_at=at,
        max_age_s=STATUS_MAX_AGE_S,
    )


class ReadinessItemOut(BaseModel):
    id: str = Field(examples=["monitors_green"])
    title: str = Field(examples=["Every monitor green for the last 24 h"])
    weight: float = Field(examples=[10.0])
    status: Literal["pass", "partial", "fail"] = Field(examples=["pass"])
    passed: bool = Field(description="True only for full credit.", examples=[True])
    credit: float = Field(description="0, a share (partial) or 1.", examples=[1.0])
    evidence: str = Field(examples=["2,880 evaluations, none failing."])
    owner: str = Field(examples=["operations"])
    fix: str = Field(examples=["Resolve the failing monitors' causes."])


class ReadinessOut(BaseModel):
    score: float = Field(description="sum(weight × credit) / sum(weights) × 100.", examples=[87.5])
    at: Timestamp
    commit: str | None = Field(description="The running commit the tests are judged for.")
    hardening_ran_at: Timestamp = Field(description="When the hardening audit used ran.")
    items: list[ReadinessItemOut]
    blockers: list[str] = Field(
        description="Ids of the items short of full credit, the heaviest loss first.",
        examples=[["test_suite"]],
    )
    computed_at: Timestamp = Field(description="When this judgement was computed.")
    max_age_s: float = Field(
        description="How long a judgement is kept and served again (Cache-Control matches); "
        "running the hardening audit (POST /harden) renews it at once.",
        examples=[READINESS_MAX_AGE_S],
    )


@router.get(
    "/launch-readiness",
    response_model=ReadinessOut,
    responses=AUTHENTICATED_ERRORS,
    summary="The launch-readiness score: each checklist item with weight, pass/fail, evidence",
)
async def launch_readiness_route(
    request: Request,
    _caller: Annotated[ApiCaller, Depends(requires(*READERS))],
) -> Response:
    """The same judgement as the System status page and ``python -m core.ops readiness``,
    kept up to ``max_age_s`` seconds per process and language."""
    locale = locale_of(request)
    kept = await memo_of(request, READINESS_MEMO, READINESS_MAX_AGE_S).get(
        locale, lambda: encode(_launch_readiness(request, locale))
    )
    return json_answer(
        kept.value, headers={"Cache-Control": cache_control(READINESS_MAX_AGE_S, kept.age_s)}
    )


def _launch_readiness(request: Request, locale: str) -> ReadinessOut:
    with read_session(request.app.state.engine) as session:
        judged = launch_readiness(session=session, settings=request.app.state.settings, at=now())
    return ReadinessOut(
        score=judged.score,
        at=judged.at,
        commit=judged.commit,
        hardening_ran_at=judged.hardening_ran_at,
        items=[
            ReadinessItemOut(
                id=item.id,
                title=gettext(item.title, locale),
                weight=item.weight,
                status=item.status,
                passed=item.credit >= 1,
                credit=item.credit,
                evidence=item.evidence_text(lambda text: gettext(text, locale)),
                owner=gettext(item.owner, locale),
                fix=gettext(item.fix, locale),
            )
            for item in judged.items
        ],
        blockers=[item.id for item in judged.blockers],
        computed_at=judged.at,
        max_age_s=READINESS_MAX_AGE_S,
    )


# --------------------------------------------------------------------------- hardening


class FindingOut(BaseModel):
    id: str = Field(examples=["debug_off"])
    title: str = Field(examples=["Error details hidden from users"])
    status: Literal["pass", "warn", "fail"] = Field(examples=["pass"])
    weight: int = Field(examples=[3])
    evidence: str = Field(
        description="What was observed, in a sentence.",
        examples=["client.showErrorDetails is false."],
    )
    remedy: str = Field(
        description="How to fix it (also shown for passing items).",
        examples=["Set client.showErrorDetails = false in .streamlit/config.toml."],
    )


class HardeningOut(BaseModel):
    ran_at: Timestamp
    ran_by: str | None = Field(examples=["ana.admin@barberpro.com.ar"])
    score: float = Field(
        description="The hardening share of the launch-readiness score: sum(weight × "
        "credit) / sum(weights) × 100, a warning earning half.",
        examples=[72.5],
    )
    passed: int = Field(examples=[11])
    warned: int = Field(examples=[2])
    failed: int = Field(examples=[1])
    failing: list[str] = Field(description="Ids of the failing items.", examples=[["https"]])
    findings: list[FindingOut]
    stored: bool = Field(
        description="True when the report was stored as the newest (the console's Hardening "
        "audit page and the launch-readiness score read it).",
        examples=[True],
    )


@router.post(
    "/harden",
    response_model=HardeningOut,
    responses=AUTHENTICATED_ERRORS,
    summary="Run the hardening audit now; the report with every finding and the score",
)
def harden(
    request: Request,
    caller: Annotated[
        ApiCaller, Depends(requires_capability(RunHardeningAudit.required_capability))
    ],
) -> HardeningOut:
    """Checks this server's configuration (as ``python -m core.ops harden`` does), records
    the run in the audit log as the token's user, stores the report (the console's
    Hardening audit page shows it) and renews the launch-readiness judgement."""
    settings = request.app.state.settings
    engine = request.app.state.engine
    report = evaluate(collect_environment(settings, engine=engine))
    stamped = execute(RunHardeningAudit(report), actor=actor_of(caller), engine=engine)
    try:
        store_report(stamped, reports_dir(settings))
        stored = True
    except OSError:  # an unwritable state directory: the answer still carries the report
        stored = False
    memo_of(request, READINESS_MEMO, READINESS_MAX_AGE_S).clear()
    locale = locale_of(request)
    counts = stamped.counts()
    return HardeningOut(
        ran_at=stamped.ran_at.replace(microsecond=0),  # as stored (whole seconds)
        ran_by=stamped.ran_by,
        score=hardening_score(stamped),
        passed=counts["pass"],
        warned=counts["warn"],
        failed=counts["fail"],
        failing=list(stamped.failing),
        findings=[
            FindingOut(
                id=item.id,
                title=gettext(item.title, locale),
                status=item.status,
                weight=item.weight,
                evidence=item.evidence_text(lambda text: gettext(text, locale)),
                remedy=item.fix_text(lambda text: gettext(text, locale)),
            )
            for item in stamped.items
        ],
        stored=stored,
    )
