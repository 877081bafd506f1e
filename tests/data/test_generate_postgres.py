"""The generator loads into PostgreSQL (COPY) with the same rows as into SQLite."""

from __future__ import annotations

import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.schema import Base
from data.generate import generate_demo_data

POSTGRES_URL = os.environ.get("BARBERPRO_TEST_POSTGRES_URL", "").strip()

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="set BARBERPRO_TEST_POSTGRES_URL (e.g. postgresql+psycopg:///barberpro_test"
    "?host=/var/run/postgresql) to run the PostgreSQL generator test",
)

SIZE = {"tenants": 10, "months": 2, "seed": 21, "today": date(2026, 5, 20)}
CHECKS = {
    "bookings": "SELECT status, COUNT(*), SUM(price_ars) FROM bookings GROUP BY status "
    "ORDER BY status",
    "payments": "SELECT method, status, COUNT(*), ROUND(SUM(amount_ars)), ROUND(SUM(fee_ars)) "
    "FROM payments GROUP BY method, status ORDER BY method, status",
    "tenants": "SELECT id, cuit, plan, status FROM tenants ORDER BY id",
}


def test_postgres_load_matches_sqlite(tmp_path: Path) -> None:
    sqlite_path = tmp_path / "demo.db"
    generate_demo_data(f"sqlite:///{sqlite_path}", **SIZE)
    # The shared test database may hold another test's rows: replacing them is the point.
    generate_demo_data(POSTGRES_URL, replace=True, allow_non_demo=True, **SIZE)

    lite = sqlite3.connect(sqlite_path)
    pg = create_engine(POSTGRES_URL)
    try:
        with pg.connect() as conn:
            for table in Base.metadata.sorted_tables:
                expected = lite.execute(f"SELECT COUNT(*) FROM {table.name}").fetchone()[0]
                got = conn.execute(text(f"SELECT COUNT(*) FROM {table.name}")).scalar_one()
                assert got == expected, table.name
            for name, sql in CHECKS.items():
                want = [
                    tuple(float(v) if isinstance(v, float) else v for v in row)
                    for row in lite.execute(sql).fetchall()
                ]
                have = [
                    tuple(float(v) if not isinstance(v, (str, int)) else v for v in row)
                    for row in conn.execute(text(sql)).fetchall()
                ]
                assert have == want, name
            first = conn.execute(text("SELECT MIN(start_at) FROM bookings")).scalar_one()
            assert (
                str(first) == lite.execute("SELECT MIN(start_at) FROM bookings").fetchone()[0][:19]
            )
        # Sequences continue after the loaded ids, so the app can insert rows.
        with pg.begin() as conn:
            top = conn.execute(text("SELECT MAX(id) FROM partners")).scalar_one()
            new_id = conn.execute(
                text(
                    "INSERT INTO partners (name, kind, revenue_share_pct, created_at, updated_at) "
                    "VALUES ('Prueba', 'agency', 10, now(), now()) RETURNING id"
                )
            ).scalar_one()
            assert new_id == top + 1
            conn.execute(text("DELETE FROM partners WHERE id = :id"), {"id": new_id})
    finally:
        lite.close()
        pg.dispose()
