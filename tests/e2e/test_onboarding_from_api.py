"""An onboarding the booking platform's signup flow starts through the JSON API, finished
in the wizard in headless Chromium: the operator opens the answer's resume link, completes
the step the API left (integrations), verifies and activates; after a refresh the tenant
is in the directory. The API runs in-process (TestClient) on the console's database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from core.auth.api_tokens import issue_api_token
from core.clock import now
from core.config import Settings
from core.db import create_engine_for, get_engine, read_session, write_unit
from core.i18n import translator
from core.metrics.refresh import refresh_metrics
from core.schema import ConsoleUser, OnboardingSession, Tenant
from core.workflows.onboarding.messages import message
from core.workflows.onboarding.samples import clean_steps
from tests import snapshot_factory as factory
from tests.e2e.conftest import HERE  # noqa: F401 - the browser fixtures live there
from tests.e2e.harness import RunningApp, grant_test_session, running_app, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.clock]
expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshots" / "onboarding_wizard_resumed_from_api.png"
_ = translator("es_AR")  # the console's default language: the resume link carries none


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[tuple[str, RunningApp, Path]]:
    workdir: Path = tmp_path_factory.mktemp("e2e-onboarding-api")
    url = factory.make_database(f"sqlite:///{workdir / 'console.db'}")
    factory.add_operations(url, now())
    refresh_metrics(get_engine(url))  # a first snapshot, as the scheduler would write
    # The browser is signed in as an onboarding operator (harness.grant_test_session).
    with running_app(url, workdir=workdir, signed_in_role="onboarding") as app:
        yield url, app, workdir


def _signup_flow_token(url: str) -> tuple[int, str]:
    """The signup flow's service account (an onboarding user) and its API token."""
    engine = create_engine_for(url)
    with write_unit(engine) as session:
        user = ConsoleUser(
            full_name="Signup flow", email="signup-flow@barberpro.com.ar", role="onboarding"
        )
        session.add(user)
        session.flush()
        issued = issue_api_token(
            session=session,
            user_id=user.id,
            name="booking platform signup",
            expires_days=None,
            actor_id=None,
            comment="e2e",
        )
        user_id = user.id
    engine.dispose()
    return user_id, issued.token


def test_an_onboarding_started_by_the_api_is_activated_in_the_wizard(console, page) -> None:
    url, app, workdir = console
    user_id, token = _signup_flow_token(url)
    steps = clean_steps(n=41, locations=1, staff_per_location=1)
    body = {k: steps[k] for k in ("business", "contact", "locations", "hours", "services", "staff")}
    settings = Settings(database_url=url, environment="test", data_dir=workdir, console_url=app.url)
    with TestClient(create_app(settings)) as client:
        answer = client.post(
            "/api/enterprise/onboarding/initiate",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "signup-41"},
        )
    assert answer.status_code == 201, answer.text
    started = answer.json()
    session_id = started["session_id"]
    assert started["next_step"] == "integrations" and started["errors"] == []
    assert started["resume_url"] == f"{app.url}/onboarding-wizard?session={session_id}"

    # The operator opens the resume link: the wizard is at the step the API left.
    page.goto(started["resume_url"])
    wait_for_idle(page)
    trade_name = body["business"]["trade_name"]
    expect(page.get_by_text(f"{trade_name} · #{session_id}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"7. {_('Integrations')}")).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("button", name=_("Save and continue")).click()
    wait_for_idle(page)
    expect(page.get_by_role("heading", name=f"8. {_('Review and verification')}")).to_be_visible()
    page.get_by_role("button", name=_("Run verification")).click()
    wait_for_idle(page)
    expect(page.get_by_role("heading", name=f"9. {_('Activation')}")).to_be_visible()
    page.get_by_role("button", name=_("Activate tenant")).click()
    wait_for_idle(page)
    expect(page.get_by_role("link", name=_("Open the tenant directory"))).to_be_visible()

    with read_session(get_engine(url)) as session:
        onboarding = session.get(OnboardingSession, session_id)
        assert onboarding is not None and onboarding.status == "activated"
        tenant = session.scalars(select(Tenant).where(Tenant.id == onboarding.tenant_id)).one()
        # Started by the API's user, finished by the operator in the browser.
        assert onboarding.operator_id == user_id
    assert tenant.trade_name == trade_name

    # After the next refresh the tenant is in the directory. An onboarding operator's
    # directory is their book (none): an administrator, on the same browser, looks.
    refresh_metrics(get_engine(url))
    grant_test_session(url, "admin")
    page.goto(f"{app.url}/tenants?lang=en")
    wait_for_idle(page)
    page.get_by_role("textbox", name="Search").fill(trade_name)
    page.keyboard.press("Enter")
    wait_for_idle(page)
    expect(page.get_by_text("1 of")).to_be_visible()


def test_a_resume_link_to_no_session_says_so_once(console, page) -> None:
    url, app, _workdir = console
    grant_test_session(url, "onboarding")  # the operator again (the test above ends as admin)
    page.goto(f"{app.url}/onboarding-wizard?session=987654")
    wait_for_idle(page)
    expect(page.get_by_text(message("session_missing", "es_AR", session_id=987654))).to_be_visible()
    page.goto(f"{app.url}/onboarding-wizard?session=12abc")
    wait_for_idle(page)
    expect(page.get_by_text(_("The link has no valid onboarding number."))).to_be_visible()
