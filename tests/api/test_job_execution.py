"""POST /api/t11/execute and GET /api/t11/execution/track: roles, bad input (nothing
written), deduplication (also under concurrent asks on PostgreSQL), and the figures of a
request run by the scheduler's own code path (``run_recorded`` with the hand-off), checked
against ``console_job_runs``. The real scheduler process is in
``test_job_execution_scheduler.py``."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import AuditEvent
from core.clock import now
from core.commands import Actor, execute
from core.db import write_unit
from core.jobs import on_demand
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.schema import JobRun, JobRunRequest
from tests.api.conftest import BACKENDS, USERS, ApiWorld

ROLES = ("admin", "executive", "cs_manager", "onboarding")
TRACK = "/api/t11/execution/track"
SCHEDULER = "h:1:t11abc"


def counts(world: ApiWorld) -> tuple[int, int]:
    """(requests, their audit events) in the database."""
    with Session(world.engine) as session:
        requests = session.scalar(select(func.count()).select_from(JobRunRequest))
        events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "jobs.run_requested")
        )
    return int(requests or 0), int(events or 0)


def spec_of(job_id: str):  # type: ignore[no-untyped-def]
    return next(spec for spec in JOBS if spec.job_id == job_id)


def _local(stamp: str) -> datetime:
    assert stamp.endswith("-03:00"), stamp
    return datetime.fromisoformat(stamp).replace(tzinfo=None)


def test_requestable_jobs_are_the_issues_list_and_exist_in_the_registry() -> None:
    from typing import get_args

    from api.routes.t11 import JobName
    from core.backup.jobs import BACKUP_JOB_ID

    assert set(get_args(JobName)) == set(on_demand.REQUESTABLE_JOBS)
    assert on_demand.REQUESTABLE_JOBS["backup"] == BACKUP_JOB_ID
    assert set(on_demand.REQUESTABLE_JOBS.values()) <= {spec.job_id for spec in JOBS}


def test_execute_wants_an_admin_token_and_writes_nothing_otherwise(api_world: ApiWorld) -> None:
    client, body = api_world.client, {"job_id": "metrics_refresh"}
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer bp_" + "x" * 43}):
        answer = client.post("/api/t11/execute", json=body, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
    for role in ("executive", "cs_manager", "onboarding"):
        answer = client.post("/api/t11/execute", json=body, headers=api_world.auth(role))
        assert answer.status_code == 403, role
        assert answer.json()["code"] == "permission_denied"
    assert counts(api_world) == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"job_id": "rm_rf"}, "body.job_id"),
        ({"job_id": "backup_nightly"}, "body.job_id"),  # the registry's id is not a name
        ({"job_id": 5}, "body.job_id"),
        ({"job_id": None}, "body.job_id"),
        ({}, "body.job_id"),
        ({"job_id": "backup", "priority": 1}, "body.priority"),
        ([], "body"),
    ],
)
def test_execute_refuses_bad_input_field_by_field(
    api_world: ApiWorld, body: object, field: str
) -> None:
    answer = api_world.client.post("/api/t11/execute", json=body, headers=api_world.auth("admin"))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["type"].endswith("/validation")
    assert field in [error["field"] for error in problem["errors"]]
    assert "rm_rf" not in answer.text  # the input is never echoed back
    assert counts(api_world) == (0, 0)


def test_execute_refuses_a_body_that_is_not_json(api_world: ApiWorld) -> None:
    answer = api_world.client.post(
        "/api/t11/execute",
        content=b"job_id=backup",
        headers={**api_world.auth("admin"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert counts(api_world) == (0, 0)


def test_the_command_itself_refuses_an_unknown_job_in_spanish(api_world: ApiWorld) -> None:
    from core.jobs.on_demand import UnknownJobError

    admin = Actor(USERS["admin"][0])
    with pytest.raises(UnknownJobError) as refused:
        execute(on_demand.RequestJobRun(job="rm -rf"), actor=admin, engine=api_world.engine)
    assert refused.value.field == "job_id"
    assert "No hay" in refused.value.text("es_AR")
    assert counts(api_world) == (0, 0)


def test_an_admin_queues_a_request_once_and_is_audited(api_world: ApiWorld) -> None:
    client, admin = api_world.client, api_world.auth("admin")
    first = client.post("/api/t11/execute", json={"job_id": "backup"}, headers=admin)
    assert first.status_code == 202
    asked = first.json()
    assert asked["status"] == "queued" and asked["deduplicated"] is False
    assert asked["job_id"] == "backup" and asked["scheduler_job_id"] == "backup_nightly"
    assert first.headers["Location"] == f"{TRACK}?execution_id={asked['execution_id']}"
    second = client.post("/api/t11/execute", json={"job_id": "backup"}, headers=admin)
    assert second.status_code == 202
    assert second.json()["execution_id"] == asked["execution_id"]
    assert second.json()["deduplicated"] is True
    other = client.post("/api/t11/execute", json={"job_id": "churn_score"}, headers=admin)
    assert other.json()["execution_id"] != asked["execution_id"]
    with Session(api_world.engine) as session:
        row = session.get(JobRunRequest, asked["execution_id"])
        assert row is not None
        assert (row.job_id, row.requested_as, row.status) == ("backup_nightly", "backup", "queued")
        assert row.requested_by == USERS["admin"][0] and row.job_run_id is None
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "jobs.run_requested")
        ).all()
    assert [e.actor_id for e in events] == [USERS["admin"][0]] * 3
    assert [e.after["deduplicated"] for e in events] == [False, True, False]
    assert counts(api_world)[0] == 2


def test_track_wants_a_reader_and_a_known_id(api_world: ApiWorld) -> None:
    client = api_world.client
    asked = client.post(
        "/api/t11/execute", json={"job_id": "alert_rules"}, headers=api_world.auth("admin")
    ).json()
    params = {"execution_id": asked["execution_id"]}
    assert client.get(TRACK, params=params).status_code == 401
    bad = {"Authorization": "Bearer bp_" + "z" * 43}
    assert client.get(TRACK, params=params, headers=bad).status_code == 401
    for role in ROLES:
        answer = client.get(TRACK, params=params, headers=api_world.auth(role))
        assert answer.status_code == (200 if role in ("admin", "executive") else 403), role
    answer = client.get(TRACK, params=params, headers=api_world.auth("executive")).json()
    assert answer["status"] == "queued" and answer["job_id"] == "alert_rules"
    assert answer["requested_by"] == USERS["admin"][2]
    assert answer["started_at"] is None and answer["duration_s"] is None
    assert abs(_local(answer["requested_at"]) - now()) < timedelta(minutes=1)

    missing = client.get(TRACK, params={"execution_id": 999}, headers=api_world.auth("admin"))
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_execution"
    assert missing.json()["detail"] == "There is no job execution with id 999."
    spanish = client.get(
        TRACK,
        params={"execution_id": 999},
        headers={**api_world.auth("admin"), "Accept-Language": "es-AR,es;q=0.9"},
    )
    assert spanish.status_code == 404 and "999" in spanish.json()["detail"]
    assert spanish.json()["detail"] != missing.json()["detail"]
    for value, field in (("abc", "query.execution_id"), ("0", "query.execution_id")):
        answer = client.get(TRACK, params={"execution_id": value}, headers=api_world.auth("admin"))
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    answer = client.get(TRACK, headers=api_world.auth("admin"))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["query.execution_id"]


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_a_handed_off_request_is_linked_to_its_run_and_reports_its_figures(
    api_world: ApiWorld,
) -> None:
    """The scheduler's path without the process: claim, hand off, ``run_recorded``."""
    admin = api_world.auth("admin")
    asked = api_world.client.post(
        "/api/t11/execute", json={"job_id": "metrics_refresh"}, headers=admin
    ).json()
    engine = api_world.engine
    claimed = on_demand.claim_queued(engine, SCHEDULER)
    assert claimed == [(asked["execution_id"], "metrics_refresh")]
    assert on_demand.claim_queued(engine, "h:2:other") == []  # taken: nobody else gets it
    handoff = on_demand.HandOff()
    handoff.put("metrics_refresh", asked["execution_id"])
    run = run_recorded(engine, spec_of("metrics_refresh"), SCHEDULER, api_world.settings, handoff)
    assert run is not None and run.status == "success"
    answer = api_world.client.get(
        TRACK, params={"execution_id": asked["execution_id"]}, headers=admin
    ).json()
    with Session(engine) as session:
        stored = session.get(JobRun, run.id)
    assert stored is not None
    assert answer["status"] == "succeeded" and answer["job_run_id"] == stored.id
    assert answer["rows_touched"] == stored.rows_touched
    assert _local(answer["started_at"]) == stored.started_at
    assert _local(answer["finished_at"]) == stored.finished_at
    assert answer["duration_s"] == pytest.approx(
        (stored.finished_at - stored.started_at).total_seconds(), abs=0.001
    )
    assert answer["attached"] is False and answer["error"] is None
    # Settled: the next ask queues a new request.
    again = api_world.client.post(
        "/api/t11/execute", json={"job_id": "metrics_refresh"}, headers=admin
    ).json()
    assert again["deduplicated"] is False and again["execution_id"] != asked["execution_id"]


