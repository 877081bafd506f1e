"""Detail tables for the dashboards: heavier aggregates refreshed every few minutes.

The 30-second refresh keeps the headline numbers live (``core/metrics/refresh.py``).
What the twelve dashboards need beyond them (cohorts, mixes, heatmaps, invoices,
tickets, partners, regions...) is computed by *frame providers*, one module per subject
under ``core/metrics/frames/``, and stored together as a ``detail`` snapshot. Pages read
both snapshots, each cached per version, and never query raw tables while rendering.

A provider that fails does not take the others down: its previous tables are carried
over (and the failure recorded), so a page keeps showing the last good numbers.

Incremental providers (``update`` set) follow the rollups' watermark of changed rows
(``core/metrics/detail_changes.py``): each run hands them their previous tables and the
tenant-days touched since their previous run, and they recompute only the groups those
cells belong to, so the job can run at the refresh interval and cost what changed, not
the history. The marks a provider's tables are up to date with are stored in the detail
snapshot beside them (``kpis["_providers"]``), so a restart resumes where it stopped. A
provider without ``update`` is recomputed whole at its cadence (``cadence_s``, default
``BARBERPRO_DETAIL_REFRESH_S``) and its stored tables are copied, still encoded, into
the runs in between.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.clock import now
from core.db import write_unit
from core.jobs.control import check_stop
from core.metrics import frames as frames_package
from core.metrics.detail_changes import (
    Marks,
    Touched,
    current_marks,
    marks_from_json,
    marks_to_json,
    read_touched,
)
from core.metrics.snapshots import (
    DETAIL_KIND,
    frame_from_bytes,
    latest_detail_version,
    prune_snapshots,
    write_snapshot,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameProvider:
    """Computes one or more named detail tables as of a local day.

    ``compute(session, as_of)`` reads the database (raw platform tables, rollups or model
    outputs) and returns ``{frame name: DataFrame}`` for exactly the names in ``frames``.

    ``update(session, as_of, previous, touched)``, when set, makes the provider
    incremental: given its tables of the previous run (same as-of day) and the
    tenant-days touched since (``Touched``), it returns the same tables as ``compute``
    would, recomputing only the groups of the touched cells. ``cadence_s`` is how often a
    provider without ``update`` is recomputed (None: ``BARBERPRO_DETAIL_REFRESH_S``).

    ``save(session, produced)``, when set, writes state the provider keeps in its own
    tables (too big to copy into every snapshot, e.g. finance's ledger cells) from the
    frames named in ``saved_frames`` (produced beside ``frames``, never stored in the
    snapshot). It runs in the snapshot's transaction, so that state, the stored tables
    and the marks they are up to date with cannot drift apart.
    """

    name: str
    frames: tuple[str, ...]
    compute: Callable[[Session, date], dict[str, pd.DataFrame]]
    description: str
    update: (
        Callable[[Session, date, dict[str, pd.DataFrame], Touched], dict[str, pd.DataFrame]] | None
    ) = None
    cadence_s: float | None = None
    save: Callable[[Session, dict[str, pd.DataFrame]], None] | None = None
    saved_frames: tuple[str, ...] = ()
    # False: ``update`` also moves the tables to a new as-of day (finance's ledger turns
    # the day itself), so a new day does not throw its stored state away.
    full_on_new_day: bool = True
    # For a provider without ``update`` that shows what a job writes (model outputs): when
    # those rows were last written (None: none yet). Written after its tables were
    # computed, the tables are recomputed at once instead of at the next cadence, so a
    # new health score or churn score reaches its page within one detail run.
    inputs_written_at: Callable[[Session], datetime | None] | None = None

    @property
    def incremental(self) -> bool:
        return self.update is not None


# How a provider's tables were obtained in a run (stored per provider with the snapshot).
FULL, INCREMENTAL, KEPT, FAILED = "full", "incremental", "kept", "failed"


@dataclass(frozen=True)
class ProviderState:
    """What a detail snapshot records about one provider's tables."""

    computed_at: datetime | None  # when they were last computed (whole or incrementally)
    as_of: date | None  # the day they describe
    marks: Marks | None  # the rollups' watermarks they are up to date with
    mode: str = FULL

    def to_json(self) -> dict[str, object]:
        return {
            "computed_at": None if self.computed_at is None else self.computed_at.isoformat(),
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "marks": None if self.marks is None else marks_to_json(self.marks),
            "mode": self.mode,
        }

    @classmethod
    def from_json(cls, raw: object) -> ProviderState | None:
        if not isinstance(raw, dict):
            return None
        try:
            computed = raw.get("computed_at")
            day = raw.get("as_of")
            return cls(
                computed_at=None if computed is None else datetime.fromisoformat(str(computed)),
                as_of=None if day is None else date.fromisoformat(str(day)),
                marks=marks_from_json(raw.get("marks")),
                mode=str(raw.get("mode", FULL)),
            )
        except ValueError:
            return None


@dataclass
class DetailResult:
    version: int | None
    frames: int = 0
    rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per provider
    errors: dict[str, str] = field(default_factory=dict)  # provider -> one-line error
    modes: dict[str, str] = field(default_factory=dict)  # provider -> full/incremental/kept


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


def _previous_states(session: Session, version: int | None) -> dict[str, ProviderState]:
    if version is None:
        return {}
    from core.schema import MetricSnapshot

    kpis = session.get(MetricSnapshot, version)
    raw = (kpis.kpis or {}).get("_providers") if kpis is not None else None
    if not isinstance(raw, dict):
        return {}
    states = {name: ProviderState.from_json(value) for name, value in raw.items()}
    return {name: state for name, state in states.items() if state is not None}


def _stored_frames(session: Session, version: int | None, names: Iterable[str]) -> dict[str, bytes]:
    """The encoded frames ``names`` of detail snapshot ``version`` (those it has)."""
    if version is None:
        return {}
    from sqlalchemy import select

    from core.schema import SnapshotFrame

    rows = session.execute(
        select(SnapshotFrame.name, SnapshotFrame.data).where(
            SnapshotFrame.version == version, SnapshotFrame.name.in_(list(names))
        )
    ).all()
    return {name: bytes(data) for name, data in rows}


def _plan(
    provider: FrameProvider,
    before: ProviderState | None,
    *,
    at: datetime,
    marks: Marks,
    full: bool,
    slow_cadence_s: float | None,
) -> str:
    """How this run gets the provider's tables: FULL, INCREMENTAL or KEPT."""
    if full or before is None:
        return FULL
    new_day = before.as_of != at.date()
    if new_day and (provider.full_on_new_day or not provider.incremental):
        return FULL  # a new day moves every window: recompute once
    if new_day and before.as_of is not None and before.as_of > at.date():
        return FULL  # the clock went back
    if provider.incremental:
        then = before.marks
        if then is None:
            return FULL
        for source, mark in marks.items():
            # No mark then: the source was empty, its rows are all read. A mark that went
            # back (or away) means a restored or rebuilt database: trust nothing kept.
            if then[source] is not None and (mark is None or then[source] > mark):  # type: ignore[operator]
                return FULL
        return INCREMENTAL
    cadence = provider.cadence_s if provider.cadence_s is not None else slow_cadence_s
    if cadence is None or before.computed_at is None:
        return FULL
    return KEPT if (at - before.computed_at).total_seconds() < cadence else FULL


def _inputs_newer(provider: FrameProvider, before: ProviderState | None, session: Session) -> bool:
    """True when the rows a kept provider shows were written after its tables."""
    if provider.inputs_written_at is None or before is None or before.computed_at is None:
        return False
    try:
        written = provider.inputs_written_at(session)
    except SQLAlchemyError:  # e.g. its table not migrated yet: let compute decide
        session.rollback()
        return True
    return written is not None and written > before.computed_at


def refresh_detail_frames(
    engine: Engine,
    *,
    at: datetime | None = None,
    providers: Iterable[FrameProvider] | None = None,
    job_run_id: int | None = None,
    write_guard: AbstractContextManager[object] | None = None,
    full: bool = False,
    slow_cadence_s: float | None = None,
) -> DetailResult:
    """Bring every detail table up to date and store them as a new detail snapshot.

    Parameters
    ----------
    engine
        The console database.
    at
        The moment the tables describe (default: now).
    providers
        The providers to run (default: every discovered one).
    job_run_id
        The scheduler's run record, stored on the snapshot.
    write_guard
        Held only while the snapshot is written (e.g. the refresh lease), so the slow
        computation never delays the 30-second refresh.
    full
        Recompute every provider whole, ignoring what the previous snapshot holds.
    slow_cadence_s
        How often a provider without ``update`` (and without its own ``cadence_s``) is
        recomputed; in the runs between, its previous tables are kept. None: every run.

    Incremental providers update their previous tables from the tenant-days touched since
    their previous run. Frames of providers that failed are copied from the previous
    detail snapshot, with that snapshot's marks, so their next run catches up.
    """
    at = at or now()
    as_of = at.date()
    chosen = discover_providers() if providers is None else list(providers)
    frames: dict[str, pd.DataFrame] = {}
    encoded: dict[str, bytes] = {}  # frames copied from the previous snapshot as they are
    states: dict[str, ProviderState] = {}
    timings: dict[str, float] = {}
    errors: dict[str, str] = {}
    touched_since: dict[tuple[object, ...], Touched] = {}
    saves: list[
        tuple[Callable[[Session, dict[str, pd.DataFrame]], None], dict[str, pd.DataFrame]]
    ] = []
    with Session(engine) as session:
        # Read first: every table computed below is at least as new as these marks.
        marks = current_marks(session=session)
        previous_version = latest_detail_version(session=session)
        previous_states = _previous_states(session, previous_version)
        for provider in chosen:
            check_stop()  # providers are the job's chunks: a stop waits for one at most
            started = time.perf_counter()
            before = previous_states.get(provider.name)
            mode = _plan(
                provider, before, at=at, marks=marks, full=full, slow_cadence_s=slow_cadence_s
            )
            stored = (
                _stored_frames(session, previous_version, provider.frames)
                if mode in (INCREMENTAL, KEPT)
                else {}
            )
            if mode != FULL and set(stored) != set(provider.frames):
                mode = FULL  # the previous snapshot lacks some of its tables
            if mode == KEPT and _inputs_newer(provider, before, session):
                mode = FULL
            try:
                if mode == KEPT:
                    assert before is not None
                    encoded.update(stored)
                    states[provider.name] = replace(before, mode=KEPT)
                else:
                    if mode == INCREMENTAL:
                        assert before is not None and before.marks is not None
                        key = tuple(sorted(before.marks.items()))
                        if key not in touched_since:
                            touched_since[key] = read_touched(session=session, since=before.marks)
                        previous = {name: frame_from_bytes(data) for name, data in stored.items()}
                        assert provider.update is not None
                        produced = provider.update(session, as_of, previous, touched_since[key])
                    else:
                        produced = provider.compute(session, as_of)
                    missing = set(provider.frames) - set(produced)
                    missing |= set(provider.saved_frames) - set(produced)
                    if missing:
                        raise ValueError(f"did not produce {sorted(missing)}")
                    frames.update({name: produced[name] for name in provider.frames})
                    if provider.save is not None:
                        kept = {name: produced[name] for name in provider.saved_frames}
                        saves.append((provider.save, kept))
                    states[provider.name] = ProviderState(at, as_of, marks, mode)
            except Exception as exc:  # one broken provider must not blank every dashboard
                session.rollback()
                log.exception("detail provider %s failed", provider.name)
                errors[provider.name] = _one_line(exc)
                for name in provider.frames:
                    frames.pop(name, None)
                encoded.update(_stored_frames(session, previous_version, provider.frames))
                if before is not None:
                    states[provider.name] = replace(before, mode=FAILED)
            timings[provider.name] = round(time.perf_counter() - started, 4)
    modes = {name: state.mode for name, state in states.items()}
    if not frames and (not encoded or (not errors and set(modes.values()) == {KEPT})):
        # Nothing computed: no new snapshot (the kept one says how old its tables are).
        return DetailResult(version=None, timings=timings, errors=errors, modes=modes)
    # A detail snapshot's "kpis" hold its run's bookkeeping, not KPI values.
    bookkeeping: dict[str, Any] = {
        "_errors": errors,
        "_timings": timings,
        "_providers": {name: state.to_json() for name, state in states.items()},
    }
    with write_guard or nullcontext(), write_unit(engine) as session:
        for save, saved in saves:  # the providers' own tables, with the snapshot
            save(session, saved)
        version = write_snapshot(
            session=session,
            as_of=at,
            kind=DETAIL_KIND,
            kpis=bookkeeping,
            frames=frames,
            encoded_frames=encoded,
            job_run_id=job_run_id,
        )
        prune_snapshots(session=session)
    rows = sum(len(frame) for frame in frames.values())
    return DetailResult(
        version=version,
        frames=len(frames) + len(encoded),
        rows=rows,
        timings=timings,
        errors=errors,
        modes=modes,
    )
