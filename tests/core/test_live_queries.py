"""core.queries.live: what ui.live reads on each run of a live page."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from core.metrics.snapshots import DETAIL_KIND, write_snapshot
from core.metrics.status import STALE_NO_SNAPSHOT
from core.queries.live import live_state, newest_snapshot_version, read_snapshot

AS_OF = datetime(2026, 6, 30, 15, 0)


def _write(session: Session, kind: str, frames: dict[str, pd.DataFrame]) -> int:
    version = write_snapshot(
        session=session, as_of=AS_OF, kind=kind, kpis={"bookings": {"value": 7.0}}, frames=frames
    )
    session.commit()
    return version


def test_an_empty_database_has_no_snapshot_and_says_why(engine):
    with Session(engine) as session:
        state = live_state(session=session, interval_s=30, with_detail=True)
        assert newest_snapshot_version(session=session) is None
        assert newest_snapshot_version(session=session, detail=True) is None
        assert read_snapshot(session=session, version=1) is None
    assert state.status.snapshot_version is None and state.detail_version is None
    assert state.status.stale and state.status.stale_template == STALE_NO_SNAPSHOT


def test_the_newest_metrics_and_detail_versions_and_their_tables(engine):
    with Session(engine) as session:
        first = _write(session, "metrics", {"daily": pd.DataFrame({"bookings": [1, 2]})})
        detail = _write(session, DETAIL_KIND, {"heavy": pd.DataFrame({"n": [5]})})
        newest = _write(session, "metrics", {"daily": pd.DataFrame({"bookings": [3]})})
    assert first < detail < newest
    with Session(engine) as session:
        state = live_state(session=session, interval_s=30, with_detail=True)
        without = live_state(session=session, interval_s=30, with_detail=False)
        assert newest_snapshot_version(session=session) == newest
        assert newest_snapshot_version(session=session, detail=True) == detail
        loaded = read_snapshot(session=session, version=detail)
    # The status names the newest metrics snapshot, never a detail one.
    assert state.status.snapshot_version == newest and not state.status.stale
    assert state.detail_version == detail
    assert without.status == state.status and without.detail_version is None
    assert loaded is not None and loaded.kind == DETAIL_KIND
    assert loaded.frames["heavy"]["n"].tolist() == [5]
    assert loaded.kpis["bookings"]["value"] == 7.0


def test_a_table_with_the_same_bytes_as_last_time_is_not_decoded_again(engine):
    """Detail snapshots every 30 s copy most tables unchanged: a page reuses them."""
    from core.queries.live import DecodedFrames

    decoded = DecodedFrames()
    kept = pd.DataFrame({"tenant_id": [1, 2], "gmv": [10.5, 20.0]})
    with Session(engine) as session:
        first = _write(session, DETAIL_KIND, {"kept": kept, "moving": pd.DataFrame({"n": [1]})})
        second = _write(session, DETAIL_KIND, {"kept": kept, "moving": pd.DataFrame({"n": [2]})})
        old = read_snapshot(session=session, version=first, decoded=decoded)
        new = read_snapshot(session=session, version=second, decoded=decoded)
    assert old is not None and new is not None
    assert new.frames["kept"] is old.frames["kept"]  # reused, not decoded again
    pd.testing.assert_frame_equal(new.frames["kept"], kept)
    assert new.frames["moving"]["n"].tolist() == [2] and old.frames["moving"]["n"].tolist() == [1]
    assert decoded.decoded == 3  # kept once, moving twice
