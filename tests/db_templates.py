"""Migrated databases for tests without running Alembic for each one.

A full upgrade takes about a second on SQLite and several on a loaded PostgreSQL, and
hundreds of tests want a fresh, empty, migrated database. So each test process migrates
once and then hands out copies:

- SQLite: one template file migrated per process, copied (SQLite's backup API, which
  also reads what is still in the WAL) to each test's own file.
- PostgreSQL: the test database is migrated once, then emptied between tests (rows
  deleted, sequences restarted, the bundled CPI series seeded again, as the migration
  leaves it). Deleting rows beats ``CREATE DATABASE ... TEMPLATE`` here: measured on this
  machine, 0.3-0.5 s against 0.4-11 s (the copy waits for checkpoints) and 2 s for
  TRUNCATE of the 45 tables. A test that drops or reshapes the schema (the generator's
  own tests, the scheduler-stop tests) is noticed by a fingerprint of the schema, and the
  next test gets a real migration again.

tests/core/test_migrations.py keeps running the real migrations on an empty database
(``migrated_from_scratch``).
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

from sqlalchemy import Engine, make_url, text

from core.db import create_engine_for
from core.inflation.table import seed_cpi_if_empty
from core.migrate import upgrade_database
from core.schema import Base

_lock = threading.Lock()
_sqlite_template: Path | None = None
# PostgreSQL URL -> the fingerprint of its schema right after our last migration.
_migrated_schemas: dict[str, str] = {}

# Every table and column of the public schema with its type, hashed: equal while no test
# dropped, added or altered anything since the migration.
_FINGERPRINT = text(
    """
    SELECT md5(coalesce(string_agg(table_name || '.' || column_name || ':' || data_type,
                                   ',' ORDER BY table_name, column_name), ''))
           || ':' || (SELECT coalesce(string_agg(version_num, ',' ORDER BY version_num), '')
                      FROM alembic_version)
    FROM information_schema.columns WHERE table_schema = 'public'
    """
)
_RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = 'public'"
)


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError(f"a migrated copy needs a SQLite file, got {url}")
    return Path(database)


def _template() -> Path:
    """This process's migrated SQLite file, built on first use."""
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            folder = Path(tempfile.mkdtemp(prefix="barberpro_template_"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            path = folder / "template.db"
            upgrade_database(f"sqlite:///{path}")
            _sqlite_template = path
        return _sqlite_template


def migrated_sqlite(url: str) -> str:
    """Give ``url`` (a SQLite file that does not exist yet) the newest, empty schema."""
    target = sqlite_path(url)
    if target.exists():
        raise FileExistsError(f"a migrated copy goes to a new file, {target} exists")
    copy_sqlite(_template(), target)
    return url


def copy_sqlite(source_path: Path, target_path: Path) -> None:
    """Copy a SQLite database, with what is still in its WAL (the backup API)."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def reset_postgres(url: str) -> None:
    """Drop everything in the public schema (the next ``migrated_postgres`` migrates)."""
    _migrated_schemas.pop(url, None)
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def migrated_postgres(url: str) -> str:
    """Leave the database at ``url`` migrated and empty, as a fresh upgrade would."""
    engine = create_engine_for(url)
    try:
        expected = _migrated_schemas.get(url)
        if expected is not None and expected == _fingerprint(engine):
            _empty(engine)
            return url
    finally:
        engine.dispose()
    reset_postgres(url)
    upgrade_database(url)
    engine = create_engine_for(url)
    try:
        fingerprint = _fingerprint(engine)
    finally:
        engine.dispose()
    if fingerprint is None:
        raise RuntimeError(f"the migration of {url} left no alembic_version table")
    _migrated_schemas[url] = fingerprint
    return url


def migrated_from_scratch(url: str) -> str:
    """Run every migration on an empty database (what the migration tests check)."""
    if make_url(url).get_backend_name() == "sqlite":
        if sqlite_path(url).exists():
            raise FileExistsError(f"{url} must not exist yet")
    else:
        reset_postgres(url)
    upgrade_database(url)
    return url


def _fingerprint(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(_FINGERPRINT).scalar_one()
    except Exception:  # no alembic_version: never migrated, or dropped by a test
        return None


# Past this many rows a table is truncated rather than deleted from.
_TRUNCATE_FROM_ROWS = 2_000


def _empty(engine: Engine) -> None:
    with engine.begin() as connection:
        # Nothing to lose in a test database; no need to wait for the WAL flush.
        connection.execute(text("SET LOCAL synchronous_commit = off"))
        # After a test that generated a large tenant base, deleting row by row is
        # quadratic: each deleted customer's foreign-key check scans every dead row of
        # bookings (no index leads with customer_id), and the reset hit the statement
        # timeout. Large tables are truncated instead, with whatever refers to them.
        large = [
            table.name
            for table in Base.metadata.sorted_tables
            if connection.execute(
                text(f'SELECT EXISTS (SELECT 1 FROM "{table.name}" OFFSET {_TRUNCATE_FROM_ROWS})')
            ).scalar_one()
        ]
        if large:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in large) + " CASCADE"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(_RESTART_SEQUENCES)
    seed_cpi_if_empty(engine)
