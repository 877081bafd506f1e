"""Page render timings: aggregated in memory per console process, written once a minute.

Every page run is timed in one place, the navigation wrapper (``ui.render_timing``),
which calls :func:`record_render`. That only adds to an in-memory histogram of the
current minute for the page (:data:`BUCKET_EDGES_MS`); a flusher thread, started once
per console process (:func:`ensure_flusher`), writes the finished minutes to
``ops_page_timings`` once a minute, one row per page per minute per process, never one
per render. The same flush writes the console's availability probe (``ops_probes``,
component ``console``) for the minute, so uptime is the minutes a console process was
alive to flush. At interpreter exit what is pending is flushed.

A flush that fails (database down, disk full) puts its minutes back for the next try;
at most :data:`MAX_PENDING_MINUTES` minutes are kept, the oldest dropped first and
counted in :attr:`RenderTimings.dropped_renders`.

Reading: :func:`page_render_stats` merges the stored histograms in SQL (see
``core.ops.render_stats``).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from core.clock import now
from core.db import DATABASE_ERRORS, write_unit
from core.ops.probes import CONSOLE, floor_minute, upsert_probe
from core.ops.render_stats import (
    BUCKET_EDGES_MS,
    SLOW_RENDER_MS,
    PageRenderStats,
    RenderStats,
    page_render_stats,
)
from core.schema import OpsPageTiming

__all__ = [
    "BUCKET_EDGES_MS",
    "MAX_PENDING_MINUTES",
    "SLOW_RENDER_MS",
    "PageRenderStats",
    "RenderStats",
    "RenderTimings",
    "bucket_index",
    "ensure_flusher",
    "page_render_stats",
    "record_render",
]

log = logging.getLogger(__name__)

# Minutes kept in memory while the database refuses the flush (two hours of renders).
MAX_PENDING_MINUTES = 120
# The schema's column widths.
PAGE_CHARS = 60
PROCESS_CHARS = 80
# The flusher wakes this long after each minute boundary, so the minute is finished.
FLUSH_DELAY_S = 1.0
# A database down, locked or full: the minutes wait in memory for the next flush.
_FLUSH_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, OSError)


def bucket_index(elapsed_ms: float) -> int:
    """The histogram bucket of one render: bucket ``i`` holds ``(edge[i-1], edge[i]]``
    (the first from 0), the last bucket everything above the last edge."""
    return bisect_left(BUCKET_EDGES_MS, elapsed_ms)


def process_name() -> str:
    """``hostname:pid``, the process column of ``ops_page_timings``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:PROCESS_CHARS]


@dataclass
class _Cell:
    """One page's renders in one minute."""

    renders: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    failed: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKET_EDGES_MS) + 1))

    def add(self, elapsed_ms: float, failed: bool) -> None:
        self.renders += 1
        self.total_ms += elapsed_ms
        self.max_ms = max(self.max_ms, elapsed_ms)
        self.failed += int(failed)
        self.buckets[bucket_index(elapsed_ms)] += 1

    def merge(self, other: _Cell) -> None:
        self.renders += other.renders
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        self.failed += other.failed
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]


