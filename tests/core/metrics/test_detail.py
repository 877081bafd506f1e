"""Detail snapshots: providers are discovered, stored as one snapshot, and a failing
provider's tables are carried over from the previous detail snapshot."""

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.metrics import detail
from core.metrics.detail import FrameProvider, refresh_detail_frames
from core.metrics.snapshots import latest_detail_version, latest_version, load_snapshot

AT = datetime(2026, 4, 10, 12, 0)


def _provider(name, frame, value):
    def compute(session, as_of):
        if value is None:
            raise RuntimeError("source table is broken")
        return {frame: pd.DataFrame({"as_of": [as_of], "value": [value]})}

    return FrameProvider(name, (frame,), compute, "test provider")


def test_detail_snapshot_is_separate_from_metrics_snapshots(sqlite_engine):
    result = refresh_detail_frames(sqlite_engine, at=AT, providers=[_provider("a", "fa", 1)])
    with Session(sqlite_engine) as session:
        assert latest_detail_version(session=session) == result.version
        assert latest_version(session=session) is None  # pages still wait for metrics
        snapshot = load_snapshot(session=session, version=result.version)
    assert snapshot.kind == "detail"
    assert snapshot.frames["fa"]["value"].tolist() == [1]


def test_failing_provider_keeps_its_previous_tables(sqlite_engine):
    refresh_detail_frames(
        sqlite_engine, at=AT, providers=[_provider("a", "fa", 1), _provider("b", "fb", 2)]
    )
    result = refresh_detail_frames(
        sqlite_engine, at=AT, providers=[_provider("a", "fa", 10), _provider("b", "fb", None)]
    )
    assert set(result.errors) == {"b"}
    assert "source table is broken" in result.errors["b"]
    with Session(sqlite_engine) as session:
        snapshot = load_snapshot(session=session, version=result.version)
    assert snapshot.frames["fa"]["value"].tolist() == [10]
    assert snapshot.frames["fb"]["value"].tolist() == [2]  # carried over


def test_two_providers_cannot_claim_one_frame(monkeypatch):
    import types

    fake = types.ModuleType("fake")
    fake.PROVIDERS = [_provider("a", "same", 1), _provider("b", "same", 2)]
    monkeypatch.setattr(detail.importlib, "import_module", lambda name: fake)
    monkeypatch.setattr(
        detail.pkgutil, "iter_modules", lambda path: [types.SimpleNamespace(name="fake")]
    )
    with pytest.raises(ValueError, match="declared by both"):
        detail.discover_providers()


def test_only_a_few_detail_snapshots_are_kept(sqlite_engine):
    for value in range(5):
        refresh_detail_frames(sqlite_engine, at=AT, providers=[_provider("a", "fa", value)])
    with Session(sqlite_engine) as session:
        from sqlalchemy import func, select

        from core.schema import MetricSnapshot

        kept = session.scalar(select(func.count()).select_from(MetricSnapshot))
    assert kept == 3


def test_every_provider_runs_on_an_empty_database(engine):
    """A fresh production database has no platform rows yet: no provider may fail on it."""
    from datetime import date

    from sqlalchemy.orm import Session

    from core.metrics.detail import discover_providers
    from core.metrics.refresh import refresh_metrics

    refresh_metrics(engine)  # what the scheduler runs first, on an empty database too
    failures = {}
    with Session(engine) as session:
        for provider in discover_providers():
            try:
                provider.compute(session, date(2026, 12, 7))
            except Exception as exc:  # collect them all, then fail once with the list
                failures[provider.name] = f"{type(exc).__name__}: {exc}"
    assert failures == {}
