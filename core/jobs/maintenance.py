"""Housekeeping jobs: pruning the run history (and the API's expired idempotency keys),
and the test-only slow-statement probe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, text

from core.clock import now
from core.db import write_connection
from core.idempotency import prune_expired_keys
from core.jobs.spec import JobContext, JobOutcome
from core.schema import JobRun

JOB_RUNS_KEPT_DAYS = 30


def prune_job_runs(context: JobContext) -> JobOutcome:
    at = now()
    cutoff = at - timedelta(days=JOB_RUNS_KEPT_DAYS)
    with write_connection(context.engine) as connection:
        result = connection.execute(delete(JobRun).where(JobRun.started_at < cutoff))
        keys = prune_expired_keys(connection, at=at)
    return JobOutcome(rows_touched=int(result.rowcount or 0) + keys)


def slow_statement_job(seconds: float) -> Callable[[JobContext], JobOutcome]:
    """A job running one statement of ``seconds`` (under its lease): the stop and timeout
    tests need a job that is deterministically busy in the database."""

    def run(context: JobContext) -> JobOutcome:
        engine = context.engine
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
            else:  # no sleep() in SQLite: count, about 5 million steps a second
                connection.execute(
                    text(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                        "WHERE i < :steps) SELECT count(*) FROM n"
                    ),
                    {"steps": int(seconds * 5_000_000)},
                )
        return JobOutcome(rows_touched=0)

    return run
