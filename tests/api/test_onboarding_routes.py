"""/api/enterprise/onboarding/*: initiate (the wizard's commands, idempotency), track and
success (the Onboarding Funnel's numbers) against real databases."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from core.commands import Actor, execute
from core.config import Settings
from core.db import create_engine_for, read_session, write_unit
from core.idempotency import IdempotencyClaim, IdempotencyKeyTakenError, request_fingerprint
from core.metrics.snapshots import latest_detail_version, load_snapshot
from core.schema import (
    ApiIdempotencyKey,
    AuditEvent,
    ConsoleUser,
    OnboardingSession,
    OnboardingStepEvent,
)
from core.workflows.onboarding.activation import ActivateTenant
from core.workflows.onboarding.drafts import DiscardOnboarding, StartOnboarding, SubmitStep
from core.workflows.onboarding.initiate import InitiateOnboarding
from core.workflows.onboarding.samples import clean_steps
from core.workflows.onboarding.steps import MAX_LOCATIONS
from core.workflows.onboarding.verification import DecideReview, VerifyOnboarding
from dashboards import onboarding_funnel as funnel
from dashboards.filters import Filters
from tests import db_templates
from tests.api.conftest import BACKENDS, USERS, ApiWorld, issue
from tests.generated_console import generated_console

INITIATE = "/api/enterprise/onboarding/initiate"
TRACK = "/api/enterprise/onboarding/track"
SUCCESS = "/api/enterprise/onboarding/success"
ROLES = tuple(USERS)
# Route -> the roles that may use it (every other role gets 403).
ALLOWED = {
    INITIATE: {"onboarding", "admin"},
    TRACK: {"onboarding", "admin", "executive"},
    SUCCESS: set(ROLES),
}
API_STEPS = ("business", "contact", "locations", "hours", "services", "staff")


def payload(n: int = 1, **changes: Any) -> dict[str, Any]:
    """The sample clean chain's steps the API takes (no integrations), with ``changes``."""
    steps = clean_steps(n=n, locations=2)
    return {step: steps[step] for step in API_STEPS} | changes


def post(world: ApiWorld, body: Any, role: str = "onboarding", **headers: str | bytes) -> Any:
    return world.client.post(INITIATE, json=body, headers={**world.auth(role), **headers})


def count(world: ApiWorld, table: Any) -> int:
    with read_session(world.engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def audit_rows(world: ApiWorld) -> list[tuple[str, int | None, str]]:
    with read_session(world.engine) as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.entity_id).order_by(
                AuditEvent.id
            )
        ).all()
    return [tuple(r) for r in rows if r[0].startswith("onboarding.")]  # type: ignore[misc]


def nothing_written(world: ApiWorld) -> None:
    assert count(world, OnboardingSession) == 0
    assert count(world, OnboardingStepEvent) == 0
    assert count(world, ApiIdempotencyKey) == 0
    assert audit_rows(world) == []


# ------------------------------------------------------------------------------ access


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_every_route_wants_a_token_and_the_right_role(api_world: ApiWorld, path: str) -> None:
    client = api_world.client
    created = post(api_world, payload())
    assert created.status_code == 201
    session_id = created.json()["session_id"]

    def call(headers: dict[str, str]) -> Any:
        if path == INITIATE:
            return client.post(path, json=payload(n=7), headers=headers)
        query = (
            {"session_id": session_id}
            if path == TRACK
            else {"from": "2026-01-01", "to": "2026-12-31"}
        )
        return client.get(path, params=query, headers=headers)

    for headers in ({}, {"Authorization": "Bearer"}):
        missing = call(headers)
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["code"] == "token_missing"
    unknown = call({"Authorization": "Bearer bp_" + "x" * 43})
    assert unknown.status_code == 401 and unknown.json()["code"] == "token_invalid"
    for role in ROLES:
        answer = call(api_world.auth(role))
        if role in ALLOWED[path]:
            assert answer.status_code == (201 if path == INITIATE else 200), (role, answer.text)
        else:
            assert answer.status_code == 403, role
            assert answer.json()["code"] == "permission_denied"
    # Only the two allowed initiations (plus the first) created sessions.
    assert count(api_world, OnboardingSession) == 1 + (2 if path == INITIATE else 0)


# ------------------------------------------------------------------------------ initiate


