"""On PostgreSQL, the refresh's, the detail providers' and the data-quality checks' queries
never run a per-row subplan over a large table.

A subplan under a ``NOT IN (SELECT ...)`` or a correlated subquery in a select list runs
once per outer row; over a table of hundreds of thousands of rows that is the query that
never finished on a stock PostgreSQL (issue 11). The statements are captured while the
real code runs on a small generated data set, then each one is EXPLAINed. The plan shape
on a small set is what matters: a hashed subplan that fits in memory here is re-scanned
per row at the default scale once the keys outgrow ``work_mem``.

So a subplan may reach a large table only through an index (a per-row probe, as in the
per-tenant ``min()`` seeks: rows x log n); a sequential scan or a hashed subplan over a
large table inside a subplan (rows x n) fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics.detail import compute_detail_frames
from core.metrics.frames.platform import run_checks
from core.metrics.refresh import refresh_metrics
from data.generate import generate_demo_data
from tests.conftest import _reset_postgres, postgres_url

pytestmark = pytest.mark.postgres

TODAY = date(2026, 4, 10)
AT = datetime.combine(TODAY, time(12))
# Tables above 100k rows on the 250-tenant demo (bookings 3.3M, payments 3.0M, customers
# 731k, admin activity 595k; the daily rollups grow with tenants x days).
LARGE_TABLES = {
    "bookings",
    "payments",
    "customers",
    "admin_activity",
    "console_rollup_tenant_day",
}


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[Engine]:
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL tests need BARBERPRO_TEST_POSTGRES_URL")
    _reset_postgres(url)
    generate_demo_data(url, tenants=6, months=3, seed=11, today=TODAY)
    engine = create_engine_for(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def statements(pg_engine: Engine) -> list[tuple[str, object]]:
    """Every SELECT the refresh, the detail providers and the quality checks run."""
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, executemany):  # type: ignore[no-untyped-def]
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    event.listen(pg_engine, "before_cursor_execute", capture)
    try:
        refresh_metrics(pg_engine, full=True, as_of=AT)
        refresh_metrics(pg_engine, as_of=AT)  # the 30-second path: incremental
        with Session(pg_engine) as session:
            frames, _timings, errors = compute_detail_frames(session, TODAY)
            run_checks(session, cutoff=datetime.combine(TODAY, time()), checked_at=AT)
    finally:
        event.remove(pg_engine, "before_cursor_execute", capture)
    assert not errors, errors
    assert frames
    return captured


INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan"}


def per_row_subplans(plan: dict, subplan: str | None = None) -> list[str]:  # type: ignore[type-arg]
    """Large tables read whole inside a SubPlan (InitPlans run once and are fine)."""
    if plan.get("Parent Relationship") == "SubPlan":
        subplan = plan.get("Subplan Name") or "SubPlan"
    found = []
    relation = plan.get("Relation Name")
    whole = plan.get("Node Type") not in INDEX_SCANS or bool(subplan and "hashed" in subplan)
    if subplan and relation in LARGE_TABLES and whole:
        found.append(f"{subplan}: {plan['Node Type']} on {relation}")
    for child in plan.get("Plans", []):
        found += per_row_subplans(child, subplan)
    return found


def explain(engine: Engine, statement: str, parameters: object) -> dict:  # type: ignore[type-arg]
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        raw = cursor.fetchone()[0]
        cursor.close()
    document = raw if isinstance(raw, list) else json.loads(raw)
    return document[0]["Plan"]  # type: ignore[no-any-return]


def test_the_statements_cover_the_refresh_the_providers_and_the_checks(statements):
    text = "\n".join(statement for statement, _ in statements)
    assert len(statements) > 50
    for table in ("bookings", "payments", "customers", "admin_activity"):
        assert f"FROM {table}" in text


def test_no_statement_runs_a_per_row_subplan_over_a_large_table(pg_engine, statements):
    offenders = {}
    for statement, parameters in statements:
        found = per_row_subplans(explain(pg_engine, statement, parameters))
        if found:
            offenders[" ".join(statement.split())[:200]] = found
    assert not offenders, json.dumps(offenders, indent=1)
