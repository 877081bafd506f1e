"""Uptime from the availability probes and the two SLOs, on seeded minutes with
hand-computed downtime, intervals and error budgets; the scheduler's heartbeat probe."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import write_unit
from core.jobs.runner import new_scheduler_id, write_heartbeat
from core.ops.probes import floor_minute, upsert_probe
from core.ops.uptime import freshness_slo, record_freshness, render_slo, uptime
from core.schema import OpsPageTiming, OpsProbe, SchedulerHeartbeat

AT = datetime(2026, 12, 7, 12, 0, 30)  # the window ends at 12:00 (the minute in progress)


def at(hour: int, minute: int, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute)


def minutes(first: datetime, last: datetime) -> list[datetime]:
    """Every minute from ``first`` to ``last``, both included."""
    count = int((last - first).total_seconds() // 60) + 1
    return [first + timedelta(minutes=i) for i in range(count)]


def seed(engine: Engine, component: str, moments: list[datetime]) -> None:
    with write_unit(engine) as session:
        for moment in moments:
            upsert_probe(session, component, moment)


def test_minutes_before_installation_are_not_downtime(engine: Engine) -> None:
    # Installed at 11:30; down 11:40-11:44 and from 11:58 on.
    up = [m for m in minutes(at(11, 30), at(11, 57)) if not at(11, 40) <= m <= at(11, 44)]
    seed(engine, "console", up)
    with Session(engine) as session:
        result = uptime(session, "console", window=timedelta(hours=1), at=AT)
    assert result.first_probe == at(11, 30)
    assert (result.window_start, result.window_end) == (at(11, 30), at(12, 0))
    # 30 minutes observed (11:30-11:59), 5 + 2 missing.
    assert (result.minutes_observed, result.minutes_up, result.downtime_minutes) == (30, 23, 7)
    assert result.percent == 100 * 23 / 30
    assert result.downtime == ((at(11, 40), at(11, 45)), (at(11, 58), at(12, 0)))


def test_window_edges_and_a_gap_at_the_start(engine: Engine) -> None:
    # Up since yesterday, except 11:00-11:04 and 11:20; probes of the current minute
    # (12:00) and of a later one are outside the window.
    yesterday = minutes(at(10, 0, day=6), at(10, 59, day=6))
    today = [m for m in minutes(at(11, 5), at(12, 5)) if m != at(11, 20)]
    seed(engine, "scheduler", yesterday + today)
    with Session(engine) as session:
        hour = uptime(session, "scheduler", window=timedelta(hours=1), at=AT)
        day = uptime(session, "scheduler", window=timedelta(days=1), at=AT)
        other = uptime(session, "console", window=timedelta(hours=1), at=AT)
    assert (hour.window_start, hour.window_end) == (at(11, 0), at(12, 0))
    assert (hour.minutes_observed, hour.minutes_up, hour.downtime_minutes) == (60, 54, 6)
    assert hour.downtime == ((at(11, 0), at(11, 5)), (at(11, 20), at(11, 21)))
    # 24 h back from 12:00 is 12:00 yesterday, after the first probe (10:00 yesterday):
    # 1,440 minutes observed; up: the 55 minutes today before 12:00 minus 11:20.
    assert (day.window_start, day.minutes_observed, day.minutes_up) == (
        at(12, 0, day=6),
        1440,
        54,
    )
    assert day.downtime == ((at(12, 0, day=6), at(11, 5)), (at(11, 20), at(11, 21)))
    # A component never probed: nothing observed, no percentage.
    assert (other.minutes_observed, other.percent, other.downtime) == (0, None, ())


def test_a_component_down_for_the_whole_window(engine: Engine) -> None:
    seed(engine, "console", minutes(at(9, 0), at(9, 9)))
    with Session(engine) as session:
        result = uptime(session, "console", window=timedelta(hours=1), at=AT)
    assert (result.minutes_observed, result.minutes_up, result.percent) == (60, 0, 0.0)
    assert result.downtime == ((at(11, 0), at(12, 0)),)


def seed_freshness(engine: Engine) -> None:
    """09:30-11:59 recorded (150 minutes): 20 s old, 60 s (still fresh) at 11:30, and four
    bad minutes before 10:11: 61 s, no snapshot, 300 s, and 30 then 90 s (the worst kept)."""
    ages: dict[datetime, float | None] = dict.fromkeys(minutes(at(9, 30), at(11, 59)), 20.0)
    ages.update({at(11, 30): 60.0, at(9, 40): 61.0, at(9, 50): None, at(10, 0): 300.0})
    ages[at(10, 10)] = 30.0
    with write_unit(engine) as session:
        for minute, age in ages.items():
            record_freshness(session, minute, age)
        record_freshness(session, at(10, 10) + timedelta(seconds=30), 90.0)
        record_freshness(session, at(10, 10), 45.0)  # better than 90: the 90 stays
        record_freshness(session, at(12, 0), 999.0)  # the current minute: not counted


def test_freshness_slo_budget(engine: Engine) -> None:
    seed_freshness(engine)
    with Session(engine) as session:
        assert session.get(OpsProbe, ("freshness", at(10, 10))).value == 90.0
        wide = freshness_slo(session, window=timedelta(minutes=200), at=AT)
        hour = freshness_slo(session, window=timedelta(hours=1), at=AT)
    # 200 minutes asked, 150 recorded, 4 bad; the budget is 1 % of 150 = 1.5 minutes.
    assert (wide.observed, wide.window_minutes, wide.budget_used) == (150, 200, 4)
    assert abs(wide.budget_total - 1.5) < 1e-9 and abs(wide.budget_left + 2.5) < 1e-9
    assert abs(wide.budget_left_fraction - (-2.5 / 1.5)) < 1e-9
    assert wide.measured == 146 / 150 and not wide.met and wide.indicator == 300.0
    # The last hour: 60 fresh minutes (60 s is fresh), none of the budget used.
    assert (hour.observed, hour.budget_used, hour.measured, hour.met) == (60, 0, 1.0, True)
    assert abs(hour.budget_total - 0.6) < 1e-9 and hour.budget_left_fraction == 1.0
    assert hour.indicator == 60.0


def test_a_number_replaces_an_unknown_freshness(engine: Engine) -> None:
    with write_unit(engine) as session:
        record_freshness(session, at(11, 0), None)
        record_freshness(session, at(11, 0), 12.0)
        record_freshness(session, at(11, 1), 12.0)
        record_freshness(session, at(11, 1), None)  # never erases a measured age
    with Session(engine) as session:
        values = session.scalars(select(OpsProbe.value).order_by(OpsProbe.minute)).all()
    assert values == [12.0, 12.0]


def timing(minute: datetime, page: str, buckets: list[int], max_ms: float) -> OpsPageTiming:
    return OpsPageTiming(
        minute=minute,
        page=page,
        process="host:1",
        renders=sum(buckets),
        total_ms=0.0,
        max_ms=max_ms,
        buckets=buckets,
        failed=0,
    )


def test_render_slo_budget(engine: Engine) -> None:
    with write_unit(engine) as session:
        session.add_all(
            [
                # 100 renders, 5 above 500 ms.
                timing(at(11, 10), "revenue", [0, 0, 50, 40, 5, 0, 3, 2, 0, 0, 0], 900),
                timing(at(11, 50), "churn", [0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0], 45),
                # 50 slow renders at 10:30 (outside the last hour) and at 12:00 (too new).
                timing(at(10, 30), "finance", [0] * 8 + [50, 0, 0], 1500),
                timing(at(12, 0), "finance", [0] * 8 + [50, 0, 0], 1500),
            ]
        )
    with Session(engine) as session:
        hour = render_slo(session, window=timedelta(hours=1), at=AT)
        two = render_slo(session, window=timedelta(hours=2), at=AT)
        empty = render_slo(session, window=timedelta(minutes=5), at=AT)
    # 200 renders, 5 slow: budget 5 % of 200 = 10, half of it used.
    assert (hour.observed, hour.budget_used, hour.budget_total) == (200, 5, 10.0)
    assert (hour.budget_left, hour.budget_left_fraction, hour.met) == (5.0, 0.5, True)
    assert hour.measured == 195 / 200
    # p95 rank 190 = the top of (100,200], 150 renders before it holding 40: 200 ms.
    assert hour.indicator == 200.0
    # Two hours: 250 renders, 55 slow, budget 12.5; p95 rank 237.5 in (1000,2000] capped at
    # 1500, 200 before holding 50: 1000 + 500 * 37.5 / 50.
    assert (two.observed, two.budget_used, two.met) == (250, 55, False)
    assert abs(two.budget_left - (12.5 - 55)) < 1e-9
    assert two.indicator == 1375.0
    assert (empty.observed, empty.measured, empty.met, empty.indicator) == (0, None, False, None)


def test_the_scheduler_heartbeat_probes_its_minute(engine: Engine) -> None:
    scheduler_id = new_scheduler_id()
    before = now()
    for _ in range(3):
        write_heartbeat(engine, scheduler_id, "standalone", before)
    after = now()
    with Session(engine) as session:
        rows = session.scalars(
            select(OpsProbe.minute).where(OpsProbe.component == "scheduler")
        ).all()
        beats = session.scalar(select(func.count()).select_from(OpsProbe))
    # One row per minute however many beats (two only if the beats straddled a minute),
    # and nothing but the scheduler's probes.
    assert rows and set(rows) <= {floor_minute(before), floor_minute(after)}
    assert beats == len(rows) == len(set(rows))
    with Session(engine) as session:
        assert session.get(SchedulerHeartbeat, scheduler_id).beat_at >= before
