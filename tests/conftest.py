"""Shared fixtures: fresh databases on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from core import clock
from core.db import create_engine_for
from core.migrate import upgrade_database
from core.schema import Base

POSTGRES_URL_VARIABLE = "BARBERPRO_TEST_POSTGRES_URL"
# Run the suite as if the console's clock read this local Argentine time when the run
# started (ISO, e.g. 2026-12-07T00:05); see tests/pinned_times.py.
PINNED_CLOCK_VARIABLE = "BARBERPRO_TEST_CLOCK"


def pytest_configure(config: pytest.Config) -> None:
    """Pin the console's clock for this process and every process the tests start."""
    raw = os.environ.get(PINNED_CLOCK_VARIABLE, "").strip()
    if not raw:
        return
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise pytest.UsageError(
            f"{PINNED_CLOCK_VARIABLE} must be a local time like 2026-12-07T00:05, got {raw!r}"
        ) from None
    shift = clock.offset_to(moment)
    clock.set_offset(shift)
    # Children (the app, the scheduler, the generator) read the offset, not the moment,
    # so a process started a minute later agrees on the time.
    os.environ[clock.OFFSET_VARIABLE] = f"{shift.total_seconds():.6f}"


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


def _reset_postgres(url: str) -> None:
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A migrated, empty database on each backend (PostgreSQL skips when not configured)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = postgres_url()
        if url is None:
            pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} (set by .ci/run)")
        _reset_postgres(url)
    upgrade_database(url)
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade_database(url)
    engine = create_engine_for(url)
    yield engine
    engine.dispose()


def truncate_all(engine: Engine) -> None:
    """Empty every table, children first."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session")
def full_console_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A generated console with every job run once (see tests/full_console.py)."""
    from tests.full_console import full_console

    return full_console(tmp_path_factory.mktemp("full_console") / "console.db")