def test_a_request_joins_the_run_in_progress_and_ends_with_it(api_world: ApiWorld) -> None:
    engine = api_world.engine
    with write_unit(engine) as session:
        running = JobRun(
            job_id="churn_retrain",
            scheduler_id="h:9:sched1",
            started_at=now() - timedelta(seconds=30),
            status="running",
        )
        session.add(running)
    admin = api_world.auth("admin")
    asked = api_world.client.post(
        "/api/t11/execute", json={"job_id": "churn_retrain"}, headers=admin
    ).json()
    ((request_id, job_id),) = on_demand.claim_queued(engine, SCHEDULER)
    in_progress = on_demand.run_in_progress(engine, job_id)
    assert in_progress is not None and in_progress.id == running.id
    on_demand.attach(engine, [request_id], in_progress)
    params = {"execution_id": asked["execution_id"]}
    during = api_world.client.get(TRACK, params=params, headers=admin).json()
    assert during["status"] == "running" and during["attached"] is True
    assert during["job_run_id"] == running.id and during["finished_at"] is None
    assert on_demand.settle_attached(engine) == 0  # the run goes on
    error = "ValueError: no billing history yet: nothing to train a churn model on"
    with write_unit(engine) as session:
        row = session.get(JobRun, running.id)
        assert row is not None
        row.status, row.finished_at, row.error = "failed", now(), error
    assert on_demand.settle_attached(engine) == 1
    answer = api_world.client.get(TRACK, params=params, headers=admin).json()
    assert answer["status"] == "failed" and answer["error"] == error
    assert answer["job_run_id"] == running.id and answer["rows_touched"] is None


