"""Page render timings: aggregated in memory, one row per page per minute, histograms and
percentiles checked against hand-computed values, and a flush that survives the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.ops.render_stats import histogram_percentile, page_render_stats
from core.ops.timings import BUCKET_EDGES_MS, Flusher, RenderTimings, bucket_index
from core.schema import OpsPageTiming, OpsProbe

T0 = datetime(2026, 12, 7, 10, 0)
# Ten renders of one page (ms) and where they fall: (0,25] (25,50] (50,100] (100,200]
# (200,300] (300,500] (500,750] (750,1000] (1000,2000] (2000,5000] above.
REVENUE = [10, 40, 40, 80, 150, 150, 250, 400, 600, 1200]
REVENUE_BUCKETS = [1, 2, 1, 2, 1, 1, 1, 0, 1, 0, 0]
# Eighteen fast renders and two slow ones.
CHURN = [30] * 18 + [600, 700]
CHURN_BUCKETS = [0, 18, 0, 0, 0, 0, 2, 0, 0, 0, 0]


class Clock:
    """A settable clock for the aggregator (the console's own clock keeps ticking)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_buckets_hold_their_upper_edge() -> None:
    assert len(BUCKET_EDGES_MS) == 10
    assert [bucket_index(ms) for ms in (0, 25, 25.1, 500, 500.1, 5000, 5000.1)] == [
        0,
        0,
        1,
        5,
        6,
        9,
        10,
    ]


def test_percentile_interpolates_inside_the_bucket() -> None:
    # 10 renders in (100,200], 10 in (200,300], slowest 300 ms.
    buckets = [0, 0, 0, 10, 10, 0, 0, 0, 0, 0, 0]
    # p95: rank 19, 10 before the (200,300] bucket: 200 + 100 * 9/10.
    assert histogram_percentile(buckets, 0.95, 300) == 290
    # p50: rank 10, the top of the (100,200] bucket.
    assert histogram_percentile(buckets, 0.50, 300) == 200
    # The slowest render caps the bucket: at 250 ms the (200,300] bucket ends at 250.
    assert histogram_percentile(buckets, 0.95, 250) == 245
    assert histogram_percentile([0] * 11, 0.95, 0) is None


def test_flush_stores_the_minute_histogram_and_p95(engine: Engine) -> None:
    clock = Clock(T0 + timedelta(seconds=5))
    timings = RenderTimings(process="host:1", clock=clock)
    for ms in REVENUE:
        timings.record("revenue", ms, failed=ms == 1200)
    for ms in CHURN:
        timings.record("churn", ms)
    clock.at = T0 + timedelta(minutes=1, seconds=1)
    assert timings.flush(engine) == 2
    with Session(engine) as session:
        rows = {r.page: r for r in session.scalars(select(OpsPageTiming))}
        assert set(rows) == {"revenue", "churn"}
        revenue = rows["revenue"]
        assert (revenue.minute, revenue.process, revenue.renders) == (T0, "host:1", 10)
        assert (revenue.total_ms, revenue.max_ms, revenue.failed) == (2920, 1200, 1)
        assert revenue.buckets == REVENUE_BUCKETS
        assert rows["churn"].buckets == CHURN_BUCKETS
        # The console was up in the minute of the flush.
        probes = session.execute(select(OpsProbe.component, OpsProbe.minute)).all()
        assert probes == [("console", T0 + timedelta(minutes=1))]

        stats = page_render_stats(session, since=T0, until=T0 + timedelta(minutes=1))
        by_page = {p.page: p for p in stats.pages}
    # Revenue: p50 rank 5, 4 before (100,200] holding 2: 100 + 100 * 1/2 = 150.
    assert by_page["revenue"].p50_ms == 150
    # p95 rank 9.5, 9 before (1000,2000] holding 1; the bucket ends at the slowest render,
    # 1200: 1000 + 200 * 0.5.
    assert by_page["revenue"].p95_ms == 1100
    assert by_page["revenue"].slow_renders == 2
    assert by_page["revenue"].mean_ms == 292
    # Churn: p95 rank 19, 18 before (500,750] holding 2, capped at 700: 500 + 200 * 1/2.
    assert by_page["churn"].p95_ms == 600
    # p50 rank 10 in (25,50] holding 18: 25 + 25 * 10/18.
    assert abs(by_page["churn"].p50_ms - (25 + 25 * 10 / 18)) < 1e-9
    # Both pages merged: [1,20,1,2,1,1,3,0,1,0,0]; p95 rank 28.5, 26 before (500,750]
    # holding 3: 500 + 250 * 2.5/3.
    assert stats.renders == 30 and stats.failed == 1 and stats.slow_renders == 4
    assert list(stats.buckets) == [1, 20, 1, 2, 1, 1, 3, 0, 1, 0, 0]
    assert abs(stats.p95_ms - (500 + 250 * 2.5 / 3)) < 1e-9
    assert stats.max_ms == 1200
    assert [p.page for p in stats.pages] == ["revenue", "churn"]  # slowest p95 first


def test_page_filter_and_window_edges(sqlite_engine: Engine) -> None:
    clock = Clock(T0)
    timings = RenderTimings(process="host:1", clock=clock)
    for minute, ms in ((0, 100), (1, 200), (2, 300)):
        clock.at = T0 + timedelta(minutes=minute, seconds=30)
        timings.record("revenue", ms)
        timings.record("churn", 10)
    timings.flush(sqlite_engine, final=True)
    with Session(sqlite_engine) as session:
        # [since, until): the minute at `until` is out.
        window = page_render_stats(
            session, since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2)
        )
        assert window.renders == 2 and window.max_ms == 200
        only = page_render_stats(session, since=T0, until=T0 + timedelta(minutes=3), page="revenue")
        assert only.renders == 3 and [p.page for p in only.pages] == ["revenue"]
        empty = page_render_stats(session, since=T0 - timedelta(hours=1), until=T0)
        assert (empty.renders, empty.p95_ms, empty.pages) == (0, None, ())


