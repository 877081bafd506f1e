"""Snapshot versions stay unique when the refresh and the detail job write at once."""

from __future__ import annotations

import threading
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.metrics.snapshots import write_snapshot
from core.schema import MetricSnapshot

WRITERS = 4
SNAPSHOTS_EACH = 15


def test_concurrent_writers_never_collide_on_a_version(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serializes writers itself; the race is PostgreSQL's")
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(kind: str) -> None:
        start.wait()
        for _ in range(SNAPSHOTS_EACH):
            try:
                with Session(engine) as session, session.begin():
                    write_snapshot(
                        session=session,
                        as_of=datetime(2026, 12, 7, 12),
                        kind=kind,
                        kpis={},
                        frames={"t": pd.DataFrame({"x": [1]})},
                    )
            except BaseException as exc:
                errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=("detail" if i % 2 else "incremental",))
        for i in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(MetricSnapshot)) == (
            WRITERS * SNAPSHOTS_EACH
        )
