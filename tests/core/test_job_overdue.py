"""The Refresh & jobs page flags a run that has been running longer than expected: from
the job's own history once it has one, from its declared duration before."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.queries.operations import overdue_runs
from core.schema import JobRun
from dashboards.refresh_jobs import overdue_notices

AT = datetime(2026, 4, 10, 12, 0)


def add_run(session: Session, job_id: str, started_ago_s: float, took_s: float | None) -> None:
    started = AT - timedelta(seconds=started_ago_s)
    session.add(
        JobRun(
            job_id=job_id,
            scheduler_id="h:1:a",
            started_at=started,
            finished_at=None if took_s is None else started + timedelta(seconds=took_s),
            status="running" if took_s is None else "success",
        )
    )


def test_runs_past_their_expected_duration_are_flagged(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        for i in range(6):  # history: about 2 s a run, so 10 s (the floor) is expected
            add_run(session, "metrics_refresh", 3600 + 60 * i, 2.0)
        add_run(session, "metrics_refresh", 45, None)  # 45 s > 10 s: stuck
        add_run(session, "health_scores", 400, None)  # no history: declared 600 s
        add_run(session, "churn_retrain", 700, None)  # no history: declared 300 s
    with Session(engine) as session:
        overdue = overdue_runs(
            session=session, at=AT, declared={"health_scores": 600.0, "churn_retrain": 300.0}
        )
    flagged = dict(zip(overdue["job_id"], overdue["expected_s"], strict=True))
    assert flagged == {"metrics_refresh": 10.0, "churn_retrain": 300.0}
    notices = overdue_notices(overdue, locale="en")
    assert len(notices) == 2 and any("**churn_retrain**" in n and "700 s" in n for n in notices)
