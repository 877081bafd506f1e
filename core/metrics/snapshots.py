"""Versioned metric snapshots: written by the refresh, read by every page.

A snapshot is a set of KPI values plus named tables (pandas DataFrames stored as
Arrow IPC streams). Snapshots are immutable; a refresh writes a new version and old versions are
pruned, so readers can cache by version forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import pyarrow as pa
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from core.clock import now
from core.metrics.snapshot_types import Snapshot
from core.schema import MetricSnapshot, SnapshotFrame

# Enough history for the Platform Operations page; older versions are deleted.
SNAPSHOTS_KEPT = 20
# Detail snapshots (core/metrics/detail.py) are large and slow-moving: keep a few.
DETAIL_KIND = "detail"
DETAIL_SNAPSHOTS_KEPT = 3
# Frames named with this prefix are a provider's private state (core/metrics/detail.py).
PRIVATE_PREFIX = "_"
# PostgreSQL advisory lock that serializes the allocation of snapshot versions.
SNAPSHOT_LOCK_KEY = 7_301_001


def frame_to_bytes(frame: pd.DataFrame) -> bytes:
    """Arrow IPC stream bytes: typed like Parquet, but several times cheaper to write."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def frame_from_bytes(data: bytes) -> pd.DataFrame:
    with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
        return reader.read_all().to_pandas()


def write_snapshot(
    *,
    session: Session,
    as_of: datetime,
    kind: str,
    kpis: dict[str, dict[str, float | None]],
    frames: dict[str, pd.DataFrame],
    job_run_id: int | None = None,
    encoded_frames: dict[str, bytes] | None = None,
) -> int:
    """Store a new snapshot and return its version (the caller commits).

    ``encoded_frames`` are stored as given: tables copied from a previous snapshot
    (``frame_to_bytes`` output) need no decoding and encoding again.
    """
    connection = session.connection()  # Core statements: this runs every 30 s
    if connection.dialect.name == "postgresql":
        # The refresh and the detail job both write snapshots; without this two of them
        # could read the same newest version and collide on the next. The lock is held to
        # the end of the transaction, which follows right after these inserts. (SQLite
        # serializes writers itself.)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SNAPSHOT_LOCK_KEY})
    newest = connection.scalar(select(func.max(MetricSnapshot.version))) or 0
    version = newest + 1
    connection.execute(
        insert(MetricSnapshot),
        {
            "version": version,
            "created_at": now(),
            "as_of": as_of,
            "kind": kind,
            "job_run_id": job_run_id,
            "kpis": kpis,
        },
    )
    rows = [
        {"version": version, "name": name, "data": frame_to_bytes(frame)}
        for name, frame in frames.items()
    ]
    rows += [
        {"version": version, "name": name, "data": data}
        for name, data in (encoded_frames or {}).items()
        if name not in frames
    ]
    if rows:
        connection.execute(insert(SnapshotFrame), rows)
    return version


def prune_snapshots(
    *, session: Session, keep: int = SNAPSHOTS_KEPT, keep_detail: int = DETAIL_SNAPSHOTS_KEPT
) -> int:
    """Delete all but the newest ``keep`` metric and ``keep_detail`` detail snapshots.

    Returns how many snapshots were deleted (the caller commits).
    """
    connection = session.connection()
    deleted = 0
    for condition, kept in (
        (MetricSnapshot.kind != DETAIL_KIND, keep),
        (MetricSnapshot.kind == DETAIL_KIND, keep_detail),
    ):
        old = list(
            connection.scalars(
                select(MetricSnapshot.version)
                .where(condition)
                .order_by(MetricSnapshot.version.desc())
                .offset(kept)
            )
        )
        if not old:
            continue
        connection.execute(delete(SnapshotFrame).where(SnapshotFrame.version.in_(old)))
        result = connection.execute(delete(MetricSnapshot).where(MetricSnapshot.version.in_(old)))
        deleted += int(result.rowcount or 0)
    return deleted


def latest_version(*, session: Session) -> int | None:
    """The newest metrics snapshot (incremental or full rebuild), never a detail one."""
    return session.scalar(
        select(func.max(MetricSnapshot.version)).where(MetricSnapshot.kind != DETAIL_KIND)
    )


def latest_detail_version(*, session: Session) -> int | None:
    """The newest detail snapshot (the slower dashboard tables), if any."""
    return session.scalar(
        select(func.max(MetricSnapshot.version)).where(MetricSnapshot.kind == DETAIL_KIND)
    )


def load_snapshot(
    *,
    session: Session,
    version: int,
    frames: bool = True,
    names: Sequence[str] | None = None,
    private: bool = True,
) -> Snapshot | None:
    """The snapshot ``version``; with ``frames=False`` only its header and KPIs (no frame
    is read: the API's KPI route needs a few hundred bytes, not megabytes); with ``names``
    only those frames; with ``private=False`` none of the providers' private frames
    (named ``_...``: state an incremental provider keeps for its next run, not for pages)."""
    header = session.get(MetricSnapshot, version)
    if header is None:
        return None
    query = select(SnapshotFrame.name, SnapshotFrame.data).where(SnapshotFrame.version == version)
    if names is not None:
        query = query.where(SnapshotFrame.name.in_(list(names)))
    if not private:
        query = query.where(~SnapshotFrame.name.startswith(PRIVATE_PREFIX, autoescape=True))
    rows = session.execute(query).all() if frames else []
    return Snapshot(
        version=header.version,
        created_at=header.created_at,
        as_of=header.as_of,
        kind=header.kind,
        kpis=header.kpis,
        frames={name: frame_from_bytes(data) for name, data in rows},
    )


def load_latest_snapshot(*, session: Session, frames: bool = True) -> Snapshot | None:
    version = latest_version(session=session)
    if version is None:
        return None
    return load_snapshot(session=session, version=version, frames=frames)