def test_an_unrecorded_skip_settles_the_request_as_skipped_with_its_reason(
    api_world: ApiWorld,
) -> None:
    """dashboard_frames records no skips: with no metrics snapshot its run row is deleted,
    and the request says why nothing ran."""
    admin = api_world.auth("admin")
    asked = api_world.client.post(
        "/api/t11/execute", json={"job_id": "dashboard_frames"}, headers=admin
    ).json()
    engine = api_world.engine
    on_demand.claim_queued(engine, SCHEDULER)
    handoff = on_demand.HandOff()
    handoff.put("dashboard_frames", asked["execution_id"])
    run_recorded(engine, spec_of("dashboard_frames"), SCHEDULER, api_world.settings, handoff)
    answer = api_world.client.get(
        TRACK, params={"execution_id": asked["execution_id"]}, headers=admin
    ).json()
    assert answer["status"] == "skipped" and answer["skip_reason"] == "no metrics snapshot yet"
    assert answer["job_run_id"] is None  # the job keeps no record of a skip
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_requests_of_a_stopped_scheduler_are_queued_again(api_world: ApiWorld) -> None:
    admin = api_world.auth("admin")
    asked = api_world.client.post(
        "/api/t11/execute", json={"job_id": "health_scores"}, headers=admin
    ).json()
    on_demand.claim_queued(api_world.engine, SCHEDULER)
    assert on_demand.requeue_orphans(api_world.engine, [SCHEDULER]) == 1
    answer = api_world.client.get(
        TRACK, params={"execution_id": asked["execution_id"]}, headers=admin
    ).json()
    assert answer["status"] == "queued"
    assert on_demand.claim_queued(api_world.engine, "h:3:next") == [
        (asked["execution_id"], "health_scores")
    ]


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_concurrent_asks_for_one_job_queue_one_request(api_world: ApiWorld) -> None:
    admin = Actor(USERS["admin"][0])
    answers: list[on_demand.Requested] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def ask() -> None:
        try:
            start.wait()
            answers.append(
                execute(
                    on_demand.RequestJobRun(job="churn_score"),
                    actor=admin,
                    engine=api_world.engine,
                )
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({answer.execution_id for answer in answers}) == 1
    assert sorted(answer.deduplicated for answer in answers) == [False] + [True] * 5
    assert counts(api_world) == (1, 6)
