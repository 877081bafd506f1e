"""What a live page reads on each run: the refresh status and the newest snapshots.

``ui.live`` calls these every refresh interval (a few indexed reads) and loads a
snapshot's tables only once per version; it never recomputes metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.metrics.snapshot_types import RefreshStatus, Snapshot
from core.metrics.snapshots import latest_detail_version, latest_version, load_snapshot
from core.metrics.status import refresh_status

__all__ = ["LiveState", "live_state", "newest_snapshot_version", "read_snapshot"]


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


def read_snapshot(*, session: Session, version: int) -> Snapshot | None:
    """Snapshot ``version`` with its tables (not the providers' private state), or None
    when it has been pruned."""
    return load_snapshot(session=session, version=version, private=False)