def test_initiate_writes_what_the_wizard_writes_as_the_tokens_user(api_world: ApiWorld) -> None:
    body = payload()
    answer = post(api_world, body)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    session_id = data["session_id"]
    assert answer.headers["location"] == f"{TRACK}?session_id={session_id}"
    assert data["status"] == "in_progress"
    assert data["completed"] == list(API_STEPS)
    assert data["next_step"] == "integrations"  # credentials are the operator's, in the wizard
    assert data["errors"] == [] and data["not_checked"] == []
    assert data["resume_url"] == f"http://127.0.0.1:8501/onboarding-wizard?session={session_id}"

    # The wizard's commands, run by hand as the same user, write the same draft and steps.
    omar = Actor(USERS["onboarding"][0])
    by_hand = execute(StartOnboarding(), actor=omar, engine=api_world.engine)
    for step in API_STEPS:
        execute(
            SubmitStep(by_hand, step, body[step], locale="en"), actor=omar, engine=api_world.engine
        )
    with read_session(api_world.engine) as session:
        api_row = session.get(OnboardingSession, session_id)
        hand_row = session.get(OnboardingSession, by_hand)
        assert api_row is not None and hand_row is not None
        assert api_row.draft == hand_row.draft
        for field in ("business_name", "vertical", "tier", "current_step", "status", "operator_id"):
            assert getattr(api_row, field) == getattr(hand_row, field), field
        assert api_row.operator_id == USERS["onboarding"][0]
        events = session.execute(
            select(OnboardingStepEvent.step, OnboardingStepEvent.completed_at.is_not(None))
            .where(OnboardingStepEvent.session_id == session_id)
            .order_by(OnboardingStepEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [(s, True) for s in API_STEPS] + [("integrations", False)]
    user_id = USERS["onboarding"][0]
    mine = [row for row in audit_rows(api_world) if row[2] == str(session_id)]
    assert mine == [
        ("onboarding.start", user_id, str(session_id)),
        *[("onboarding.save_step", user_id, str(session_id))] * len(API_STEPS),
        ("onboarding.initiate", user_id, str(session_id)),
    ]


def test_business_and_contact_alone_start_a_session_at_locations(api_world: ApiWorld) -> None:
    body = {k: v for k, v in payload().items() if k in ("business", "contact")}
    data = post(api_world, body).json()
    assert data["completed"] == ["business", "contact"]
    assert data["next_step"] == "locations"
    track = api_world.client.get(
        TRACK, params={"session_id": data["session_id"]}, headers=api_world.auth("admin")
    ).json()
    assert track["current_step"] == "locations"


def test_a_step_sent_before_its_prerequisites_is_refused_as_the_wizard_refuses_it(
    api_world: ApiWorld,
) -> None:
    body = {k: v for k, v in payload().items() if k != "hours"}  # services need hours first
    data = post(api_world, body).json()
    assert data["completed"] == ["business", "contact", "locations"]
    assert data["next_step"] == "hours"
    assert [(e["step"], e["code"]) for e in data["errors"]] == [("services", "step_locked")]
    assert data["not_checked"] == ["staff"]


def test_duplicate_location_names_save_the_valid_steps_and_point_at_locations(
    api_world: ApiWorld,
) -> None:
    body = payload()
    body["locations"][1]["name"] = body["locations"][0]["name"].upper()
    answer = post(api_world, body)
    assert answer.status_code == 201
    data = answer.json()
    assert data["completed"] == ["business", "contact"]
    assert data["next_step"] == "locations"
    assert [(e["step"], e["field"], e["row"], e["code"]) for e in data["errors"]] == [
        ("locations", "name", 1, "duplicate_name")
    ]
    assert data["not_checked"] == ["hours", "services", "staff"]
    with read_session(api_world.engine) as session:
        row = session.get(OnboardingSession, data["session_id"])
        assert row is not None and "locations" not in (row.draft or {})


def test_too_many_locations_is_the_wizards_limit(api_world: ApiWorld) -> None:
    body = payload()
    base = body["locations"][0]
    body["locations"] = [{**base, "name": f"Sucursal {i}"} for i in range(MAX_LOCATIONS + 1)]
    data = post(api_world, body).json()
    assert [(e["step"], e["field"], e["row"], e["code"]) for e in data["errors"]] == [
        ("locations", "locations", None, "too_many")
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # A missing field, a CUIT with a wrong check digit, a bad e-mail, all at once.
        (
            {"business": "no_cuit", "contact": "bad_email"},
            {("business", "body.business.cuit"), ("contact", "body.contact.email")},
        ),
        ({"business": "bad_cuit"}, {("business", "body.business.cuit")}),
        ({"business": None, "contact": None}, None),  # both missing: every required field
    ],
)
def test_invalid_business_or_contact_create_nothing_and_list_every_field(
    api_world: ApiWorld, change: dict[str, Any], expected: set[tuple[str, str]] | None
) -> None:
    body = payload()
    for step, how in change.items():
        if how is None:
            body.pop(step)
        elif how == "no_cuit":
            body["business"].pop("cuit")
        elif how == "bad_cuit":
            cuit = body["business"]["cuit"]
            body["business"]["cuit"] = cuit[:-1] + str((int(cuit[-1]) + 1) % 10)
        elif how == "bad_email":
            body["contact"]["email"] = "lucia@"
    answer = post(api_world, body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "onboarding_payload_invalid"
    found = {(e["step"], e["field"]) for e in problem["errors"]}
    if expected is None:
        assert {"body.business.legal_name", "body.business.cuit", "body.contact.phone"} <= {
            f for _s, f in found
        }
    else:
        assert found == expected
    nothing_written(api_world)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["business"].update(cuit=30712345), "body.business.cuit"),
        (
            lambda b: b["services"][2].update(duration_min="media hora"),
            "body.services.2.duration_min",
        ),
        (lambda b: b.update(locations={"name": "Centro"}), "body.locations"),
        (lambda b: b.update(surprise=1), "body.surprise"),
        (lambda b: b["staff"][0].update(services="todos"), "body.staff.0.services"),
    ],
)
def test_wrong_json_types_are_a_422_with_the_field_and_row(
    api_world: ApiWorld, mutate: Any, field: str
) -> None:
    body = payload()
    mutate(body)
    answer = post(api_world, body)
    assert answer.status_code == 422
    assert field in {e["field"] for e in answer.json()["errors"]}
    nothing_written(api_world)


