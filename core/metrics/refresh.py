"""The metrics refresh: read what changed, update the rollups, write a new snapshot.

Compute first, then write in short units, so the refresh never holds SQLite's write lock
while it reads or computes: (1) read the changes and recompute their cells, (2) write the
cells, the day totals and the watermarks in one write unit, (3) compute the snapshot,
(4) write it in another. The rollups and their watermarks always change together, and a
snapshot becomes visible only whole, with its version. A refresh that fails after (2)
leaves consistent rollups and no new snapshot; the next refresh writes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.clock import now
from core.db import read_session, write_unit
from core.metrics import warm
from core.metrics.compute import (
    build_snapshot_content,
    day_range,
    dimension_series,
    platform_daily,
    read_subscriptions,
    read_tenants,
)
from core.metrics.rollups import (
    changed_cells,
    compute_all_cells,
    compute_dirty_cells,
    current_high_water,
    day_rollup_frame,
    load_dirty_cells,
    read_day_rollup_rows,
    read_watermarks,
    read_window_totals,
    refold_days,
    replace_all_cells,
    replace_dirty_cells,
    save_watermarks,
)
from core.metrics.snapshots import latest_version, prune_snapshots, write_snapshot
from core.metrics.today import today_so_far

# Old snapshots are deleted every this many versions: deleting on every run costs time.
PRUNE_EVERY = 10


@dataclass
class RefreshResult:
    version: int
    kind: str  # incremental or full_rebuild
    rows_read: int
    cells: int
    days: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rows_touched(self) -> int:
        return self.rows_read + self.cells + self.days


def _current_state(session: Session, kept: warm.WarmState | None, as_of_day) -> warm.WarmState:
    """The kept state brought up to date, or a fresh one read from the database."""
    signature = warm.dimension_signature(session=session)
    if kept is not None and kept.dimension_signature == signature:
        return kept
    state = warm.WarmState(
        version=0,
        as_of_day=as_of_day,
        dimension_signature=signature,
        tenants=read_tenants(session=session),
        subscriptions=read_subscriptions(session=session),
    )
    if kept is not None:
        # Still exact: only the dimension tables changed.
        state.window, state.day_rows = kept.window, kept.day_rows  # daily: rebuilt
    else:
        state.window = warm.window_from_frame(read_window_totals(session=session, as_of=as_of_day))
    return state


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        current = time.perf_counter()
        self.timings[name] = round(current - self._last, 6)
        self._last = current


def refresh_metrics(
    engine: Engine,
    *,
    full: bool = False,
    as_of: datetime | None = None,
    job_run_id: int | None = None,
) -> RefreshResult:
    """Bring the rollups up to date and write a new snapshot.

    Parameters
    ----------
    engine
        The console database.
    full
        Rebuild every rollup from the raw tables instead of reading changes. The first
        refresh of a database (no watermark yet) is always a full rebuild.
    as_of
        The moment the snapshot describes (default: now). KPI windows end on its day.
    job_run_id
        The scheduler's run record, stored on the snapshot for traceability.
    """
    watch = _Stopwatch()
    as_of = as_of or now()
    as_of_day = as_of.date()
    url = engine.url.render_as_string(hide_password=False)
    # 1. Read what changed and recompute its cells: a read, so it holds no lock.
    with read_session(engine) as session:
        watermarks = read_watermarks(session=session)
        kind = "full_rebuild" if full or not watermarks else "incremental"
        kept = (
            None
            if kind == "full_rebuild"
            else warm.state_for(
                url, latest_version=latest_version(session=session), as_of_day=as_of_day
            )
        )
        changes, recomputed, previous_rows = None, [], []
        if kind == "full_rebuild":
            # Read the high water first: rows changing during the rebuild are re-read by
            # the next refresh, which is harmless because cells are recomputed whole.
            high_water = current_high_water(session=session)
            all_cells = compute_all_cells(session=session)
            rows_read, cells = len(all_cells), len(all_cells)
        else:
            changes = changed_cells(
                session=session,
                watermarks=watermarks,
                already_seen=kept.seen if kept is not None else None,
            )
            watch.lap("read_changes")
            high_water = changes.high_water
            rows_read, cells = changes.rows_read, len(changes.cells)
            if changes.cells:
                load_dirty_cells(session=session, cells=changes.cells)  # a temporary table
                previous_rows = warm.read_dirty_cell_rows(session=session) if kept else []
                recomputed = compute_dirty_cells(session=session)
        watch.lap("rollup_cells")
    # 2. Write the cells, the platform totals and the watermarks: one short write unit.
    # Pages read snapshots, never the rollups, and the refresh lease keeps other writers
    # of the rollups out; a failure after this commit only leaves the snapshot behind
    # (the warm state was taken out above, so the next refresh starts from the database).
    with write_unit(engine) as session:
        if changes is None:
            replace_all_cells(session=session, rows=all_cells)
            days = refold_days(session=session, everything=True)
        else:
            days = 0
            if changes.cells:
                load_dirty_cells(session=session, cells=changes.cells)  # this connection's
                replace_dirty_cells(session=session, records=recomputed)
                days = refold_days(session=session)
        save_watermarks(session=session, high_water=high_water)
    if kept is not None and recomputed:
        kept.move_window(previous_rows, recomputed)
    watch.lap("rollup_days")

    # 3. Compute the snapshot from the committed rollups: a read again.
    with read_session(engine) as session:
        state = _current_state(session, kept, as_of_day)
        watch.lap("dimensions")
        dirty_days = {day for _, day in changes.cells} if changes is not None else set()
        if state.day_rows is None:
            state.day_rows = read_day_rollup_rows(session=session)
        elif dirty_days:
            # Only the refolded days changed: read those and patch the kept table.
            assert changes is not None
            load_dirty_cells(session=session, cells=changes.cells)  # this connection's
            state.patch_day_rows(dirty_days, read_day_rollup_rows(session=session, dirty_only=True))
        watch.lap("read_day_rollup")
        series_range = day_range(state.day_rows.keys(), state.tenants, as_of_day)
        if state.series is None or state.series_range != series_range:
            state.series = dimension_series(state.tenants, state.subscriptions, *series_range)
            state.series_range = series_range
            state.daily = None
        if state.daily is None:
            state.daily = platform_daily(
                day_rollup_frame(state.day_rows),
                state.tenants,
                state.subscriptions,
                as_of_day,
                series=state.series,
            )
        else:
            state.patch_daily(dirty_days)
        window_totals = state.window_frame()
        watch.lap("window_totals")
        content = build_snapshot_content(
            daily=state.daily,
            window_totals=window_totals,
            tenants=state.tenants,
            subscriptions=state.subscriptions,
            as_of=as_of_day,
        )
        watch.lap("compute_metrics")
        today = today_so_far(session=session, as_of=as_of)
        watch.lap("today_so_far")
    # 4. Store the snapshot: readers see the new version only once it is whole.
    with write_unit(engine) as session:
        version = write_snapshot(
            session=session,
            as_of=as_of,
            kind=kind,
            kpis=content.kpis,
            frames={**content.frames, "today_so_far": today},
            job_run_id=job_run_id,
        )
        if version % PRUNE_EVERY == 0:
            prune_snapshots(session=session)
        watch.lap("write_snapshot")
    watch.lap("commit")
    # Only a committed refresh may hand its state to the next one.
    state.version = version
    state.seen = changes.seen if changes is not None else {}
    warm.remember(url, state)
    return RefreshResult(
        version=version,
        kind=kind,
        rows_read=rows_read,
        cells=cells,
        days=days,
        timings=watch.timings,
    )
