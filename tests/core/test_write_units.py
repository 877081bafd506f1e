"""SQLite write discipline: a write unit takes the write lock at BEGIN, a read takes none.

Another connection stands for a second process (the scheduler, the simulator, another
app replica): its ``BEGIN IMMEDIATE`` with a short busy timeout fails fast while a write
unit is open, and goes through while a read session is.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.db import read_session, write_connection, write_unit
from core.schema import ConsoleUser
from tests.db_templates import sqlite_path


@pytest.fixture
def path(sqlite_engine):  # type: ignore[no-untyped-def]
    return sqlite_path(sqlite_engine.url.render_as_string())


def other_writer(path, busy_s: float = 0.2) -> sqlite3.Connection:  # type: ignore[no-untyped-def]
    """A connection of another process, which waits ``busy_s`` for a lock at most."""
    return sqlite3.connect(path, timeout=busy_s, isolation_level=None)


def add_user(connection: sqlite3.Connection, email: str) -> None:
    connection.execute(
        "INSERT INTO console_users (full_name, email, role, active, updated_at) "
        "VALUES ('X', ?, 'admin', 1, '2026-01-01 00:00:00')",
        (email,),
    )


def emails(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return set(session.scalars(select(ConsoleUser.email)))


def test_a_write_unit_holds_the_write_lock_from_begin(sqlite_engine, path):  # type: ignore[no-untyped-def]
    other = other_writer(path)
    with write_unit(sqlite_engine) as session:
        # Nothing written yet, and still no one else may begin a write.
        started = time.perf_counter()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        assert time.perf_counter() - started < 5  # it failed fast, at its own busy timeout
        session.add(ConsoleUser(full_name="Y", email="y@x.ar", role="admin"))
    other.execute("BEGIN IMMEDIATE")  # the unit committed: the lock is free
    add_user(other, "z@x.ar")
    other.execute("COMMIT")
    other.close()
    assert emails(sqlite_engine) == {"y@x.ar", "z@x.ar"}


def test_a_write_connection_holds_the_write_lock_too(sqlite_engine, path):  # type: ignore[no-untyped-def]
    other = other_writer(path)
    with write_connection(sqlite_engine) as connection:
        connection.execute(text("SELECT 1"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.close()


def test_a_read_session_never_blocks_a_writer(sqlite_engine, path):  # type: ignore[no-untyped-def]
    with read_session(sqlite_engine) as session:
        assert session.scalars(select(ConsoleUser.email)).all() == []  # a read transaction
        other = other_writer(path)
        started = time.perf_counter()
        other.execute("BEGIN IMMEDIATE")
        add_user(other, "w@x.ar")
        other.execute("COMMIT")
        assert time.perf_counter() - started < 0.2  # it never waited for the reader
        other.close()
        # The reader keeps reading its own snapshot until it ends.
        assert session.scalars(select(ConsoleUser.email)).all() == []
    assert emails(sqlite_engine) == {"w@x.ar"}


def test_two_write_units_queue_instead_of_failing(sqlite_engine):  # type: ignore[no-untyped-def]
    held, order = threading.Event(), []

    def first() -> None:
        with write_unit(sqlite_engine) as session:
            held.set()
            time.sleep(0.5)  # a unit that takes its time
            session.add(ConsoleUser(full_name="A", email="a@x.ar", role="admin"))
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    started = time.perf_counter()
    with write_unit(sqlite_engine) as session:  # waits at BEGIN, within the busy timeout
        waited = time.perf_counter() - started
        # It began after the first committed, so it reads that commit and may build on it.
        assert session.scalar(select(ConsoleUser.email)) == "a@x.ar"
        session.add(ConsoleUser(full_name="B", email="b@x.ar", role="admin"))
        order.append("second")
    thread.join()
    assert order == ["first", "second"] and waited > 0.2
    assert emails(sqlite_engine) == {"a@x.ar", "b@x.ar"}


def test_savepoints_roll_back_only_their_part(sqlite_engine):  # type: ignore[no-untyped-def]
    # pysqlite's own transaction handling breaks SAVEPOINT; the begin recipe makes it work.
    with write_unit(sqlite_engine) as session:
        session.add(ConsoleUser(full_name="K", email="keep@x.ar", role="admin"))
        try:
            with session.begin_nested():
                session.add(ConsoleUser(full_name="D", email="drop@x.ar", role="admin"))
                session.flush()
                raise RuntimeError("undo this part")
        except RuntimeError:
            pass
    assert emails(sqlite_engine) == {"keep@x.ar"}
