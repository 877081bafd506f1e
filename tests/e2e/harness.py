"""Run the real console headless and drive it with Playwright (sync API).

``running_app(db_url, env)`` starts ``streamlit run serve.py`` (the console behind its
sign-in gate) against a database and yields its URL; ``wait_for_idle(page)`` waits, like
Streamlit's own e2e suite, until the app is connected and no script run is in progress.

Browser tests are signed in: before a server starts, its database gets an account for
``signed_in_role`` and a server-side session for this process's E2E_SESSION_TOKEN, which
the ``page`` fixture sets as the session cookie (cookies ignore ports, so one token
serves every server of the run). Tests of sign-in itself use ``anonymous_page``.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.auth.sessions import SESSION_COOKIE
from core.i18n import gettext

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("BARBERPRO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
E2E_SESSION_TOKEN = secrets.token_urlsafe(32)


def e2e_email(role: str) -> str:
    return f"e2e-{role}@barberpro.test"


def grant_test_session(db_url: str, role: str = "admin", user_id: int | None = None) -> int:
    """A session for E2E_SESSION_TOKEN in ``db_url``: as the user ``user_id`` when given,
    else as an account with ``role`` (created when missing). Returns the user's id."""
    from sqlalchemy import select

    from core.auth.passwords import hash_password
    from core.auth.sessions import token_hash
    from core.clock import now
    from core.db import create_engine_for, write_unit
    from core.schema import AuthSession, ConsoleUser

    engine = create_engine_for(db_url)
    try:
        with write_unit(engine) as session:
            email = e2e_email(role)
            if user_id is not None:
                user = session.get(ConsoleUser, user_id)
            else:
                user = session.scalar(select(ConsoleUser).where(ConsoleUser.email == email))
            if user is None:
                user = ConsoleUser(
                    email=email,
                    full_name=f"E2E {role}",
                    role=role,
                    active=True,
                    # Nobody types it: the cookie carries the session. It makes the
                    # account one that could sign in (production checks for one).
                    password_hash=hash_password(secrets.token_urlsafe(24)),
                )
                session.add(user)
                session.flush()
            digest = token_hash(E2E_SESSION_TOKEN)
            existing = session.scalar(select(AuthSession).where(AuthSession.token_hash == digest))
            if existing is not None:
                session.delete(existing)
                session.flush()
            moment = now()
            session.add(
                AuthSession(
                    token_hash=digest,
                    user_id=user.id,
                    method="password",
                    created_at=moment,
                    last_active_at=moment,
                    idle_timeout_s=7 * 86400.0,
                )
            )
            return user.id
    finally:
        engine.dispose()


def session_cookie(url: str = "http://127.0.0.1") -> dict[str, object]:
    return {"name": SESSION_COOKIE, "value": E2E_SESSION_TOKEN, "url": url, "httpOnly": True}


@dataclass(frozen=True)
class RunningApp:
    url: str
    log_path: Path
    process: subprocess.Popen  # type: ignore[type-arg]
    db_url: str = ""  # the database it serves

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def running_app(
    db_url: str,
    env: dict[str, str] | None = None,
    *,
    workdir: Path | None = None,
    port: int | None = None,
    start_timeout_s: float = 60,
    signed_in_role: str | None = "admin",
    signed_in_user_id: int | None = None,
    extra_args: list[str] | None = None,
) -> Iterator[RunningApp]:
    """Serve the console on a free port against ``db_url``; stop it on exit.

    ``env`` adds or overrides environment variables. The defaults turn the embedded
    scheduler and the simulator off, so a test controls every snapshot; to run the real
    pipeline pass ``{"BARBERPRO_EMBEDDED_SCHEDULER": "true", "BARBERPRO_SIMULATOR": "true"}``
    and, for speed, ``BARBERPRO_REFRESH_INTERVAL_S``. The server log goes to
    ``workdir/streamlit.log`` (a new temporary folder by default).
    """
    workdir = workdir or Path(tempfile.mkdtemp(prefix="barberpro-e2e-"))
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "streamlit.log"
    process_env = {
        **os.environ,
        "BARBERPRO_DATABASE_URL": db_url,
        "BARBERPRO_EMBEDDED_SCHEDULER": "false",
        "BARBERPRO_SIMULATOR": "false",
        **(env or {}),
    }
    if signed_in_role is not None or signed_in_user_id is not None:
        grant_test_session(db_url, signed_in_role or "admin", signed_in_user_id)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "serve.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        *(extra_args or []),
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=process_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    app = RunningApp(url=url, log_path=log_path, process=process, db_url=db_url)
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode}:\n{app.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not become healthy:\n{app.log_tail()}")
            time.sleep(0.25)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for_idle(page, timeout_ms: float = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Connected to the server, no script running, no running-status widget shown."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout_ms
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms
    )
    page.wait_for_selector("[data-testid='stStatusWidget']", state="hidden", timeout=timeout_ms)


def open_in_this_session(page, address: str) -> None:  # type: ignore[no-untyped-def]
    """Go to ``address`` the way history navigation does: Streamlit asks the server to
    run that page in the open session (no new page load, no new session)."""
    page.evaluate(
        "address => { history.pushState(null, '', address);"
        " dispatchEvent(new PopStateEvent('popstate')); }",
        address,
    )


# "snapshot v42" in the status line, in the console's default language (es_AR).
SNAPSHOT_VERSION = re.compile(
    re.escape(
        gettext("Data as of {when} ({age}) · snapshot v{version}", "es_AR").split("{when}")[0]
    )
    + r".*?v(\d+)"
)

# The live consoles' data set (tests/e2e/test_live_today.py, test_live_pipeline.py): the
# size `make run` would be too slow for a browser test. A module that starts one more live
# console takes ``generated_copy(workdir / "live.db", **LIVE_DATA_SET)`` (tests/
# generated_data.py): one generation per `make test`, a file copy for every other module.
LIVE_DATA_SET = {"tenants": 12, "months": 2, "seed": 3}
