"""Single sign-on end to end: the console's st.login against a real OpenID Connect
provider process (tests/oidc_provider.py) on localhost, in headless Chromium."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import create_engine_for, write_unit
from core.schema import AuditEvent, AuthSession
from core.users import add_user
from tests import snapshot_factory as factory
from tests.e2e.harness import ROOT, RunningApp, free_port, running_app, wait_for_idle

MEMBER = "sol.medina@barberpro.com.ar"


@dataclass(frozen=True)
class Sso:
    app: RunningApp
    url: str


def _wait_for(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def sso(tmp_path_factory) -> Iterator[Sso]:  # type: ignore[no-untyped-def]
    workdir: Path = tmp_path_factory.mktemp("sso")
    url = factory.make_database(f"sqlite:///{workdir / 'console.db'}")
    at = now()
    factory.add_snapshot(url, at - timedelta(seconds=5), factory.realistic_daily(at.date()))
    engine = create_engine_for(url)
    with write_unit(engine) as session:  # a console user who has no password at all
        add_user(
            session=session,
            email=MEMBER,
            name="Sol Medina",
            role="cs_manager",
            password=None,
            actor_id=None,
        )
    engine.dispose()
    provider_port, app_port = free_port(), free_port()
    client_id, client_secret = "barberpro-console", secrets.token_urlsafe(24)
    provider = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.oidc_provider",
            "--port",
            str(provider_port),
            "--client-id",
            client_id,
            "--client-secret",
            client_secret,
        ],
        cwd=ROOT,
    )
    issuer = f"http://127.0.0.1:{provider_port}"
    secrets_file = workdir / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{client_id}"\n'
        f'client_secret = "{client_secret}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )
    try:
        _wait_for(f"{issuer}/.well-known/openid-configuration")
        with running_app(
            url,
            {"BARBERPRO_REFRESH_INTERVAL_S": "3600"},
            workdir=workdir,
            port=app_port,
            signed_in_role=None,
            extra_args=["--secrets.files", str(secrets_file)],
        ) as app:
            yield Sso(app, url)
    finally:
        provider.terminate()
        provider.wait(timeout=10)


def _through_the_provider(page, sso: Sso, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{sso.app.url}/revenue?lang=en")
    expect(page).to_have_url(re.compile(r"/signin\?"))
    page.get_by_role("link", name="Sign in with your company account").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible(timeout=60_000)
    page.get_by_label("Who are you").fill(email)
    page.get_by_role("button", name="Continue").click()


def test_a_console_user_signs_in_through_the_identity_provider(sso: Sso, anonymous_page) -> None:  # type: ignore[no-untyped-def]
    page = anonymous_page
    _through_the_provider(page, sso, MEMBER)
    wait_for_idle(page, timeout_ms=90_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Sol Medina")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["barberpro_session"]["httpOnly"]
    engine = create_engine_for(sso.url)
    with Session(engine) as session:
        row = session.scalars(select(AuthSession).order_by(AuthSession.id.desc())).first()
        actions = list(session.scalars(select(AuditEvent.action)))
    engine.dispose()
    assert row is not None and row.method == "oidc" and row.source_hash
    assert "auth.sign_in" in actions
    # Signing out ends the console session and forgets the provider login. (The provider
    # sends the browser back to "/", so the console is in its default Spanish.)
    sidebar.get_by_role("button", name="Salir").click()
    page.wait_for_url(re.compile(r"/signin\?"), timeout=60_000)
    page.goto(f"{sso.app.url}/revenue?lang=en")
    expect(page).to_have_url(re.compile(r"/signin\?"))


def test_someone_without_a_console_account_gets_a_clear_no_access(sso: Sso, anonymous_page) -> None:  # type: ignore[no-untyped-def]
    page = anonymous_page
    _through_the_provider(page, sso, "visitante@gmail.com")
    expect(page).to_have_url(re.compile(r"/signin\?"), timeout=60_000)
    expect(page.get_by_role("alert")).to_contain_text(
        "Ingresaste como visitante@gmail.com, pero ninguna cuenta activa de la consola tiene "
        "ese e-mail."
    )
    assert "barberpro_session" not in {c["name"] for c in page.context.cookies()}
