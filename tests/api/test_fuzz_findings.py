"""What Schemathesis found (tests/api/test_schemathesis.py), each input reproduced: the
answer is the right one and nothing changed."""

from __future__ import annotations

from sqlalchemy import func, select

from api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from core.db import read_session
from core.schema import AuditEvent, OpsMonitorOverride
from tests.api.conftest import ApiWorld

MONITORING = "/api/production/monitoring"


def _writes(world: ApiWorld) -> tuple[int, int]:
    with read_session(world.engine) as session:
        overrides = session.scalar(select(func.count()).select_from(OpsMonitorOverride))
        audited = session.scalar(select(func.count()).select_from(AuditEvent))
    return int(overrides or 0), int(audited or 0)


def test_a_json_body_that_is_not_utf8_is_a_422_like_any_malformed_json(
    api_world: ApiWorld,
) -> None:
    # Found: `-d $'\xff'` answered an undeclared 400 ("There was an error parsing the
    # body") while `-d '{'` answered 422. JSON is UTF-8 (RFC 8259 §8.1): both are one
    # client error, answered as the schema declares.
    headers = {**api_world.auth("admin"), "Content-Type": "application/json"}
    before = _writes(api_world)
    for body in (b"\xff", b'{"monitor_id": "scheduler.heartbeat\xe9"}', b"{"):
        answer = api_world.client.post(MONITORING, content=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
        problem = answer.json()
        assert problem["type"] == PROBLEM_BASE + "validation" and problem["status"] == 422
        (error,) = problem["errors"]
        assert error["field"].startswith("body") and "JSON decode error" in error["message"]
    assert _writes(api_world) == before


def test_a_query_parameter_the_route_does_not_declare_is_a_422(api_world: ApiWorld) -> None:
    # Found: `GET /api/metrics/snapshot?Q%05=&...` answered 200. A typo is the real harm:
    # `?keys=mrr` answered every metric, and the client believed it had filtered.
    client, admin = api_world.client, api_world.auth("admin")
    before = _writes(api_world)
    answer = client.get("/api/metrics/snapshot?keys=mrr&key=bookings", headers=admin)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = answer.json()
    assert problem["code"] == "unknown_parameter"
    assert problem["errors"] == [
        {
            "field": "query.keys",
            "message": "Not a parameter of this route (see its OpenAPI schema).",
        }
    ]
    hostile = "x" * 500
    answer = client.get(f"/api/t11/status?{hostile}=1&verbose=1", headers=admin)
    fields = [e["field"] for e in answer.json()["errors"]]
    assert answer.status_code == 422 and fields == ["query.verbose", f"query.{'x' * 60}"]
    # Declared parameters still work; the refusals before it keep their order.
    assert client.get("/api/t11/status", headers=admin).status_code == 200
    assert client.get("/api/t11/status?verbose=1").status_code == 401
    forbidden = client.get("/api/t11/status?verbose=1", headers=api_world.auth("cs_manager"))
    assert forbidden.status_code == 403
    refused = client.post(
        f"{MONITORING}?dry_run=1",
        json={"monitor_id": "scheduler.heartbeat", "warning": 45},
        headers=admin,
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "query.dry_run"
    assert _writes(api_world) == before
