"""API tokens in the browser: an administrator issues a token on the page, copies it with
the code block's copy button, and the JSON API (TestClient, same database) answers 200
with it; after revoking it on the page, 401. Keeps docs/screenshots/api_tokens.png (the
list with tokens in every state, without the once-shown token)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from core.auth.api_tokens import issue_api_token, revoke_api_token
from core.clock import now
from core.config import Settings
from core.db import create_engine_for, write_unit
from core.schema import ApiToken
from core.users import add_user, change_user
from tests import db_templates
from tests.e2e.harness import RunningApp, running_app, wait_for_idle

expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "api_tokens.png"
STATUS = "/api/t11/status"  # an executive's read (tests/api/test_tokens.py)


def _people_and_tokens(url: str) -> None:
    """Four users and tokens in every state: what the list looks like after a while."""
    engine = create_engine_for(url)
    with write_unit(engine) as session:
        people = {}
        for key, name, role in (
            ("florencia", "Florencia Ferreyra", "executive"),
            ("omar", "Omar Olmedo", "onboarding"),
            ("gustavo", "Gustavo Ibarra", "cs_manager"),
            ("ana", "Ana Acosta", "admin"),
        ):
            people[key] = add_user(
                session=session,
                email=f"{key}@barberpro.com.ar",
                name=name,
                role=role,
                password=None,
                actor_id=None,
            ).id
        issued = {}
        for label, key, days in (
            ("Finance export (monthly close)", "florencia", 365),
            ("Signup flow: enterprise onboarding", "omar", 90),
            ("Old BI dashboard", "florencia", 30),
            ("Ops status board", "ana", None),
            ("CS spreadsheet sync", "gustavo", 90),
        ):
            issued[label] = issue_api_token(
                session=session,
                user_id=people[key],
                name=label,
                expires_days=days,
                actor_id=people["ana"],
            ).token_id
    with write_unit(engine) as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == issued["Old BI dashboard"])
            .values(expires_at=now() - timedelta(days=3))
        )
        revoke_api_token(
            session=session, token_id=issued["Ops status board"], actor_id=people["ana"]
        )
        change_user(session=session, email="gustavo@barberpro.com.ar", active=False, actor_id=None)
    engine.dispose()


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[tuple[str, Path, RunningApp]]:  # type: ignore[no-untyped-def]
    workdir: Path = tmp_path_factory.mktemp("e2e-api-tokens")
    url = db_templates.migrated_sqlite(f"sqlite:///{workdir / 'console.db'}")
    _people_and_tokens(url)
    with running_app(url, workdir=workdir) as app:
        yield url, workdir, app


def _choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick the first option containing ``option`` in the selectbox labelled ``label``."""
    box = page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    )
    combo = box.get_by_role("combobox")
    combo.click()
    combo.fill(option)
    combo.press("Enter")


def test_issue_copy_call_revoke(console, page) -> None:  # type: ignore[no-untyped-def]
    url, workdir, app = console
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    page.goto(f"{app.url}/api-tokens?lang=en")
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("5 tokens: 2 active, 1 expired, 1 revoked")).to_be_visible()

    # Issue one for Florencia (an executive: she reads the API).
    _choose(page, "For", "florencia@")
    page.get_by_label("Label").fill("Finance pull (e2e)")
    page.get_by_role("button", name="Issue the token").click()
    wait_for_idle(page)
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    code = page.get_by_test_id("stCode")
    expect(code).to_have_count(1)
    # Copy it as a person would: the code block's copy button, then the clipboard.
    code.hover()
    code.get_by_role("button").click()  # the block's only button: "Copy to clipboard"
    copied = page.evaluate("navigator.clipboard.readText()").strip()
    assert copied.startswith("bp_") and copied == code.inner_text().strip()

    settings = Settings(database_url=url, environment="test", data_dir=workdir)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {copied}"}
        answer = client.get(STATUS, headers=headers)
        assert answer.status_code == 200, answer.text

        # Hide it: gone from the page for good.
        page.get_by_role("button", name="I copied it: hide the token").click()
        wait_for_idle(page)
        expect(page.get_by_test_id("stCode")).to_have_count(0)
        assert copied not in page.content()

        # Revoke it on the page, with the confirmation.
        _choose(page, "Token", "Finance pull (e2e)")
        page.get_by_test_id("stCheckbox").filter(has_text="Yes, revoke it").locator("label").click()
        page.get_by_role("button", name="Revoke").click()
        wait_for_idle(page)
        expect(page.get_by_text("revoked: it no longer signs in")).to_be_visible()
        answer = client.get(STATUS, headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    # Never in the console's log.
    assert copied not in app.log_path.read_text(errors="replace")


def test_the_list_in_every_state_pictured(console, page) -> None:  # type: ignore[no-untyped-def]
    _url, _workdir, app = console
    page.goto(f"{app.url}/api-tokens?lang=es_AR")
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="Tokens de API", level=1)).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    table = page.get_by_test_id("stDataFrame")
    expect(table).to_have_count(1)
    # Nothing secret on the page that is pictured: no once-shown token.
    expect(page.get_by_test_id("stCode")).to_have_count(0)
    # Tall enough for the list and both forms (Streamlit scrolls inside its own container).
    page.set_viewport_size({"width": 1440, "height": 1500})
    wait_for_idle(page)
    page.wait_for_timeout(500)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
