"""Uptime of the console and the scheduler, and the two SLOs with their error budgets.

Uptime is read from the availability probes (``ops_probes``: one row per component per
minute it was up, see ``core.ops.probes``). Minutes are whole: a window ending ``at``
covers the complete minutes before the minute of ``at`` (the current minute is still
being probed), and never starts before the component's first probe ever (minutes before
the system was installed are not downtime). Everything is counted in SQL: a 30-day window
is 43,200 minutes per component, and only the gaps between probes come back as rows.

The SLOs (Google SRE style, "good events / valid events" against a target):

* refresh freshness: the snapshot is at most 60 s old in 99 % of minutes. The watchdog
  records each minute's worst snapshot age (:func:`record_freshness`); only minutes it
  recorded count (``observed``, out of ``window_minutes``), a minute with no snapshot at
  all (NULL age) counts as bad.
* page render: p95 of render times at most 500 ms, i.e. at most 5 % of renders above
  500 ms; the error budget is those 5 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, and_, case, func, or_, select
from sqlalchemy.orm import Session

from core.i18n import N_
from core.ops.probes import FRESHNESS, floor_minute, upsert_probe
from core.ops.render_stats import SLOW_RENDER_MS, page_render_stats
from core.schema import OpsProbe

FRESHNESS_MAX_AGE_S = 60.0
FRESHNESS_TARGET = 0.99
RENDER_P95_MS = SLOW_RENDER_MS
RENDER_TARGET = 0.95
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Uptime:
    """A component's availability over a window of whole minutes.

    ``downtime`` lists the runs of consecutive minutes without a probe as ``(start,
    end)``, ``end`` exclusive (the first minute up again, or the window's end).
    ``percent`` is None when no minute was observed (no probe ever, or the first probe is
    after the window). ``first_probe`` is the component's first probe ever.
    """

    component: str
    window_start: datetime
    window_end: datetime
    minutes_observed: int
    minutes_up: int
    downtime_minutes: int
    percent: float | None
    downtime: tuple[tuple[datetime, datetime], ...]
    first_probe: datetime | None


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def observed_range(
    session: Session, component: str, *, window: timedelta, at: datetime
) -> tuple[datetime, datetime, datetime | None]:
    """(start, end, first probe): the whole minutes of ``window`` before the minute of
    ``at``, starting no earlier than the component's first probe ever."""
    end = floor_minute(at)
    first = session.scalar(select(func.min(OpsProbe.minute)).where(OpsProbe.component == component))
    start = floor_minute(end - window)
    if first is not None and first > start:
        start = min(floor_minute(first), end)
    return start, end, first


def uptime(session: Session, component: str, *, window: timedelta, at: datetime) -> Uptime:
    """How many minutes of ``window`` before ``at`` the component was up, and when not.

    Parameters
    ----------
    session
        Any session on the console database.
    component
        ``console`` or ``scheduler`` (``core.ops.probes``).
    window
        How far back: 24 hours, 7 or 30 days.
    at
        The end of the window (the watchdog's evaluation time, or now).

    Returns
    -------
    Uptime
        Counted with one COUNT and one query over the gaps between probes.
    """
    start, end, first = observed_range(session, component, window=window, at=at)
    observed = _minutes(end - start) if first is not None else 0
    if observed <= 0:
        return Uptime(component, start, end, 0, 0, 0, None, (), first)
    in_window = and_(
        OpsProbe.component == component, OpsProbe.minute >= start, OpsProbe.minute < end
    )
    up = int(session.scalar(select(func.count()).select_from(OpsProbe).where(in_window)) or 0)
    down = observed - up
    intervals = _downtime_intervals(session, in_window, start, end) if down else ()
    return Uptime(
        component, start, end, observed, up, down, 100.0 * up / observed, intervals, first
    )


def _downtime_intervals(
    session: Session, in_window: object, start: datetime, end: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    """The runs of missing minutes: each probe whose previous one is more than a minute
    before it closes a gap (LAG in SQL, so only the gaps come back), plus the gaps
    before the first and after the last probe of the window."""
    previous = func.lag(OpsProbe.minute, type_=DateTime).over(order_by=OpsProbe.minute)
    steps = (
        select(OpsProbe.minute.label("minute"), previous.label("previous"))
        .where(in_window)  # type: ignore[arg-type]
        .subquery()
    )
    if session.get_bind().dialect.name == "postgresql":
        jump = steps.c.minute - steps.c.previous > MINUTE
    else:  # SQLite: days between the two as julian day numbers, in minutes
        jump = (func.julianday(steps.c.minute) - func.julianday(steps.c.previous)) * 1440 > 1.5
    gaps = session.execute(
        select(steps.c.previous, steps.c.minute)
        .where(or_(steps.c.previous.is_(None), jump))
        .order_by(steps.c.minute)
    ).all()
    last = session.scalar(select(func.max(OpsProbe.minute)).where(in_window))  # type: ignore[arg-type]
    if last is None:
        return ((start, end),)
    intervals = []
    for previous_minute, minute in gaps:
        gap_start = start if previous_minute is None else previous_minute + MINUTE
        if gap_start < minute:
            intervals.append((gap_start, minute))
    if last + MINUTE < end:
        intervals.append((last + MINUTE, end))
    return tuple(intervals)


@dataclass(frozen=True)
class Slo:
    """A service-level objective over a window, with its error budget.

    ``target`` is the fraction of good events required (0.99 of minutes, 0.95 of
    renders) and ``measured`` the fraction observed (None with nothing observed).
    ``observed`` is the sample size (minutes or renders). The budget is the number of
    bad events the target allows among them: ``budget_total = (1 - target) *
    observed``; ``budget_used`` the bad events; ``budget_left`` what remains (negative
    when overspent) and ``budget_left_fraction`` its share of the total. ``indicator``
    is the headline figure (render p95 ms, worst snapshot age s) under
    ``indicator_label``. ``met`` is False when nothing was observed: an SLO is not met by
    absence of evidence.
    """

    id: str
    objective: str
    target: float
    measured: float | None
    observed: int
    window_minutes: int
    budget_total: float
    budget_used: int
    budget_left: float
    budget_left_fraction: float | None
    met: bool
    indicator: float | None
    indicator_label: str


def _slo(
    slo_id: str,
    objective: str,
    target: float,
    observed: int,
    bad: int,
    window: timedelta,
    indicator: float | None,
    indicator_label: str,
) -> Slo:
    total = round((1 - target) * observed, 9)  # 0.05 * 200 is 10.000000000000009
    return Slo(
        id=slo_id,
        objective=objective,
        target=target,
        measured=(observed - bad) / observed if observed else None,
        observed=observed,
        window_minutes=_minutes(window),
        budget_total=total,
        budget_used=bad,
        budget_left=total - bad,
        budget_left_fraction=(total - bad) / total if total else None,
        met=observed > 0 and bad <= total + 1e-9,
        indicator=indicator,
        indicator_label=indicator_label,
    )


def record_freshness(session: Session, minute: datetime, age_s: float | None) -> None:
    """Record the snapshot age the watchdog saw in ``minute`` (the worst of the minute
    is kept; None: no snapshot at all, a bad minute unless a number comes later)."""
    upsert_probe(session, FRESHNESS, minute, None if age_s is None else float(age_s))


def freshness_slo(session: Session, *, window: timedelta, at: datetime) -> Slo:
    """Refresh freshness: the snapshot at most 60 s old in 99 % of the observed minutes.

    Counts the ``freshness`` probes of the whole minutes of ``window`` before ``at``
    in SQL; ``observed`` says how many minutes the watchdog recorded, out of
    ``window_minutes``. ``indicator`` is the worst age seen, seconds.
    """
    end = floor_minute(at)
    good = case((OpsProbe.value <= FRESHNESS_MAX_AGE_S, 1), else_=0)
    observed, fresh, worst = session.execute(
        select(func.count(), func.coalesce(func.sum(good), 0), func.max(OpsProbe.value)).where(
            OpsProbe.component == FRESHNESS,
            OpsProbe.minute >= floor_minute(end - window),
            OpsProbe.minute < end,
        )
    ).one()
    return _slo(
        "freshness",
        N_("Snapshot at most 60 s old in 99 % of minutes"),
        FRESHNESS_TARGET,
        int(observed),
        int(observed) - int(fresh),
        window,
        None if worst is None else float(worst),
        N_("worst snapshot age (s)"),
    )


def render_slo(session: Session, *, window: timedelta, at: datetime) -> Slo:
    """Page render: p95 at most 500 ms, so at most 5 % of renders above 500 ms.

    The budget counts renders (``observed``), from the stored histograms of the whole
    minutes of ``window`` before ``at``; above 500 ms is exact (a bucket edge).
    ``indicator`` is the estimated p95 (``core.ops.render_stats.histogram_percentile``).
    """
    end = floor_minute(at)
    stats = page_render_stats(session, since=floor_minute(end - window), until=end)
    return _slo(
        "render",
        N_("Page render p95 at most 500 ms (5 % of renders may be slower)"),
        RENDER_TARGET,
        stats.renders,
        stats.slow_renders,
        window,
        stats.p95_ms,
        N_("render p95 (ms)"),
    )
