"""Shared fixtures: fresh databases on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from core.db import create_engine_for
from core.migrate import upgrade_database
from core.schema import Base

POSTGRES_URL_VARIABLE = "BARBERPRO_TEST_POSTGRES_URL"


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