def test_messages_follow_accept_language(api_world: ApiWorld) -> None:
    body = payload()
    body["contact"]["email"] = "lucia@"
    english = post(api_world, body).json()
    spanish = post(api_world, body, **{"Accept-Language": "es-AR,es;q=0.9"}).json()
    assert english["detail"].endswith("nothing was created.")
    assert spanish["detail"].endswith("no se creó nada.")
    assert english["errors"][0]["message"] != spanish["errors"][0]["message"]


# ------------------------------------------------------------------------------ idempotency


def test_a_retry_with_the_same_key_replays_the_first_answer(api_world: ApiWorld) -> None:
    body = payload()
    first = post(api_world, body, **{"Idempotency-Key": "signup-8812"})
    # Same body, keys in another order: the canonical body is the same.
    reordered = dict(reversed(list(body.items())))
    again = post(api_world, reordered, **{"Idempotency-Key": "signup-8812"})
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert count(api_world, OnboardingSession) == 1
    # Another caller's key of the same name is theirs: a second session.
    other = post(api_world, body, role="admin", **{"Idempotency-Key": "signup-8812"})
    assert other.status_code == 201 and other.json()["session_id"] != first.json()["session_id"]


def test_the_same_key_with_another_body_is_a_409(api_world: ApiWorld) -> None:
    assert post(api_world, payload(), **{"Idempotency-Key": "k1"}).status_code == 201
    reused = post(api_world, payload(n=2), **{"Idempotency-Key": "k1"})
    assert reused.status_code == 409
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["code"] == "idempotency_key_reused"
    assert count(api_world, OnboardingSession) == 1


def test_a_refused_body_does_not_use_up_the_key(api_world: ApiWorld) -> None:
    bad = payload()
    bad["business"]["cuit"] = "1"
    assert post(api_world, bad, **{"Idempotency-Key": "fix-me"}).status_code == 422
    assert post(api_world, payload(), **{"Idempotency-Key": "fix-me"}).status_code == 201


