"""The API as `make api` serves it: uvicorn with the app factory, called over HTTP with a
token the command line issued; bodies over the cap are refused on the wire."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator

import pytest

from api.limits import MAX_BODY_BYTES
from tests.api.conftest import USERS, ApiWorld
from tests.api.live_server import ROOT, served_api


def _call(url: str, *, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, _lower(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers.items()), error.read()


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


@pytest.fixture
def server(api_world: ApiWorld) -> Iterator[str]:
    with served_api(api_world.url) as base:
        yield base


def test_the_served_api_answers_a_cli_token_over_http(api_world: ApiWorld, server: str) -> None:
    issued = subprocess.run(
        [sys.executable, "-m", "core.users", "token", "--email", USERS["executive"][2]],
        cwd=ROOT,
        env={**os.environ, "BARBERPRO_DATABASE_URL": api_world.url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    token = issued.stdout.strip()
    status, headers, body = _call(server + "/api/t11/status", token=token)
    assert status == 200 and json.loads(body)["jobs"]
    assert "server" not in headers
    status, headers, body = _call(server + "/api/t11/status")
    assert status == 401 and headers["content-type"] == "application/problem+json"
    assert headers["www-authenticate"].startswith("Bearer")
    # Refused from the declared length alone, before a byte of the body is sent (sending
    # it would race the server closing the connection, as with any server that refuses).
    host, port = server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", "/api/health")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.putheader("Content-Type", "application/json")
        connection.endheaders()
        refused = connection.getresponse()
        assert refused.status == 413 and json.loads(refused.read())["status"] == 413
        assert refused.getheader("cache-control") == "no-store"
    finally:
        connection.close()
