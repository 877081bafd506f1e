"""A job's state as its pages tell it: failed at, retried at, running for the first time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from core.db import read_session, write_unit
from core.jobs.failures import KIND_DATABASE_BUSY, JobState
from core.queries.job_state import job_state
from core.schema import JobRun
from dashboards.kit.job_notice import job_notice

AT = datetime(2026, 12, 7, 10, 44, 5)


def add_run(engine: Engine, status: str, started: datetime, **fields: object) -> None:
    with write_unit(engine) as session:
        session.add(
            JobRun(job_id="health_scores", scheduler_id="s", started_at=started, status=status,
                   **fields)
        )  # fmt: skip


def test_a_job_that_never_ran_has_no_state(engine: Engine) -> None:
    with read_session(engine) as session:
        state = job_state("health_scores", session=session)
    assert state == JobState("health_scores")
    assert job_notice(state, at=AT, locale="es_AR") is None


def test_a_failed_run_gives_its_time_kind_and_announced_retry(engine: Engine) -> None:
    add_run(engine, "success", AT - timedelta(hours=2), finished_at=AT - timedelta(hours=2))
    add_run(
        engine,
        "failed",
        datetime(2026, 12, 7, 10, 34),
        finished_at=datetime(2026, 12, 7, 10, 42, 30),
        error="OperationalError: (sqlite3.OperationalError) database is locked",
        detail={"attempts": 4, "failure": KIND_DATABASE_BUSY, "retry_at": "2026-12-07T10:47:30"},
    )
    add_run(engine, "skipped", AT - timedelta(minutes=1), finished_at=AT)  # says nothing
    with read_session(engine) as session:
        state = job_state("health_scores", session=session)
    assert state.failed and state.ever_succeeded and state.running_since is None
    assert state.failure == KIND_DATABASE_BUSY
    assert state.retry_at == datetime(2026, 12, 7, 10, 47, 30)
    notice = job_notice(state, at=AT, locale="es_AR")
    assert notice is not None and notice.level == "warning"
    assert notice.text == (
        "El cálculo de salud falló a las 10:42 (la base de datos estaba ocupada con otra "
        "actualización); se reintenta a las 10:47."
    )
    english = job_notice(state, at=AT, locale="en")
    assert english is not None and english.text == (
        "The health score calculation failed at 10:42 (the database was busy with another "
        "update); it is retried at 10:47."
    )
    assert "locked" not in notice.text and "Operational" not in notice.text


def test_a_retry_long_overdue_asks_whether_the_scheduler_runs(engine: Engine) -> None:
    add_run(
        engine,
        "failed",
        datetime(2026, 12, 7, 10, 0),
        finished_at=datetime(2026, 12, 7, 10, 1),
        error="KeyError: 'score'",  # an old row: no detail, the kind read from the text
    )
    with read_session(engine) as session:
        state = job_state("health_scores", session=session)
    assert state.failure == "other" and state.retry_at is None
    text = job_notice(state, at=AT, locale="en")
    assert text is not None
    assert text.text == (
        "The health score calculation failed at 10:01 (an unexpected error (logged for "
        "support)); it is retried at its next run."
    )
    late = JobState(
        "health_scores",
        last_status="failed",
        last_finished_at=datetime(2026, 12, 7, 10, 1),
        failure=KIND_DATABASE_BUSY,
        retry_at=datetime(2026, 12, 7, 10, 6),
    )
    overdue = job_notice(late, at=datetime(2026, 12, 7, 10, 8, 1), locale="en")
    assert overdue is not None and "has not started: is the scheduler running?" in overdue.text
    on_time = job_notice(late, at=datetime(2026, 12, 7, 10, 7, 59), locale="en")
    assert on_time is not None and on_time.text.endswith("it is retried at 10:06.")


def test_a_first_run_in_progress_and_a_retry_in_progress(engine: Engine) -> None:
    add_run(engine, "running", datetime(2026, 12, 7, 10, 40, 12))
    with read_session(engine) as session:
        first = job_state("health_scores", session=session)
    assert first.running_since == datetime(2026, 12, 7, 10, 40, 12) and not first.ever_succeeded
    notice = job_notice(first, at=AT, locale="es_AR")
    assert notice is not None and notice.level == "info"
    assert notice.text == (
        "El cálculo de salud se está ejecutando por primera vez (desde las 10:40); esta "
        "página se completa sola cuando termine."
    )
    retrying = JobState(
        "health_scores",
        last_status="failed",
        last_finished_at=datetime(2026, 12, 7, 10, 30),
        failure=KIND_DATABASE_BUSY,
        retry_at=datetime(2026, 12, 7, 10, 35),
        running_since=datetime(2026, 12, 7, 10, 35),
    )
    again = job_notice(retrying, at=AT, locale="en")
    assert again is not None and again.text.endswith("; it is being retried now.")
    # Once a run succeeded, a run in progress is routine: nothing to say.
    routine = JobState("health_scores", last_status="success", running_since=AT,
                       ever_succeeded=True)  # fmt: skip
    assert job_notice(routine, at=AT, locale="en") is None