@pytest.mark.parametrize("key", ["", " padded ", "x" * 201, "tab\tkey", "ñandú".encode()])
def test_a_malformed_key_is_a_422(api_world: ApiWorld, key: str | bytes) -> None:
    answer = post(api_world, payload(), **{"Idempotency-Key": key})
    assert answer.status_code == 422
    assert "header.Idempotency-Key" in {e["field"] for e in answer.json()["errors"]}
    nothing_written(api_world)


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_the_losing_insert_of_a_key_is_refused_by_the_unique_constraint(
    api_world: ApiWorld,
) -> None:
    """The command level (no read-before-write): the second run's key insert fails."""
    steps = payload()
    claim = IdempotencyClaim(
        USERS["onboarding"][0], "onboarding.initiate", "race", request_fingerprint(steps)
    )
    omar = Actor(USERS["onboarding"][0])
    execute(InitiateOnboarding(steps, idempotency=claim), actor=omar, engine=api_world.engine)
    with pytest.raises(IdempotencyKeyTakenError):
        execute(InitiateOnboarding(steps, idempotency=claim), actor=omar, engine=api_world.engine)
    assert count(api_world, OnboardingSession) == 1


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_racing_retries_create_one_session(api_world: ApiWorld) -> None:
    body = payload()
    for attempt in range(3):
        key = f"race-{attempt}"
        barrier = threading.Barrier(2)
        answers: list[Any] = []

        def send(
            key: str = key, barrier: threading.Barrier = barrier, answers: list[Any] = answers
        ) -> None:
            barrier.wait()
            answers.append(post(api_world, body, **{"Idempotency-Key": key}))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [a.status_code for a in answers] == [201, 201]
        assert answers[0].json() == answers[1].json()
        assert sorted(a.headers.get("idempotent-replayed", "no") for a in answers) == ["no", "true"]
    assert count(api_world, OnboardingSession) == 3


# ------------------------------------------------------------------------------ track


def _track(world: ApiWorld, session_id: int, role: str = "executive") -> dict[str, Any]:
    answer = world.client.get(TRACK, params={"session_id": session_id}, headers=world.auth(role))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _complete(world: ApiWorld, body: dict[str, Any]) -> int:
    session_id = int(post(world, body).json()["session_id"])
    omar = Actor(USERS["onboarding"][0])
    integrations = clean_steps()["integrations"]
    execute(SubmitStep(session_id, "integrations", integrations), actor=omar, engine=world.engine)
    execute(VerifyOnboarding(session_id), actor=omar, engine=world.engine)
    return session_id


def test_track_follows_a_session_through_every_status(api_world: ApiWorld) -> None:
    omar, ana = Actor(USERS["onboarding"][0]), Actor(USERS["admin"][0])
    # in progress
    in_progress = int(post(api_world, payload(n=1)).json()["session_id"])
    seen = _track(api_world, in_progress)
    assert seen["status"] == "in_progress" and seen["current_step"] == "integrations"
    states = {s["step"]: s["state"] for s in seen["steps"]}
    assert states["business"] == "completed" and states["integrations"] == "current"
    assert states["activation"] == "pending"
    business = seen["steps"][0]
    assert business["entered_at"].endswith("-03:00") and business["completed_at"].endswith("-03:00")
    assert seen["verification"] == {
        "status": None,
        "reason_codes": [],
        "ran_at": None,
        "checks": [],
    }

    # activated: clean data is approved automatically, then activated
    activated = _complete(api_world, payload(n=2))
    execute(ActivateTenant(activated), actor=omar, engine=api_world.engine)
    seen = _track(api_world, activated, role="onboarding")
    assert seen["status"] == "activated" and seen["tenant_id"] is not None
    assert seen["verification"]["status"] == "auto_approved"
    assert seen["verification"]["ran_at"].endswith("-03:00")
    assert seen["next_step"] is None and seen["activated_at"] is not None
    assert all(s["state"] == "completed" for s in seen["steps"])

    # manual review with reason codes (a Buenos Aires phone for Córdoba locations), rejected
    flagged = payload(n=3)
    flagged["contact"]["phone"] = "011 15 4123 4567"
    rejected = _complete(api_world, flagged)
    seen = _track(api_world, rejected, role="admin")
    assert seen["verification"]["status"] == "manual_review"
    assert seen["verification"]["reason_codes"] == ["phone_area_province"]
    assert [c["code"] for c in seen["verification"]["checks"]] == ["phone_area_province"]
    execute(
        DecideReview(rejected, approve=False, comment="Teléfono de otra provincia"),
        actor=ana,
        engine=api_world.engine,
    )
    assert _track(api_world, rejected)["status"] == "rejected"

    # discarded
    discarded = int(post(api_world, payload(n=4)).json()["session_id"])
    execute(DiscardOnboarding(discarded), actor=omar, engine=api_world.engine)
    seen = _track(api_world, discarded)
    assert seen["status"] == "abandoned" and seen["next_step"] is None


