"""POST /api/production/monitoring: admins only, the command's validation, 409 for a stale
version, the override stored and audited with the token's user."""

from __future__ import annotations

from sqlalchemy import select

from core.db import read_session
from core.schema import AuditEvent, OpsMonitorOverride
from tests.api.conftest import USERS, ApiWorld

ROUTE = "/api/production/monitoring"
HEARTBEAT = "scheduler.heartbeat"  # declared: warning 20 s, critical 30 s, above is worse


def _overrides(world: ApiWorld) -> list[tuple[str, float | None, float | None, int]]:
    with read_session(world.engine) as session:
        rows = session.scalars(select(OpsMonitorOverride)).all()
        return [(r.monitor_id, r.warning, r.critical, r.version) for r in rows]


def test_an_admin_overrides_a_monitor_and_the_change_is_audited(api_world: ApiWorld) -> None:
    client = api_world.client
    change = {"monitor_id": HEARTBEAT, "warning": 45, "critical": 90, "expected_version": 0}
    assert client.post(ROUTE, json=change).status_code == 401
    for role in ("executive", "cs_manager", "onboarding"):
        refused = client.post(ROUTE, json=change, headers=api_world.auth(role))
        assert refused.status_code == 403, role
    assert _overrides(api_world) == []
    answer = client.post(ROUTE, json=change, headers=api_world.auth("admin"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["warning"], body["critical"]) == (45.0, 90.0)
    assert (body["declared_warning"], body["declared_critical"]) == (20.0, 30.0)
    assert body["window_s"] == 60.0 and body["channel"] == "ops"
    assert body["overridden"] is True and body["override_version"] >= 1
    assert _overrides(api_world) == [(HEARTBEAT, 45.0, 90.0, body["override_version"])]
    with read_session(api_world.engine) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "ops.monitor.override")
        ).one()
    assert event.actor_id == USERS["admin"][0] and event.entity_id == HEARTBEAT
    # A second client that read "no override" is refused, and nothing changes.
    stale = client.post(
        ROUTE,
        json={**change, "warning": 50, "expected_version": 0},
        headers=api_world.auth("admin"),
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_write"
    assert _overrides(api_world) == [(HEARTBEAT, 45.0, 90.0, body["override_version"])]


def test_bad_limits_are_422_with_the_field_and_change_nothing(api_world: ApiWorld) -> None:
    client, headers = api_world.client, api_world.auth("admin")
    cases = [
        ({"monitor_id": HEARTBEAT, "warning": 100, "critical": 90}, "warning"),
        ({"monitor_id": "no.such.monitor", "warning": 1}, "monitor_id"),
        ({"monitor_id": HEARTBEAT, "channel": "sms"}, "channel"),
        ({"monitor_id": HEARTBEAT, "consecutive": 0}, "body.consecutive"),
        ({"monitor_id": HEARTBEAT, "window_s": -5}, "body.window_s"),
        ({"monitor_id": HEARTBEAT, "severity": "critical"}, "body.severity"),
        ({"warning": 1}, "body.monitor_id"),
    ]
    for change, field in cases:
        answer = client.post(ROUTE, json=change, headers=headers)
        assert answer.status_code == 422, (change, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in [error["field"] for error in answer.json()["errors"]], change
    not_finite = client.post(
        ROUTE,
        content=b'{"monitor_id": "scheduler.heartbeat", "warning": NaN}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert not_finite.status_code == 422
    not_json = client.post(
        ROUTE, content=b"{", headers={**headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    same = client.post(
        ROUTE, json={"monitor_id": HEARTBEAT, "warning": 20, "critical": 30}, headers=headers
    )
    assert same.status_code == 422 and "already the limits" in same.json()["detail"]
    assert _overrides(api_world) == []
