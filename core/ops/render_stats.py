"""Reading page render timings: the stored minute histograms merged, and percentiles.

``ops_page_timings`` holds one histogram per page per minute per console process
(written by ``core.ops.timings``). :func:`page_render_stats` sums them in SQL (one
grouped query, whatever the number of rows) and estimates percentiles from the merged
histogram with :func:`histogram_percentile`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.schema import OpsPageTiming

# Upper edges of the histogram buckets, milliseconds; one more bucket holds what is above.
BUCKET_EDGES_MS: tuple[float, ...] = (25, 50, 100, 200, 300, 500, 750, 1000, 2000, 5000)
# A render above this is slow: the render SLO's threshold (p95 <= 500 ms).
SLOW_RENDER_MS = 500.0
_SLOW_FROM = BUCKET_EDGES_MS.index(SLOW_RENDER_MS) + 1  # the first bucket above it


def histogram_percentile(buckets: Sequence[int], q: float, max_ms: float) -> float | None:
    """The ``q`` quantile (0 < q <= 1) of renders counted in ``buckets``.

    Estimated by linear interpolation inside the bucket the rank falls in: with N renders
    the rank is ``q * N``; in the bucket ``(lower, upper]`` that holds it, with ``c``
    renders of which ``before`` lie in earlier buckets, the estimate is
    ``lower + (upper - lower) * (q * N - before) / c`` (renders assumed spread evenly in
    the bucket). The first bucket starts at 0; the last one (above 5,000 ms) and any
    bucket past the slowest render end at ``max_ms``, the slowest render seen, so the
    estimate never exceeds a time that really happened. None when there are no renders.
    """
    total = sum(buckets)
    if total == 0:
        return None
    rank = q * total
    before = 0
    for index, count in enumerate(buckets):
        if count and before + count >= rank:
            lower = BUCKET_EDGES_MS[index - 1] if index > 0 else 0.0
            upper = BUCKET_EDGES_MS[index] if index < len(BUCKET_EDGES_MS) else max_ms
            upper = max(min(upper, max_ms), lower)
            return lower + (upper - lower) * (rank - before) / count
        before += count
    return max_ms


@dataclass(frozen=True)
class PageRenderStats:
    """One page's renders over a period, merged over minutes and console processes."""

    page: str
    renders: int
    failed: int
    mean_ms: float
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float
    slow_renders: int
    buckets: tuple[int, ...]

    @classmethod
    def from_sums(
        cls, page: str, renders: int, total_ms: float, max_ms: float, failed: int, buckets: tuple
    ) -> PageRenderStats:
        return cls(
            page=page,
            renders=renders,
            failed=failed,
            mean_ms=total_ms / renders if renders else 0.0,
            p50_ms=histogram_percentile(buckets, 0.50, max_ms),
            p95_ms=histogram_percentile(buckets, 0.95, max_ms),
            max_ms=max_ms,
            slow_renders=sum(buckets[_SLOW_FROM:]),
            buckets=buckets,
        )


@dataclass(frozen=True)
class RenderStats:
    """All pages together (the percentiles of the merged histogram) and page by page.

    ``slow_renders`` counts renders above :data:`SLOW_RENDER_MS` (500 ms), exactly (a
    bucket edge). ``pages`` is sorted slowest p95 first.
    """

    since: datetime
    until: datetime
    renders: int
    failed: int
    mean_ms: float
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float
    slow_renders: int
    buckets: tuple[int, ...]
    pages: tuple[PageRenderStats, ...]


def page_render_stats(
    session: Session, *, since: datetime, until: datetime, page: str | None = None
) -> RenderStats:
    """Render counts and times of the minutes in ``[since, until)``.

    Parameters
    ----------
    session
        Any session on the console database.
    since, until
        The period; a row belongs to it by its minute (``since <= minute < until``).
    page
        Only this page (its url path); default every page.

    Returns
    -------
    RenderStats
        Zero renders and None percentiles when nothing was recorded. p50/p95 are
        estimated from the merged histograms (:func:`histogram_percentile`).
    """
    columns = [func.sum(OpsPageTiming.buckets[i].as_integer()) for i in range(_BUCKETS)]
    query = (
        select(
            OpsPageTiming.page,
            func.sum(OpsPageTiming.renders),
            func.sum(OpsPageTiming.total_ms),
            func.max(OpsPageTiming.max_ms),
            func.sum(OpsPageTiming.failed),
            *columns,
        )
        .where(OpsPageTiming.minute >= since, OpsPageTiming.minute < until)
        .group_by(OpsPageTiming.page)
    )
    if page is not None:
        query = query.where(OpsPageTiming.page == page)
    pages = []
    for name, renders, total, slowest, failed, *counts in session.execute(query):
        buckets = tuple(int(c or 0) for c in counts)
        pages.append(
            PageRenderStats.from_sums(
                name,
                int(renders or 0),
                float(total or 0),
                float(slowest or 0),
                int(failed or 0),
                buckets,
            )
        )
    pages.sort(key=lambda p: (-(p.p95_ms or 0.0), p.page))
    merged = tuple(sum(p.buckets[i] for p in pages) for i in range(_BUCKETS))
    whole = PageRenderStats.from_sums(
        "",
        sum(p.renders for p in pages),
        sum(p.mean_ms * p.renders for p in pages),
        max((p.max_ms for p in pages), default=0.0),
        sum(p.failed for p in pages),
        merged,
    )
    return RenderStats(
        since=since,
        until=until,
        renders=whole.renders,
        failed=whole.failed,
        mean_ms=whole.mean_ms,
        p50_ms=whole.p50_ms,
        p95_ms=whole.p95_ms,
        max_ms=whole.max_ms,
        slow_renders=whole.slow_renders,
        buckets=merged,
        pages=tuple(pages),
    )


_BUCKETS = len(BUCKET_EDGES_MS) + 1