def test_track_answers_404_for_an_unknown_session_and_422_for_a_bad_id(api_world: ApiWorld) -> None:
    client, headers = api_world.client, api_world.auth("admin")
    missing = client.get(TRACK, params={"session_id": 999}, headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "session_missing"
    assert missing.headers["content-type"] == "application/problem+json"
    spanish = client.get(
        TRACK, params={"session_id": 999}, headers={**headers, "Accept-Language": "es"}
    )
    assert spanish.json()["detail"] != missing.json()["detail"]
    for bad in ("abc", "0", "-3", ""):
        answer = client.get(TRACK, params={"session_id": bad}, headers=headers)
        assert (
            answer.status_code == 422 and answer.json()["errors"][0]["field"] == "query.session_id"
        )


# ------------------------------------------------------------------------------ success


@pytest.fixture(scope="module")
def funnel_world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A generated console (sessions of every outcome, its detail snapshot), with users."""
    path = tmp_path_factory.mktemp("onboarding_success") / "console.db"
    url = generated_console(path)
    engine = create_engine_for(url)
    # The generated console has its own users: these take ids and e-mails of their own.
    with write_unit(engine) as session:
        for role, (user_id, name, email) in USERS.items():
            session.add(
                ConsoleUser(id=900 + user_id, full_name=name, email=f"api.{email}", role=role)
            )
    tokens = {role: issue(engine, 900 + user_id) for role, (user_id, _n, _e) in USERS.items()}
    settings = Settings(database_url=url, environment="test", data_dir=Path(path).parent)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield ApiWorld(url, engine, settings, client, tokens)
    engine.dispose()


@pytest.mark.parametrize(
    ("start", "end"), [(date(2025, 9, 1), date(2026, 4, 10)), (date(2026, 1, 1), date(2026, 2, 28))]
)
def test_success_is_what_the_onboarding_funnel_shows(
    funnel_world: ApiWorld, start: date, end: date
) -> None:
    answer = funnel_world.client.get(
        SUCCESS,
        params={"from": start.isoformat(), "to": end.isoformat()},
        headers=funnel_world.auth("executive"),
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["source"] == "snapshot"
    with read_session(funnel_world.engine) as session:
        version = latest_detail_version(session=session)
        assert version is not None
        snapshot = load_snapshot(session=session, version=version)
    assert snapshot is not None
    sessions_frame = snapshot.frames["onboarding_funnel_sessions"]
    filters = Filters(start=start, end=end)
    chosen = funnel.select_sessions(sessions_frame, filters)
    assert data["sessions_started"] == len(chosen) > 5
    tiles = funnel.summarize(chosen, snapshot.created_at)
    assert data["activated"] == tiles["activated"] > 0
    assert data["success_rate"] == pytest.approx(tiles["success_rate"])
    assert data["median_minutes_to_activate"] == pytest.approx(tiles["median_time_to_activate"])
    assert data["automated_verification_rate"] == pytest.approx(tiles["auto_verification_rate"])
    # p90 by hand: numpy's linear interpolation over the activated sessions' minutes.
    activated = chosen[chosen["status"] == "activated"]
    minutes = (activated["activated_at"] - activated["started_at"]).dt.total_seconds() / 60
    assert data["p90_minutes_to_activate"] == pytest.approx(float(np.percentile(minutes, 90)))
    table = funnel.step_table(chosen, snapshot.frames["onboarding_funnel_steps"], locale="en")
    assert [s["step"] for s in data["steps"]] == list(table["step"])
    for step, row in zip(data["steps"], table.itertuples(), strict=True):
        assert (step["entered"], step["completed"]) == (row.entered, row.completed)
        assert step["drop_off"] == row.entered - row.completed
        assert step["step_conversion"] == pytest.approx(row.step_conversion)
        if pd.isna(row.median_minutes):
            assert step["median_minutes"] is None
        else:
            assert step["median_minutes"] == pytest.approx(row.median_minutes)


def test_success_of_an_empty_range_has_no_rates(funnel_world: ApiWorld) -> None:
    data = funnel_world.client.get(
        SUCCESS,
        params={"from": "2020-01-01", "to": "2020-01-31"},
        headers=funnel_world.auth("admin"),
    ).json()
    assert data["sessions_started"] == 0 and data["steps"] == []
    assert data["success_rate"] is None and data["p90_minutes_to_activate"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-01", "to": "2026-02-01"}, "query.from"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "query.from"),
        ({"from": "01/02/2026", "to": "2026-03-01"}, "query.from"),
        ({"from": "2020-01-01", "to": "2026-01-02"}, "query.to"),
        ({"from": "2026-01-01"}, "query.to"),
    ],
)
def test_a_bad_range_is_a_422_naming_the_field(
    funnel_world: ApiWorld, params: dict[str, str], field: str
) -> None:
    answer = funnel_world.client.get(SUCCESS, params=params, headers=funnel_world.auth("admin"))
    assert answer.status_code == 422
    assert field in {e["field"] for e in answer.json()["errors"]}


def test_the_schema_declares_every_answer(api_world: ApiWorld) -> None:
    paths = api_world.client.get("/openapi.json").json()["paths"]
    assert set(paths[INITIATE]["post"]["responses"]) >= {
        "201",
        "401",
        "403",
        "409",
        "413",
        "422",
        "500",
    }
    assert set(paths[TRACK]["get"]["responses"]) >= {"200", "401", "403", "404", "422"}
    assert set(paths[SUCCESS]["get"]["responses"]) >= {"200", "401", "403", "422"}
    assert paths[INITIATE]["post"]["tags"] == ["onboarding"]


def test_expired_keys_are_pruned_by_the_maintenance_job(api_world: ApiWorld) -> None:
    from datetime import timedelta

    from core.clock import now
    from core.jobs.maintenance import prune_job_runs
    from core.jobs.spec import JobContext

    assert post(api_world, payload(n=1), **{"Idempotency-Key": "fresh"}).status_code == 201
    steps = payload(n=2)
    claim = IdempotencyClaim(
        USERS["onboarding"][0], "onboarding.initiate", "stale", request_fingerprint(steps)
    )
    omar = Actor(USERS["onboarding"][0])
    stale_at = now() - timedelta(hours=25)  # its 24 hours are over
    execute(
        InitiateOnboarding(steps, at=stale_at, idempotency=claim),
        actor=omar,
        engine=api_world.engine,
    )
    assert count(api_world, ApiIdempotencyKey) == 2
    context = JobContext(api_world.engine, "tests", 1, api_world.settings)
    assert prune_job_runs(context).rows_touched == 1
    with read_session(api_world.engine) as session:
        assert session.scalars(select(ApiIdempotencyKey.key)).all() == ["fresh"]
    # An expired key may be used again, for another body too.
    again = post(api_world, payload(n=3), **{"Idempotency-Key": "stale"})
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers


def test_db_template_is_migrated_with_the_keys_table(tmp_path: Path) -> None:
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'm.db'}")
    engine = create_engine_for(url)
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ApiIdempotencyKey)) == 0
    engine.dispose()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "http://127.0.0.1:8501"),
        ("https://console.barberpro.com.ar/", "https://console.barberpro.com.ar"),
        ("https://barberpro.com.ar/console", "https://barberpro.com.ar/console"),
        ("console.barberpro.com.ar", None),
        ("javascript:alert(1)", None),
        ("https://console.barberpro.com.ar/?x=1", None),
    ],
)
def test_the_resume_links_base_is_barberpro_console_url(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: str | None
) -> None:
    from core.config import ConfigError

    monkeypatch.setenv("BARBERPRO_CONSOLE_URL", raw)
    if expected is None:
        with pytest.raises(ConfigError, match="BARBERPRO_CONSOLE_URL"):
            Settings.from_env()
    else:
        assert Settings.from_env().console_url == expected
