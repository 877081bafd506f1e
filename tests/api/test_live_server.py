"""The API as `make api` serves it: uvicorn with the app factory, called over HTTP with a
token the command line issued; bodies over the cap are refused on the wire."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from api.limits import MAX_BODY_BYTES
from tests.api.conftest import USERS, ApiWorld

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    port = _free_port()
    env = {**os.environ, "BARBERPRO_DATABASE_URL": api_world.url, "BARBERPRO_ENV": "test"}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--no-server-header"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _call(base + "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the API server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


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
