"""Detail tables for the dashboards: heavier aggregates refreshed every few minutes.

The 30-second refresh keeps the headline numbers live (``core/metrics/refresh.py``).
What the twelve dashboards need beyond them (cohorts, mixes, heatmaps, invoices,
tickets, partners, regions...) is computed by *frame providers*, one module per subject
under ``core/metrics/frames/``, and stored together as a ``detail`` snapshot. Pages read
both snapshots, each cached per version, and never query raw tables while rendering.

A provider that fails does not take the others down: its previous tables are carried
over (and the failure recorded), so a page keeps showing the last good numbers.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.clock import now
from core.db import write_unit
from core.jobs.control import check_stop
from core.metrics import frames as frames_package
from core.metrics.snapshots import (
    DETAIL_KIND,
    latest_detail_version,
    load_snapshot,
    prune_snapshots,
    write_snapshot,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameProvider:
    """Computes one or more named detail tables as of a local day.

    ``compute(session, as_of)`` reads the database (raw platform tables, rollups or model
    outputs) and returns ``{frame name: DataFrame}`` for exactly the names in ``frames``.
    """

    name: str
    frames: tuple[str, ...]
    compute: Callable[[Session, date], dict[str, pd.DataFrame]]
    description: str


@dataclass
class DetailResult:
    version: int | None
    frames: int = 0
    rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per provider
    errors: dict[str, str] = field(default_factory=dict)  # provider -> one-line error


def discover_providers() -> list[FrameProvider]:
    """Every provider declared under ``core/metrics/frames/``, in module order.

    Raises ValueError when two providers claim the same frame name.
    """
    providers: list[FrameProvider] = []
    for module_info in sorted(pkgutil.iter_modules(frames_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{frames_package.__name__}.{module_info.name}")
        providers.extend(getattr(module, "PROVIDERS", []))
    owners: dict[str, str] = {}
    for provider in providers:
        for name in provider.frames:
            if name in owners:
                raise ValueError(
                    f"detail frame {name!r} is declared by both {owners[name]} and {provider.name}"
                )
            owners[name] = provider.name
    return providers


def _one_line(exc: BaseException) -> str:
    text = f"{exc.__class__.__name__}: {exc}".strip().splitlines()
    return text[0][:300] if text else exc.__class__.__name__


def compute_detail_frames(
    session: Session, as_of: date, providers: Iterable[FrameProvider] | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, float], dict[str, str]]:
    """Run every provider; returns (frames, seconds per provider, errors per provider)."""
    frames: dict[str, pd.DataFrame] = {}
    timings: dict[str, float] = {}
    errors: dict[str, str] = {}
    for provider in discover_providers() if providers is None else providers:
        check_stop()  # providers are the job's chunks: a stop waits for one at most
        started = time.perf_counter()
        try:
            produced = provider.compute(session, as_of)
            missing = set(provider.frames) - set(produced)
            if missing:
                raise ValueError(f"did not produce {sorted(missing)}")
            frames.update({name: produced[name] for name in provider.frames})
        except Exception as exc:  # one broken provider must not blank every dashboard
            session.rollback()
            log.exception("detail provider %s failed", provider.name)
            errors[provider.name] = _one_line(exc)
        timings[provider.name] = round(time.perf_counter() - started, 4)
    return frames, timings, errors


def refresh_detail_frames(
    engine: Engine,
    *,
    at: datetime | None = None,
    providers: Iterable[FrameProvider] | None = None,
    job_run_id: int | None = None,
    write_guard: AbstractContextManager[object] | None = None,
) -> DetailResult:
    """Compute every detail table and store them as a new detail snapshot.

    Frames of providers that failed are copied from the previous detail snapshot.
    ``write_guard`` (e.g. the refresh lease) is held only while the snapshot is written,
    so the slow computation never delays the 30-second refresh.
    """
    at = at or now()
    chosen = discover_providers() if providers is None else list(providers)
    with Session(engine) as session:
        frames, timings, errors = compute_detail_frames(session, at.date(), chosen)
        previous_version = latest_detail_version(session=session)
        if errors and previous_version is not None:
            previous = load_snapshot(session=session, version=previous_version)
            failed = {p.name for p in chosen if p.name in errors}
            for provider in chosen:
                if provider.name in failed and previous is not None:
                    for name in provider.frames:
                        if name in previous.frames:
                            frames[name] = previous.frames[name]
    if not frames:
        return DetailResult(version=None, timings=timings, errors=errors)
    with write_guard or nullcontext(), write_unit(engine) as session:
        version = write_snapshot(
            session=session,
            as_of=at,
            kind=DETAIL_KIND,
            kpis={"_errors": errors, "_timings": timings},  # type: ignore[dict-item]
            frames=frames,
            job_run_id=job_run_id,
        )
        prune_snapshots(session=session)
    return DetailResult(
        version=version,
        frames=len(frames),
        rows=sum(len(frame) for frame in frames.values()),
        timings=timings,
        errors=errors,
    )


def detail_is_due(*, session: Session, max_age_s: float, at: datetime | None = None) -> bool:
    """True when there is no detail snapshot or the newest is older than ``max_age_s``."""
    from sqlalchemy import select

    from core.schema import MetricSnapshot

    version = latest_detail_version(session=session)
    if version is None:
        return True
    created = session.scalar(
        select(MetricSnapshot.created_at).where(MetricSnapshot.version == version)
    )
    return created is None or ((at or now()) - created).total_seconds() >= max_age_s
