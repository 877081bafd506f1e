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