def test_many_renders_make_one_row_per_page_and_minute(sqlite_engine: Engine) -> None:
    clock = Clock(T0 + timedelta(seconds=1))
    timings = RenderTimings(process="host:1", clock=clock)
    for i in range(1000):
        clock.at = T0 + timedelta(seconds=i * 0.05)  # 50 s of renders
        timings.record("revenue", 80)
    clock.at = T0 + timedelta(minutes=1, seconds=10)
    for _ in range(500):
        timings.record("revenue", 120)
    # Flushing inside the second minute writes the first only; the second stays pending.
    assert timings.flush(sqlite_engine) == 1
    assert list(timings.pending()) == [(T0 + timedelta(minutes=1), "revenue")]
    clock.at = T0 + timedelta(minutes=2, seconds=1)
    assert timings.flush(sqlite_engine) == 1
    assert timings.flush(sqlite_engine) == 0  # nothing left
    with Session(sqlite_engine) as session:
        rows = session.execute(
            select(OpsPageTiming.minute, OpsPageTiming.renders).order_by(OpsPageTiming.minute)
        ).all()
        probes = session.scalar(select(func.count()).select_from(OpsProbe))
    assert rows == [(T0, 1000), (T0 + timedelta(minutes=1), 500)]
    # The minute of each flush had its probe (10:01 written twice: one row).
    assert probes == 2


def test_a_failed_flush_keeps_the_minutes_for_the_next(sqlite_engine: Engine, tmp_path: Path):
    # A database without the ops tables refuses the insert, as one that is down would.
    broken = create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}")
    clock = Clock(T0 + timedelta(seconds=5))
    timings = RenderTimings(process="host:1", clock=clock)
    timings.record("revenue", 100)
    clock.at = T0 + timedelta(minutes=1, seconds=1)
    assert timings.flush(broken) == 0
    assert timings.failed_flushes == 1
    timings.record("revenue", 300)  # the next minute goes on being counted
    clock.at = T0 + timedelta(minutes=2, seconds=1)
    assert timings.flush(sqlite_engine) == 2
    with Session(sqlite_engine) as session:
        rows = session.execute(
            select(OpsPageTiming.minute, OpsPageTiming.max_ms).order_by(OpsPageTiming.minute)
        ).all()
        probes = session.scalars(select(OpsProbe.minute).order_by(OpsProbe.minute)).all()
    assert rows == [(T0, 100), (T0 + timedelta(minutes=1), 300)]
    # The probe of the refused minute was kept too: the process was up then.
    assert probes == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    broken.dispose()


def test_pending_minutes_are_bounded(tmp_path: Path) -> None:
    broken = create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}")
    clock = Clock(T0)
    timings = RenderTimings(process="host:1", clock=clock, max_pending_minutes=3)
    for minute in range(5):
        clock.at = T0 + timedelta(minutes=minute, seconds=1)
        timings.record("revenue", 10)
        timings.record("revenue", 20)
    clock.at = T0 + timedelta(minutes=5, seconds=1)
    assert timings.flush(broken) == 0
    # The two oldest minutes (two renders each) were dropped, the newest three kept.
    assert sorted(minute for minute, _ in timings.pending()) == [
        T0 + timedelta(minutes=m) for m in (2, 3, 4)
    ]
    assert timings.dropped_renders == 4
    broken.dispose()


def test_the_flusher_thread_writes_and_flushes_at_stop(sqlite_engine: Engine) -> None:
    timings = RenderTimings(process="host:2")
    flusher = Flusher(timings, lambda: sqlite_engine, interval_s=0.05).start()
    timings.record("revenue", 42)
    flusher.stop()  # the final flush writes the current, unfinished minute too
    assert not flusher.thread.is_alive()
    with Session(sqlite_engine) as session:
        row = session.scalars(select(OpsPageTiming)).one()
        assert (row.page, row.renders, row.max_ms, row.process) == ("revenue", 1, 42, "host:2")
        assert session.scalar(select(func.count()).select_from(OpsProbe)) >= 1
