"""Did anything in the database change? Row counts and a hash of every table's rows.

    before = fingerprint(engine)
    ...  # something that must change nothing
    assert_unchanged(engine, before)

Every table the database has (ORM or not, alembic_version too) is read whole, so keep it to
test databases. Rows are hashed in a sorted order, so the backends' unordered scans agree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Engine, MetaData, select


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return repr(value) if isinstance(value, float) else str(value)


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """``{table: (row count, sha256 of its rows)}`` for every table in the database."""
    metadata = MetaData()
    metadata.reflect(bind=engine)
    result: dict[str, tuple[int, str]] = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            rows = sorted(
                "\x1f".join(_cell(v) for v in row) for row in connection.execute(select(table))
            )
            digest = hashlib.sha256("\x1e".join(rows).encode()).hexdigest()
            result[name] = (len(rows), digest)
    return result


def changed_tables(engine: Engine, before: dict[str, tuple[int, str]]) -> dict[str, Any]:
    """Tables whose rows differ from ``before``: ``{table: (before, now)}``."""
    now = fingerprint(engine)
    return {
        name: (before.get(name), now.get(name))
        for name in sorted(set(before) | set(now))
        if before.get(name) != now.get(name)
    }


def assert_unchanged(engine: Engine, before: dict[str, tuple[int, str]]) -> None:
    """Fail, naming the tables, if any row was added, removed or changed since ``before``."""
    changed = changed_tables(engine, before)
    assert not changed, f"the database changed: {changed}"
