"""Engine and sessions: the engine is created once per URL per process.

Two ways in, and every database access uses one of them: :func:`write_unit` (a session)
or :func:`write_connection` (a Core connection) for anything that writes, and
:func:`read_session` for reads. On SQLite a write unit takes the database's write lock at
``BEGIN IMMEDIATE``, so two writers queue at their first statement (within the busy
timeout) instead of both reading and then one failing with "database is locked" when it
tries to write; a read begins a plain deferred ``BEGIN``, which in WAL mode never waits
for a writer. PostgreSQL needs none of this: its row locks and ``READ COMMITTED``
re-checks do the job, and both kinds begin the same way there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.config import ConfigError, get_settings, resolve_database_url
from core.jobs import control as job_control

_log = logging.getLogger(__name__)
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


class DatabaseUnavailable(RuntimeError):  # noqa: N818 - reads as the condition it names
    """The database cannot be reached or opened; the message says why in one line."""


# What a page catches to say "cannot read the database" without importing SQLAlchemy.
DATABASE_ERRORS: tuple[type[Exception], ...] = (DatabaseUnavailable, SQLAlchemyError)


# The execution option that makes a SQLite connection begin with ``BEGIN IMMEDIATE``.
WRITE_OPTION = "barberpro_write_unit"


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLAlchemy's documented pysqlite recipe: the driver must not begin transactions
    # itself (it begins late, at the first INSERT/UPDATE, and never for a SELECT), so
    # _sqlite_begin below can say how each transaction begins.
    dbapi_connection.isolation_level = None
    # WAL lets the app, the scheduler and the simulator read while one of them writes;
    # the busy timeout makes a writer wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # The refresh reads small, scattered parts of large tables: keep hot pages in memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def create_engine_for(url: str) -> Engine:
    """Create an engine with the console's connection settings (no caching)."""
    url = resolve_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            folder = Path(database).parent
            if not folder.is_dir():
                raise DatabaseUnavailable(
                    f"the folder for the SQLite database does not exist: {folder}"
                )
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    install_statement_guards(engine)
    return engine


def _sqlite_begin(conn) -> None:
    # A write unit takes the write lock now, while it has done nothing it would lose; a
    # read takes none (WAL: it reads the last committed state, whoever is writing).
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def install_statement_guards(engine: Engine) -> None:
    """Statement timeouts, stop checks and cancellation (see core/jobs/control.py)."""
    event.listen(engine, "checkout", _on_checkout)
    event.listen(engine, "checkin", _on_checkin)
    event.listen(engine, "before_cursor_execute", _before_statement)
    event.listen(engine, "handle_error", _name_timeouts)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _install_sqlite_deadline)


def _on_checkout(dbapi_connection, record, _proxy) -> None:
    job_control.track(dbapi_connection)
    if "sqlite_deadline" not in record.info:
        _set_postgres_timeout(dbapi_connection, record)


def _on_checkin(dbapi_connection, record) -> None:
    if dbapi_connection is not None:
        job_control.untrack(dbapi_connection)
    deadline = record.info.get("sqlite_deadline")
    if deadline is not None:
        deadline.start(None)


def _set_postgres_timeout(dbapi_connection, record) -> None:
    # A session-level setting, changed only when this checkout needs another value than
    # the last one: page queries and each job kind pay the round trip once per connection.
    timeout = job_control.current_timeout_s()
    wanted = str(int(timeout * 1000)) if timeout else "0"
    if record.info.get("statement_timeout_ms") == wanted:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("SELECT set_config('statement_timeout', %s, false)", (wanted,))
    cursor.close()
    dbapi_connection.commit()  # a rolled-back transaction would undo the setting
    record.info["statement_timeout_ms"] = wanted


def _install_sqlite_deadline(dbapi_connection, record) -> None:
    # SQLite has no statement_timeout: a progress handler aborts a statement past its
    # deadline, which a runaway recursive query or a cross join would otherwise not have.
    deadline = job_control.SqliteDeadline()
    record.info["sqlite_deadline"] = deadline
    dbapi_connection.set_progress_handler(deadline, job_control.SQLITE_PROGRESS_STEPS)


def _before_statement(conn, _cursor, _statement, _params, _context, _many) -> None:
    job_control.check_job_may_run()
    deadline = conn.info.get("sqlite_deadline")
    if deadline is not None:
        deadline.start(job_control.current_timeout_s())


def _name_timeouts(context) -> None:
    deadline = context.connection.info.get("sqlite_deadline") if context.connection else None
    original = context.original_exception
    timed_out = (deadline is not None and deadline.timed_out) or (
        getattr(original, "sqlstate", None) == "57014" and "statement timeout" in str(original)
    )
    if timed_out:
        raise job_control.StatementTimeout(job_control.timeout_text()) from original


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured database)."""
    url = resolve_database_url(url) if url else get_settings().database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine_for(url)
            _engines[url] = engine
        return engine


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise DatabaseUnavailable with a one-line reason."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot connect to the database {engine.url.render_as_string()}: {reason}"
        ) from None
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot use the database: {exc.__class__.__name__}") from None


@contextmanager
def write_unit(engine: Engine | None = None) -> Iterator[Session]:
    """One short write transaction: commits on success, rolls back on any error.

    The one way writes open a session (``core.commands.execute`` uses it). The
    transaction begins at once, on SQLite with ``BEGIN IMMEDIATE``: the write lock is
    held from the first statement to the commit, so keep the unit short (compute first,
    then open it). Rows stay readable after the commit (``expire_on_commit=False``).

    Parameters
    ----------
    engine
        The database; default: the configured one.

    Yields
    ------
    Session
        The session of the transaction (do not commit it: the block's end does).
    """
    engine = engine or get_engine()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.connection(execution_options={WRITE_OPTION: True})
        with _timed_lock(engine):  # from the lock taken (BEGIN IMMEDIATE) to the commit
            yield session


@contextmanager
def write_connection(engine: Engine | None = None) -> Iterator[Connection]:
    """:func:`write_unit` for Core statements: one transaction on a connection.

    Commits when the block ends, rolls back on any error; on SQLite it begins with
    ``BEGIN IMMEDIATE`` like a write unit.
    """
    engine = engine or get_engine()
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin(), _timed_lock(engine):
            yield connection


# A write unit holding SQLite's write lock longer than this makes every other writer (a
# page's command, the scheduler's heartbeat) wait: logged with the job, so the warm-up's
# "database is locked" has a name. The busy timeout (30 s) must stay well above it.
LONG_WRITE_WARNING_S = 5.0


@contextmanager
def _timed_lock(engine: Engine) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        held = time.monotonic() - started
        if held > LONG_WRITE_WARNING_S and engine.dialect.name == "sqlite":
            _log.warning(
                "a write unit held the database's write lock for %.1f s (job %s)",
                held,
                job_control.current_job() or "none: a page or a command",
            )


def read_session(engine: Engine | None = None) -> Session:
    """A session for reads (use it in a ``with`` block); the one way reads open one.

    On SQLite its transaction is deferred: it takes no lock, and a writer never waits
    for it. Close it (end the ``with`` block) promptly: until then it reads one snapshot.
    """
    return Session(engine or get_engine())


__all__ = [
    "DATABASE_ERRORS",
    "WRITE_OPTION",
    "ConfigError",
    "DatabaseUnavailable",
    "Engine",
    "Session",
    "check_connection",
    "create_engine_for",
    "get_engine",
    "read_session",
    "write_connection",
    "write_unit",
]
