"""/api/metrics/snapshot: the newest KPIs, each with its registry definition.

The answer is kept per process under the newest snapshot's version (one indexed query
per request finds it), the language and the metric filter (``api.cache``): a new
snapshot is a new answer at once. ``age_s`` is computed for each request.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from api.auth import requires
from api.cache import encode, json_answer, memo_of, with_fields
from api.locale import locale_of
from api.problems import AUTHENTICATED_ERRORS, FieldError, ProblemError, documented
from api.types import Timestamp
from core.auth.api_tokens import ApiCaller
from core.auth.roles import Role
from core.clock import now
from core.db import Engine, read_session
from core.i18n import gettext
from core.metrics.registry import HEADLINE_KPIS, METRICS, kpi_windows
from core.metrics.snapshots import latest_version, load_latest_snapshot, load_snapshot

router = APIRouter(prefix="/api/metrics", tags=["metrics"])
READERS = (Role.ADMIN, Role.EXECUTIVE)
MAX_KEYS = 50
SNAPSHOT_MEMO = "metrics_snapshot"


class KpiOut(BaseModel):
    key: str = Field(examples=["bookings"])
    label: str = Field(examples=["Bookings"])
    unit: str = Field(description="ars, ratio, count, score...", examples=["count"])
    definition: str = Field(description="The registry's definition, as the console shows it.")
    grain: str = Field(examples=["window"])
    higher_is_better: bool | None = Field(examples=[True])
    headline: bool = Field(description="One of the Executive Overview's tiles.")
    value: float | None = Field(description="Over the current KPI window.", examples=[336.0])
    previous: float | None = Field(description="Over the window before it.", examples=[280.0])
    year_ago: float | None = Field(description="The same window 52 weeks earlier.")
    value_like: float | None = Field(description="Like for like with previous_like.")
    previous_like: float | None


class MetricsSnapshotOut(BaseModel):
    version: int = Field(examples=[5120])
    kind: str = Field(examples=["incremental"])
    created_at: Timestamp
    as_of: Timestamp
    age_s: float = Field(examples=[12.5])
    window_start: date = Field(description="First day of the current KPI window.")
    window_end: date = Field(description="Its last day (the last complete day).")
    previous_window_start: date
    previous_window_end: date
    metrics: list[KpiOut]


@router.get(
    "/snapshot",
    response_model=MetricsSnapshotOut,
    responses={
        **AUTHENTICATED_ERRORS,
        **documented(
            404,
            "No metrics snapshot was written yet.",
            "No metrics snapshot was written yet: the refresh has not run.",
        ),
    },
    summary="The newest KPIs with their registry definitions",
)
async def metrics_snapshot(
    request: Request,
    _caller: Annotated[ApiCaller, Depends(requires(*READERS))],
    key: Annotated[
        list[str] | None,
        Query(
            max_length=MAX_KEYS,
            description="Only these metric keys (repeat the parameter); default: all.",
        ),
    ] = None,
) -> Response:
    """The newest snapshot's KPIs (never a recomputation), in the registry's order."""
    unknown = [k for k in key or () if k not in METRICS]
    if unknown:
        raise ProblemError(
            422,
            f"{len(unknown)} metric key(s) are not in the registry.",
            code="unknown_metric",
            errors=[
                FieldError(field="query.key", message=f"No metric has the key {k[:60]!r}.")
                for k in unknown[:10]
            ],
        )
    engine = request.app.state.engine
    with read_session(engine) as session:
        version = latest_version(session=session)
    if version is None:
        raise _no_snapshot()
    locale = locale_of(request)
    wanted = frozenset(key) if key else None
    kept = await memo_of(request, SNAPSHOT_MEMO, None).get(
        (version, locale, wanted), lambda: _snapshot_answer(engine, version, locale, wanted)
    )
    body, created_at = kept.value
    return json_answer(with_fields(body, {"age_s": (now() - created_at).total_seconds()}))


def _no_snapshot() -> ProblemError:
    return ProblemError(
        404, "No metrics snapshot was written yet: the refresh has not run.", code="no_snapshot"
    )


def _snapshot_answer(
    engine: Engine, version: int, locale: str, wanted: frozenset[str] | None
) -> tuple[bytes, datetime]:
    """The answer for snapshot ``version`` encoded without ``age_s``, and its creation time."""
    with read_session(engine) as session:
        snapshot = load_snapshot(session=session, version=version, frames=False)
        if snapshot is None:  # pruned since the version was read: a newer one exists
            snapshot = load_latest_snapshot(session=session, frames=False)
    if snapshot is None:
        raise _no_snapshot()
    current, previous = kpi_windows(snapshot.as_of.date())
    metrics = []
    for metric_key, metric in METRICS.items():
        kpi = snapshot.kpis.get(metric_key)
        if kpi is None or (wanted is not None and metric_key not in wanted):
            continue
        metrics.append(
            KpiOut(
                key=metric_key,
                label=gettext(metric.label, locale),
                unit=metric.unit,
                definition=gettext(metric.definition, locale),
                grain=metric.grain,
                higher_is_better=metric.higher_is_better,
                headline=metric_key in HEADLINE_KPIS,
                value=kpi.get("value"),
                previous=kpi.get("previous"),
                year_ago=kpi.get("year_ago"),
                value_like=kpi.get("value_like"),
                previous_like=kpi.get("previous_like"),
            )
        )
    answer = MetricsSnapshotOut(
        version=snapshot.version,
        kind=snapshot.kind,
        created_at=snapshot.created_at,
        as_of=snapshot.as_of,
        age_s=0.0,  # per request (see metrics_snapshot)
        window_start=current[0],
        window_end=current[1],
        previous_window_start=previous[0],
        previous_window_end=previous[1],
        metrics=metrics,
    )
    return encode(answer, exclude={"age_s"}), snapshot.created_at
