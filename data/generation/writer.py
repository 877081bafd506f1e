"""Bulk loading of generated columns into SQLite (executemany) or PostgreSQL (COPY).

Columns arrive as numpy arrays: timestamps as int64 microseconds since 1970 and dates
as int64 day numbers (negative = NULL), money and floats as float64 (NaN = NULL),
everything else as Python-compatible values. They are converted in chunks into the
exact text SQLAlchemy itself stores, so the ORM reads the rows back unchanged.
"""

from __future__ import annotations

import json
from types import TracebackType

import numpy as np
from sqlalchemy import Boolean, Date, DateTime, Engine, Float, Integer, Numeric, Table
from sqlalchemy.schema import CreateIndex
from sqlalchemy.types import JSON

from core.schema import Base

CHUNK_ROWS = 200_000
# Secondary indexes of these tables are dropped during the load and rebuilt after it.
BIG_TABLES = ("customers", "bookings", "payments", "admin_activity")


def format_datetimes(us: np.ndarray) -> np.ndarray:
    """int64 microseconds → ``YYYY-MM-DD HH:MM:SS.ffffff`` strings (None where negative)."""
    us = np.asarray(us, dtype=np.int64)
    text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")
    text.view("<U1").reshape(len(text), -1)[:, 10] = " "
    out = text.astype(object)
    out[us < 0] = None
    return out


def format_dates(days: np.ndarray) -> np.ndarray:
    """int64 day numbers → ``YYYY-MM-DD`` strings (None where negative)."""
    days = np.asarray(days, dtype=np.int64)
    out = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
    out[days < 0] = None
    return out


