"""Every error is RFC 9457 problem JSON, a server fault never shows its traceback, bodies
are capped, and the OpenAPI schema declares all of it."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import MAX_BODY_BYTES
from api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from core.clock import now
from core.config import Settings
from core.db import write_unit
from core.incidents import recent_incidents
from core.metrics.snapshots import write_snapshot
from tests.api.conftest import ApiWorld

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def _is_problem(answer, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = answer.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    assert body["type"].startswith(PROBLEM_BASE) and body["title"] and body["detail"]
    return body


def test_a_server_fault_is_a_500_with_an_incident_id_and_no_traceback(
    api_world: ApiWorld,
) -> None:
    # A real bad state: a snapshot row whose KPIs are not a mapping (a hand-edited or
    # half-migrated database); reading it fails inside the route.
    with write_unit(api_world.engine) as session:
        write_snapshot(
            session=session,
            as_of=now(),
            kind="incremental",
            kpis=["not", "a", "mapping"],  # type: ignore[arg-type]
            frames={"daily": pd.DataFrame({"day": [now().date()]})},
        )
    answer = api_world.client.get("/api/metrics/snapshot", headers=api_world.auth("admin"))
    body = _is_problem(answer, 500)
    assert set(body) == PROBLEM_KEYS | {"incident"}
    assert body["incident"] in body["detail"]
    assert body["incident"] in [i.id for i in recent_incidents()]
    for leak in ("Traceback", "AttributeError", "list", ".py", "kpis"):
        assert leak not in answer.text


def test_validation_errors_list_each_field(api_world: ApiWorld) -> None:
    too_many = "&".join(f"key=k{i}" for i in range(51))
    answer = api_world.client.get(
        f"/api/metrics/snapshot?{too_many}", headers=api_world.auth("admin")
    )
    body = _is_problem(answer, 422)
    assert body["type"] == PROBLEM_BASE + "validation"
    (error,) = body["errors"]
    assert error["field"] == "query.key" and "50" in error["message"]
    assert "k50" not in answer.text  # the input is not echoed back


def test_unknown_paths_wrong_methods_and_large_bodies_are_problems(api_world: ApiWorld) -> None:
    client = api_world.client
    _is_problem(client.get("/api/nothing-here"), 404)
    _is_problem(client.delete("/api/health"), 405)
    # The cap holds before routing: nothing reads a body over 1 MB.
    body = _is_problem(client.post("/api/health", content=b"x" * (MAX_BODY_BYTES + 1)), 413)
    assert str(MAX_BODY_BYTES) in body["detail"]
    chunks = (b"y" * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 1))
    _is_problem(client.post("/api/health", content=chunks), 413)
    # Under the cap, the route's own answer (here: a GET-only path).
    _is_problem(client.post("/api/health", content=b"{}"), 405)


ERROR_STATUSES = {"401", "403", "413", "422", "500"}


def test_the_openapi_schema_declares_every_error_as_a_problem(api_world: ApiWorld) -> None:
    schema = api_world.client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    problem = schema["components"]["schemas"]["Problem"]
    assert PROBLEM_KEYS | {"errors", "incident"} <= set(problem["properties"])
    routes = {
        path: operation
        for path, methods in schema["paths"].items()
        for operation in methods.values()
    }
    assert set(routes) == {
        "/api/health",
        "/api/production/systems/status",
        "/api/production/launch-readiness",
        "/api/production/monitoring",
        "/api/production/harden",
        "/api/t11/status",
        "/api/t11/execute",
        "/api/t11/execution/track",
        "/api/t11/validation",
        "/api/metrics/snapshot",
        "/api/enterprise/onboarding/initiate",
        "/api/enterprise/onboarding/track",
        "/api/enterprise/onboarding/success",
    }
    for path, operation in routes.items():
        declared = set(operation["responses"])
        expected = {"500"} if path == "/api/health" else ERROR_STATUSES
        assert expected <= declared, path
        (ok,) = {status for status in declared if status.startswith("2")}  # 200, 201 or 202
        for status in declared - {ok}:
            content = operation["responses"][status]["content"]
            assert set(content) == {PROBLEM_MEDIA_TYPE}, (path, status)
            assert content[PROBLEM_MEDIA_TYPE]["schema"]["$ref"].endswith("/Problem")
        success = operation["responses"][ok]["content"]["application/json"]["schema"]
        assert success["$ref"].startswith("#/components/schemas/")
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    # Response models carry examples, so /docs shows what a client gets.
    assert schema["components"]["schemas"]["KpiOut"]["properties"]["key"]["examples"]


@pytest.mark.parametrize(("environment", "served"), [("development", 200), ("production", 404)])
def test_docs_are_served_outside_production_only(
    api_world: ApiWorld, environment: str, served: int
) -> None:
    settings = Settings(database_url=api_world.url, environment=environment)
    with TestClient(create_app(settings)) as client:
        assert client.get("/docs").status_code == served
        assert client.get("/openapi.json").status_code == served
        assert client.get("/api/health").status_code == 200
