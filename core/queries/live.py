"""What a live page reads on each run: the refresh status and the newest snapshots.

``ui.live`` calls these every refresh interval (a few indexed reads) and loads a
snapshot's tables only once per version; it never recomputes metrics.

A detail snapshot is written every refresh interval, and most of its tables are byte
for byte those of the version before (a provider's kept tables are copied still
encoded; an incremental one often changes nothing). Decoding is what loading a version
costs, so a table whose bytes equal the ones decoded last time is reused, not decoded
again (``DecodedFrames``).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.metrics.snapshot_types import RefreshStatus, Snapshot
from core.metrics.snapshots import (
    PRIVATE_PREFIX,
    frame_from_bytes,
    latest_detail_version,
    latest_version,
)
from core.metrics.status import refresh_status
from core.schema import MetricSnapshot, SnapshotFrame

__all__ = [
    "DecodedFrames",
    "LiveState",
    "live_state",
    "newest_snapshot_version",
    "read_snapshot",
]


@dataclass(frozen=True)
class LiveState:
    """The refresh status (which names the newest metrics snapshot) and, when asked for,
    the version of the newest detail snapshot (None when there is none yet)."""

    status: RefreshStatus
    detail_version: int | None


def live_state(*, session: Session, interval_s: float, with_detail: bool) -> LiveState:
    """The status line's facts; the newest detail version only when ``with_detail``."""
    status = refresh_status(session=session, interval_s=interval_s)
    detail_version = latest_detail_version(session=session) if with_detail else None
    return LiveState(status=status, detail_version=detail_version)


def newest_snapshot_version(*, session: Session, detail: bool = False) -> int | None:
    """The newest metrics (or, with ``detail``, detail) snapshot version; None if none."""
    return (latest_detail_version if detail else latest_version)(session=session)


class DecodedFrames:
    """The last decoded table of each (snapshot kind, table name), by content.

    Pages share decoded tables read-only (``ui.live`` caches them as resources), so
    handing the same DataFrame to a newer version with the same bytes is safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[tuple[str, str], tuple[bytes, pd.DataFrame]] = {}
        self.decoded = 0  # how many tables were decoded (the rest were reused)

    def frame(self, kind: str, name: str, data: bytes) -> pd.DataFrame:
        """The table encoded as ``data``: the last one decoded when its bytes are equal."""
        digest = hashlib.blake2b(data, digest_size=16).digest()
        key = (kind, name)
        with self._lock:
            last = self._last.get(key)
        if last is not None and last[0] == digest:
            return last[1]
        frame = frame_from_bytes(data)
        with self._lock:
            self._last[key] = (digest, frame)
            self.decoded += 1
        return frame


DECODED = DecodedFrames()


def read_snapshot(
    *, session: Session, version: int, decoded: DecodedFrames | None = None
) -> Snapshot | None:
    """Snapshot ``version`` with its tables (not the providers' private state), or None
    when it has been pruned.

    Parameters
    ----------
    session
        A read session.
    version
        The snapshot's version.
    decoded
        Where tables decoded before are reused from (default: this process's).
    """
    header = session.get(MetricSnapshot, version)
    if header is None:
        return None
    decoded = DECODED if decoded is None else decoded
    rows = session.execute(
        select(SnapshotFrame.name, SnapshotFrame.data).where(
            SnapshotFrame.version == version,
            ~SnapshotFrame.name.startswith(PRIVATE_PREFIX, autoescape=True),
        )
    ).all()
    return Snapshot(
        version=header.version,
        created_at=header.created_at,
        as_of=header.as_of,
        kind=header.kind,
        kpis=header.kpis,
        frames={name: decoded.frame(header.kind, name, bytes(data)) for name, data in rows},
    )