class RenderTimings:
    """The in-memory, thread-safe aggregator of one console process.

    Parameters
    ----------
    process
        The process column of the rows (default ``hostname:pid``).
    max_pending_minutes
        How many distinct minutes may wait in memory for a flush that keeps failing.
    clock
        Where "now" comes from (default ``core.clock.now``).
    """

    def __init__(
        self,
        *,
        process: str | None = None,
        max_pending_minutes: int = MAX_PENDING_MINUTES,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.process = process or process_name()
        self.max_pending_minutes = max_pending_minutes
        self._clock = clock
        self._lock = threading.Lock()
        self._cells: dict[tuple[datetime, str], _Cell] = {}
        self._alive: set[datetime] = set()
        self.dropped_renders = 0
        self.failed_flushes = 0
        # Renders recorded since the process started, per page (flushed or not).
        self.recorded: Counter[str] = Counter()

    def record(self, page: str, elapsed_ms: float, *, failed: bool = False) -> None:
        """Add one render of ``page`` that took ``elapsed_ms`` to the current minute."""
        key = (floor_minute(self._clock()), page[:PAGE_CHARS])
        with self._lock:
            cell = self._cells.get(key)
            if cell is None:
                cell = self._cells[key] = _Cell()
            cell.add(max(float(elapsed_ms), 0.0), failed)
            self.recorded[key[1]] += 1

    def pending(self) -> dict[tuple[datetime, str], tuple[int, float, float, list[int], int]]:
        """A copy of what waits for the flush: (minute, page) -> (renders, total, max,
        buckets, failed)."""
        with self._lock:
            return {
                key: (c.renders, c.total_ms, c.max_ms, list(c.buckets), c.failed)
                for key, c in self._cells.items()
            }

    def flush(self, engine: Engine, *, final: bool = False) -> int:
        """Write the finished minutes (all of them when ``final``) and this minute's probe.

        Returns
        -------
        int
            The timing rows written; 0 when the database refused (the minutes are kept
            for the next flush, within :attr:`max_pending_minutes`).
        """
        current = floor_minute(self._clock())
        with self._lock:
            taken = {k: c for k, c in self._cells.items() if final or k[0] < current}
            for key in taken:
                del self._cells[key]
            self._alive.add(current)
            alive = set(self._alive)
        try:
            with write_unit(engine) as session:
                session.add_all(
                    OpsPageTiming(
                        minute=minute,
                        page=page,
                        process=self.process,
                        renders=cell.renders,
                        total_ms=round(cell.total_ms, 3),
                        max_ms=round(cell.max_ms, 3),
                        buckets=list(cell.buckets),
                        failed=cell.failed,
                    )
                    for (minute, page), cell in sorted(taken.items())
                )
                for minute in sorted(alive):
                    upsert_probe(session, CONSOLE, minute)
        except _FLUSH_ERRORS as exc:
            self._put_back(taken)
            self.failed_flushes += 1
            log.warning("page timings not written (kept for the next flush): %s", exc)
            return 0
        with self._lock:
            self._alive -= alive
        return len(taken)

    def _put_back(self, taken: dict[tuple[datetime, str], _Cell]) -> None:
        with self._lock:
            for key, cell in taken.items():
                if key in self._cells:
                    cell.merge(self._cells[key])
                self._cells[key] = cell
            minutes = sorted({minute for minute, _ in self._cells})
            for minute in minutes[: max(len(minutes) - self.max_pending_minutes, 0)]:
                for key in [k for k in self._cells if k[0] == minute]:
                    self.dropped_renders += self._cells.pop(key).renders
            alive = sorted(self._alive)
            self._alive = set(alive[-self.max_pending_minutes :])


def seconds_to_next_flush(moment: datetime) -> float:
    """Seconds from ``moment`` to :data:`FLUSH_DELAY_S` past the next minute boundary."""
    following = floor_minute(moment) + timedelta(minutes=1)
    return (following - moment).total_seconds() + FLUSH_DELAY_S


class Flusher:
    """The daemon thread that flushes an aggregator once a minute until stopped."""

    def __init__(
        self,
        timings: RenderTimings,
        engine_for: Callable[[], Engine],
        *,
        interval_s: float | None = None,
    ) -> None:
        self.timings = timings
        self.engine_for = engine_for
        # None: on each minute boundary; a number: every that many seconds (tests).
        self.interval_s = interval_s
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="page-timings", daemon=True)

    def start(self) -> Flusher:
        self.thread.start()
        return self

    def flush_once(self, *, final: bool = False) -> int:
        try:
            return self.timings.flush(self.engine_for(), final=final)
        except Exception:  # a bad setting, an engine that cannot be built: try again later
            log.exception("page timings flush failed")
            return 0

    def _loop(self) -> None:
        self.flush_once()  # the probe of the minute the process started in
        while True:
            wait = self.interval_s or seconds_to_next_flush(now())
            if self._stop.wait(wait):
                return
            self.flush_once()

    def stop(self, *, final_flush: bool = True) -> None:
        """Stop the thread and, by default, write everything still pending."""
        self._stop.set()
        self.thread.join(timeout=5)
        if final_flush:
            self.flush_once(final=True)


_default = RenderTimings()
_flusher: Flusher | None = None
_flusher_lock = threading.Lock()


def record_render(page: str, elapsed_ms: float, *, failed: bool = False) -> None:
    """Count one render of ``page`` (its url path) in this process's current minute.

    Cheap (a lock and a few additions); nothing is written until the minute's flush.

    Parameters
    ----------
    page
        The page's url path (``executive-overview``); cut to 60 characters.
    elapsed_ms
        Server-side time of the page's script run, milliseconds.
    failed
        Whether the run raised (it still counts, and is counted apart).
    """
    _default.record(page, elapsed_ms, failed=failed)


def default_timings() -> RenderTimings:
    """This process's aggregator (the one :func:`record_render` adds to)."""
    return _default


def ensure_flusher(engine: Engine) -> Flusher:
    """Start this process's flusher once (idempotent), and flush what is pending at exit.

    Parameters
    ----------
    engine
        The console's database, as configured when the process starts; later calls
        return the running flusher whatever they pass (a console process has one
        database, and a test process must not follow a later test's settings).
    """
    global _flusher
    with _flusher_lock:
        if _flusher is None:
            _flusher = Flusher(_default, lambda: engine).start()
            atexit.register(_flusher.stop)
        return _flusher
