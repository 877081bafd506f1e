"""/docs and /openapi.json: open in development; in production only to an admin's API
token or an admin's console session cookie, else the 404 of an unknown path."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.auth.sessions import SESSION_COOKIE, start_session
from core.db import write_unit
from core.schema import ConsoleUser
from tests.api.conftest import USERS, ApiWorld

PATHS = ("/docs", "/openapi.json")


def _console_cookie(world: ApiWorld, role: str) -> str:
    """A console sign-in session for the role's user, as the sign-in form opens one."""
    with write_unit(world.engine) as session:
        user = session.get(ConsoleUser, USERS[role][0])
        assert user is not None
        return start_session(session=session, user=user, method="password", settings=world.settings)


def _with_cookie(client: TestClient, path: str, cookie: str) -> int:
    client.cookies.set(SESSION_COOKIE, cookie)
    try:
        return client.get(path).status_code
    finally:
        client.cookies.clear()


@pytest.fixture
def production(api_world: ApiWorld) -> TestClient:
    settings = replace(api_world.settings, environment="production")
    return TestClient(create_app(settings), raise_server_exceptions=False)


def test_development_serves_the_docs_to_anyone(api_world: ApiWorld) -> None:
    for path in PATHS:
        assert api_world.client.get(path).status_code == 200, path
    schema = api_world.client.get("/openapi.json").json()
    assert "/api/production/monitoring" in schema["paths"]
    assert "/docs" not in schema["paths"] and "/openapi.json" not in schema["paths"]


def test_production_serves_the_docs_to_admins_only(
    api_world: ApiWorld, production: TestClient
) -> None:
    with production as client:
        for path in PATHS:
            hidden = client.get(path)
            assert hidden.status_code == 404, path
            assert hidden.headers["content-type"] == "application/problem+json"
            assert hidden.json()["detail"] == client.get("/no/such/path").json()["detail"]
            for role in ("executive", "cs_manager", "onboarding"):
                assert client.get(path, headers=api_world.auth(role)).status_code == 404
                assert _with_cookie(client, path, _console_cookie(api_world, role)) == 404
            for junk in ("Bearer bp_" + "x" * 43, "Bearer", "Basic YTpi"):
                assert client.get(path, headers={"Authorization": junk}).status_code == 404
            assert _with_cookie(client, path, "forged") == 404
            assert client.get(path, headers=api_world.auth("admin")).status_code == 200
            assert _with_cookie(client, path, _console_cookie(api_world, "admin")) == 200
        schema = client.get("/openapi.json", headers=api_world.auth("admin")).json()
        assert "/api/t11/status" in schema["paths"]
        page = client.get("/docs", headers=api_world.auth("admin"))
        assert "swagger-ui" in page.text and "/openapi.json" in page.text
