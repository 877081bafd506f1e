"""POST /api/production/monitoring: an administrator's override of a declared monitor.

The same command as the System status page (``core.ops.commands.OverrideMonitor``):
validated, stored as an override, audited with the token's user. ``expected_version``
is the override version the client read (``override_version`` of this route's answer,
0 when none was stored); a write based on an older one is refused with 409, like two
browser windows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import actor_of, requires_capability
from api.locale import locale_of
from api.problems import AUTHENTICATED_ERRORS, documented
from api.types import Timestamp
from core.auth.api_tokens import ApiCaller
from core.clock import now
from core.commands import execute
from core.db import read_session
from core.ops.commands import MAX_CONSECUTIVE, MAX_WINDOW_S, OverrideMonitor
from core.ops.monitors import CHANNELS
from core.queries.ops import monitor_view

router = APIRouter(prefix="/api/production", tags=["production"])


class MonitorOverrideIn(BaseModel):
    """The limits to enforce; a field left out (or null) keeps the declared value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "monitor_id": "scheduler.heartbeat",
                    "warning": 90,
                    "critical": 180,
                    "consecutive": 2,
                    "channel": "ops",
                    "expected_version": 0,
                }
            ]
        },
    )

    monitor_id: str = Field(min_length=1, max_length=60, examples=["scheduler.heartbeat"])
    warning: float | None = Field(default=None, allow_inf_nan=False)
    critical: float | None = Field(default=None, allow_inf_nan=False)
    window_s: float | None = Field(default=None, gt=0, le=MAX_WINDOW_S, allow_inf_nan=False)
    consecutive: int | None = Field(default=None, ge=1, le=MAX_CONSECUTIVE)
    channel: str | None = Field(default=None, description=f"One of: {', '.join(CHANNELS)}.")
    expected_version: int | None = Field(
        default=None,
        ge=0,
        description="The override_version the client read (0: none stored); omitted: "
        "overwrite whatever is stored.",
    )


class MonitorOut(BaseModel):
    monitor_id: str = Field(examples=["scheduler.heartbeat"])
    title: str = Field(examples=["Scheduler heartbeat"])
    component: str = Field(examples=["scheduler"])
    state: str = Field(examples=["ok"])
    unit: str = Field(examples=["seconds"])
    direction: str = Field(description="above: higher is worse; below: lower is worse.")
    warning: float | None = Field(description="In force (override or declaration).")
    critical: float | None
    window_s: float
    consecutive: int
    channel: str
    thresholds: str = Field(examples=["≥ 90 / ≥ 180 seconds"])
    declared_warning: float | None
    declared_critical: float | None
    declared_window_s: float
    declared_consecutive: int
    overridden: bool
    override_version: int = Field(description="Send it back as expected_version.")
    checked_at: Timestamp | None


@router.post(
    "/monitoring",
    response_model=MonitorOut,
    responses={
        **AUTHENTICATED_ERRORS,
        **documented(
            409,
            "The override changed since the client read it (expected_version).",
            "This changed in another window; reload to see the latest.",
        ),
    },
    summary="Override a declared monitor's thresholds, window, flapping guard and channel",
)
def override_monitor(
    request: Request,
    change: MonitorOverrideIn,
    caller: Annotated[ApiCaller, Depends(requires_capability(OverrideMonitor.required_capability))],
) -> MonitorOut:
    """Validated and audited by the command the System status page runs (admins only)."""
    engine = request.app.state.engine
    execute(
        OverrideMonitor(
            monitor_id=change.monitor_id,
            warning=change.warning,
            critical=change.critical,
            window_s=change.window_s,
            consecutive=change.consecutive,
            channel=change.channel,
            expected_version=change.expected_version,
        ),
        actor=actor_of(caller),
        engine=engine,
    )
    with read_session(engine) as session:
        view = monitor_view(
            session=session, monitor_id=change.monitor_id, at=now(), locale=locale_of(request)
        )
    if view is None:  # the command refuses unknown monitors: a bug, answered as an incident
        raise RuntimeError(f"monitor {change.monitor_id!r} has no view after its override")
    return MonitorOut(
        monitor_id=view.monitor_id,
        title=view.title,
        component=view.component,
        state=view.state,
        unit=view.unit,
        direction=view.direction,
        warning=view.warning,
        critical=view.critical,
        window_s=view.window_s,
        consecutive=view.consecutive,
        channel=view.channel,
        thresholds=view.thresholds,
        declared_warning=view.declared_warning,
        declared_critical=view.declared_critical,
        declared_window_s=view.declared_window_s,
        declared_consecutive=view.declared_consecutive,
        overridden=view.overridden,
        override_version=view.override_version,
        checked_at=view.checked_at,
    )
