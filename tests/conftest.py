"""Shared fixtures: fresh databases on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from core import clock
from core.config import FAST_HASH_VARIABLE
from core.db import create_engine_for
from core.schema import Base
from tests import db_templates

POSTGRES_URL_VARIABLE = "BARBERPRO_TEST_POSTGRES_URL"
# Run the suite as if the console's clock read this local Argentine time when the run
# started (ISO, e.g. 2026-12-07T00:05); see tests/pinned_times.py.
PINNED_CLOCK_VARIABLE = "BARBERPRO_TEST_CLOCK"
# A folder shared by the runs of one `make test` (the unit run and the browser run).
CACHE_VARIABLE = "BARBERPRO_TEST_CACHE"


def pytest_configure(config: pytest.Config) -> None:
    _use_worker_postgres_database()
    _pin_clock()
    # argon2id with a small memory cost: the suite hashes many passwords, and the servers
    # it starts inherit the setting (production refuses it: core.config).
    os.environ.setdefault(FAST_HASH_VARIABLE, "fast")


def _use_worker_postgres_database() -> None:
    """Under pytest-xdist, give each worker its own PostgreSQL database.

    Named after the configured one plus the worker id (barberpro_test_gw0, ...) and created
    when missing; the variable is rewritten so that the processes tests start use it too.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = postgres_url()
    if not worker or base is None:
        return
    url = make_url(base)
    if not url.database:
        raise pytest.UsageError(f"{POSTGRES_URL_VARIABLE} must name a database, got {base!r}")
    name = f"{url.database}_{worker}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ[POSTGRES_URL_VARIABLE] = url.set(database=name).render_as_string(hide_password=False)


def _pin_clock() -> None:
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
    """An empty public schema (tests that fill the database themselves start here)."""
    db_templates.reset_postgres(url)


def _backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} (set by .ci/run)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend (PostgreSQL skips when not configured).

    A copy of a database migrated once per process (tests/db_templates.py), not a migration.
    """
    url = _backend_url(request, tmp_path)
    if request.param == "sqlite":
        yield db_templates.migrated_sqlite(url)
    else:
        yield db_templates.migrated_postgres(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_from_scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend that every migration has just run on."""
    yield db_templates.migrated_from_scratch(_backend_url(request, tmp_path))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'test.db'}")
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
    """A generated console with every job run once (see tests/full_console.py).

    Built once per ``make test``: the unit run (tests/pages/test_every_page.py) leaves a
    pristine copy in $BARBERPRO_TEST_CACHE for the browser run (tests/e2e/test_walk_pages.py).
    """
    from tests.full_console import full_console

    path = tmp_path_factory.mktemp("full_console") / "console.db"
    cache = os.environ.get(CACHE_VARIABLE)
    if not cache:
        return full_console(path)
    # Keyed by the console's day: it is generated "as of today".
    cached = Path(cache) / f"full_console-{clock.now().date().isoformat()}.db"
    if cached.exists():
        db_templates.copy_sqlite(cached, path)
        return f"sqlite:///{path}"
    url = full_console(path)
    partial = cached.with_suffix(f".{os.getpid()}.part")
    db_templates.copy_sqlite(path, partial)
    partial.replace(cached)
    return url


# A test that needs one of these builds (minutes of data generation and jobs) runs on the
# xdist worker that already holds it: pytest -n auto --dist loadgroup (the Makefile's
# `test`). Fixtures first, then what a test module imports, most specific first.
SHARED_BUILD_FIXTURES = {
    "full_console_url": "full_console",
    "generated_console_url": "generated_console",
    "small_set": "small_set",
    "console_db": "pages_console",
}
SHARED_BUILD_IMPORTS = {
    "finance_console": "finance_console",  # tests/dashboards/test_financial_operations.py
    "generated_url": "revenue_console",  # tests/dashboards/test_revenue_subscriptions.py
    "generated_frames": "revenue_console",
    "generated_console": "generated_console",  # tests/generated_console.py, one path
}
# The builds that take a minute or more: `-m "not slow"` leaves them out of a quick loop.
SLOW_BUILDS = {"full_console", "generated_console", "finance_console", "revenue_console"}


def shared_build(item: pytest.Item) -> str | None:
    """The group of the heavy session build ``item`` uses, if any."""
    fixtures = getattr(item, "fixturenames", ())
    for fixture, group in SHARED_BUILD_FIXTURES.items():
        if fixture in fixtures:
            return group
    module = getattr(item, "module", None)
    names = vars(module) if module is not None else {}
    for name, group in SHARED_BUILD_IMPORTS.items():
        if name in names:
            return group
    # A module-scoped fixture is built again on every worker that runs one of its tests.
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(defs[-1].scope in ("module", "package") for defs in definitions):
        return item.nodeid.split("::")[0]
    return None


def pytest_itemcollected(item: pytest.Item) -> None:
    # Here, not in pytest_collection_modifyitems: xdist reads the group in that hook, first.
    group = shared_build(item)
    if group is None:
        return
    item.add_marker(pytest.mark.xdist_group(group))
    if group in SLOW_BUILDS:
        item.add_marker(pytest.mark.slow)
