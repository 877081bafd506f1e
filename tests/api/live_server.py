"""The API as `make api` serves it: uvicorn with the app factory on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/api/health", timeout=5) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@contextmanager
def served_api(
    database_url: str, *, while_starting: Callable[[], None] | None = None, **env: str
) -> Iterator[str]:
    """Serve the API over ``database_url`` with uvicorn; yield its base URL.

    ``while_starting`` runs while the server imports the app (seconds on a busy machine):
    filling the database then costs no extra time. ``env`` adds environment variables
    (``BARBERPRO_DATA_DIR``...) to the server's.
    """
    port = free_port()
    environment = {
        **os.environ,
        "BARBERPRO_DATABASE_URL": database_url,
        "BARBERPRO_ENV": "test",
        **env,
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--no-server-header"),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if while_starting is not None:
            while_starting()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(base):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the API server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