def _to_python(column, values) -> list:  # type: ignore[no-untyped-def]
    """One column's values as a list of Python objects the DBAPI accepts."""
    kind = column.type
    if isinstance(kind, DateTime):
        return format_datetimes(values).tolist()
    if isinstance(kind, Date):
        return format_dates(values).tolist()
    if isinstance(kind, JSON):
        return [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
    arr = np.asarray(values)
    if isinstance(kind, Boolean):
        return arr.astype(np.int64).tolist()
    if isinstance(kind, (Numeric, Float)):
        arr = arr.astype(np.float64)
        out = arr.astype(object)
        out[np.isnan(arr)] = None
        return out.tolist()
    if isinstance(kind, Integer) and arr.dtype.kind == "f":
        out = np.where(np.isnan(arr), 0, arr).astype(np.int64).astype(object)
        out[np.isnan(arr)] = None
        return out.tolist()
    return arr.tolist()


_PG_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _to_copy_text(column, values) -> list[str]:  # type: ignore[no-untyped-def]
    """One column as PostgreSQL COPY text fields (``\\N`` for NULL, specials escaped)."""
    kind = column.type
    if isinstance(kind, (DateTime, Date, JSON)) or not isinstance(values, np.ndarray):
        objs = _to_python(column, values)
    elif isinstance(kind, Boolean):
        return np.where(values.astype(bool), "t", "f").tolist()
    elif isinstance(kind, (Numeric, Float, Integer)) and values.dtype.kind in "iuf":
        if values.dtype.kind == "f":
            nan = np.isnan(values)
            if isinstance(kind, Integer):
                text = np.where(nan, 0, values).astype(np.int64).astype(str)
            else:
                text = np.round(values, 6).astype(str)
            return np.where(nan, _PG_NULL, text).tolist()
        return values.astype(str).tolist()
    else:
        objs = values.tolist()
    return [_PG_NULL if v is None else str(v).translate(_ESCAPES) for v in objs]


class BulkWriter:
    """A single-transaction bulk load into the schema's tables.

    Use as a context manager; ``write`` appends rows to a table. On success the big
    tables' secondary indexes are rebuilt and everything commits at once; on error the
    transaction rolls back and nothing is left behind.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.counts: dict[str, int] = {}
        self._raw = None
        self._dropped: list = []
        self._foreign_keys: list[tuple[str, str, str]] = []

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self) -> BulkWriter:
        self._raw = self.engine.raw_connection()
        dbapi = self._raw.driver_connection
        cur = dbapi.cursor()
        if self.dialect == "sqlite":
            # The load is one transaction that either lands whole or not at all, so the
            # per-statement durability and FK checks only cost time here.
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-400000")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.execute("BEGIN")
        if self.dialect == "postgresql":
            # Checking each row's foreign keys during COPY costs far more than one
            # validating pass when the constraints come back at the end.
            cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
                (list(BIG_TABLES),),
            )
            self._foreign_keys = cur.fetchall()
            for table, name, _ in self._foreign_keys:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name in BIG_TABLES:
            for index in Base.metadata.tables[name].indexes:
                cur.execute(f"DROP INDEX IF EXISTS {index.name}")
                self._dropped.append(index)
        cur.close()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._raw is not None
        dbapi = self._raw.driver_connection
        try:
            if exc_type is None:
                cur = dbapi.cursor()
                for index in self._dropped:
                    cur.execute(str(CreateIndex(index).compile(dialect=self.engine.dialect)))
                if self.dialect == "postgresql":
                    for table, name, definition in self._foreign_keys:
                        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                    self._reset_sequences(cur)
                cur.close()
                dbapi.commit()
                if self.dialect == "postgresql":
                    dbapi.autocommit = True
                    dbapi.cursor().execute("ANALYZE")
                    dbapi.autocommit = False
                else:
                    dbapi.execute("PRAGMA optimize")
            else:
                dbapi.rollback()
        finally:
            if self.dialect == "sqlite":
                dbapi.execute("PRAGMA foreign_keys=ON")
                dbapi.execute("PRAGMA synchronous=NORMAL")
            self._raw.close()
            self._raw = None

    def _reset_sequences(self, cur) -> None:  # type: ignore[no-untyped-def]
        for table in Base.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            if (
                len(pk) == 1
                and isinstance(pk[0].type, Integer)
                and pk[0].autoincrement in (True, "auto")
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                    f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false) "
                    f"WHERE pg_get_serial_sequence('{table.name}', '{pk[0].name}') IS NOT NULL"
                )

    def truncate(self, tables: list[str]) -> None:
        """Empty ``tables`` inside the load's transaction (children before parents)."""
        assert self._raw is not None
        cur = self._raw.driver_connection.cursor()
        if self.dialect == "postgresql":
            cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for name in tables:
                cur.execute(f"DELETE FROM {name}")
        cur.close()

    # -- writing -------------------------------------------------------------------
    def write(self, table_name: str, columns: dict[str, object]) -> int:
        """Append rows given as equal-length columns named after the table's columns."""
        table: Table = Base.metadata.tables[table_name]
        names = [c.name for c in table.columns if c.name in columns]
        missing = [
            c.name
            for c in table.columns
            if c.name not in columns
            and not c.nullable
            and not c.primary_key
            and c.server_default is None  # the database fills it (a row's version)
        ]
        if missing:
            raise ValueError(f"{table_name}: no values for {missing}")
        n = len(columns[names[0]])  # type: ignore[arg-type]
        if n == 0:
            return 0
        assert self._raw is not None
        dbapi = self._raw.driver_connection
        for lo in range(0, n, CHUNK_ROWS):
            hi = min(n, lo + CHUNK_ROWS)
            if self.dialect == "sqlite":
                data = [_to_python(table.c[name], _slice(columns[name], lo, hi)) for name in names]
                marks = ", ".join("?" * len(names))
                dbapi.executemany(
                    f"INSERT INTO {table_name} ({', '.join(names)}) VALUES ({marks})",
                    zip(*data, strict=True),
                )
            else:
                fields = [
                    _to_copy_text(table.c[name], _slice(columns[name], lo, hi)) for name in names
                ]
                payload = "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"
                with (
                    dbapi.cursor() as cur,
                    cur.copy(f"COPY {table_name} ({', '.join(names)}) FROM STDIN") as copy,
                ):
                    copy.write(payload.encode())
        self.counts[table_name] = self.counts.get(table_name, 0) + n
        return n


def _slice(values: object, lo: int, hi: int) -> object:
    if isinstance(values, np.ndarray):
        return values[lo:hi]
    return list(values)[lo:hi]  # type: ignore[call-overload]
