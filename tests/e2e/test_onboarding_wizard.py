"""The onboarding wizard in headless Chromium: start, close the page mid-way, resume from
the URL, finish, activate; the tenant exists and shows in the directory after a refresh."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import get_engine
from core.metrics.refresh import refresh_metrics
from core.schema import OnboardingSession, Tenant
from tests import snapshot_factory as factory
from tests.e2e.conftest import HERE  # noqa: F401 - the browser fixtures live there
from tests.e2e.harness import RunningApp, running_app, session_cookie, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.clock]
expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshots" / "onboarding-wizard.png"
LOCATIONS = (
    "name;address;province;city;mon;tue;wed;thu;fri;sat;sun\n"
    "Centro;San Martín 120;Córdoba;Córdoba;09:00-20:00;09:00-20:00;09:00-20:00;"
    "09:00-20:00;09:00-20:00;09:00-13:00;\n"
)
STAFF = (
    "name;location;role;services;mon;tue;wed;thu;fri;sat;sun\n"
    "Juan Pérez;Centro;barbero;*;10:00-19:00;10:00-19:00;10:00-19:00;10:00-19:00;10:00-19:00;;\n"
)


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[tuple[str, RunningApp]]:
    workdir: Path = tmp_path_factory.mktemp("e2e-onboarding")
    url = factory.make_database(f"sqlite:///{workdir / 'console.db'}")
    factory.add_operations(url, now())
    refresh_metrics(get_engine(url))  # a first snapshot, as the scheduler would write
    with running_app(url, workdir=workdir) as app:
        yield url, app


def choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def save(page, expected_step: str) -> None:  # type: ignore[no-untyped-def]
    # A run draws the step's heading before its form: until the run ends, the button on
    # screen may still be the last step's (stale) one, and a click on it is dropped.
    wait_for_idle(page)
    button = page.get_by_role("button", name="Save and continue")
    expect(button).to_have_count(1)  # the previous step's form has been cleared away
    button.click()
    expect(page.get_by_role("heading", name=expected_step)).to_be_visible()
    wait_for_idle(page)


def paste(page, text: str) -> None:  # type: ignore[no-untyped-def]
    rows = page.get_by_role("textbox", name="Rows")
    # The browser keeps an expander open across reruns when the next step has one in the
    # same place (locations, then staff): a click would close it again.
    if not rows.is_visible():
        page.get_by_text("Paste rows from a spreadsheet").click()
    expect(rows).to_be_visible()
    rows.fill(text)
    expect(rows).to_have_value(text)


def test_onboarding_from_start_to_a_live_tenant_with_a_resume(console, page, browser):
    url, app = console
    page.goto(f"{app.url}/onboarding-wizard?lang=en")
    wait_for_idle(page)
    page.get_by_role("button", name="Start a new onboarding").click()
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="1. Business")).to_be_visible()
    session_id = int(re.search(r"session=(\d+)", page.url).group(1))

    page.get_by_label("Legal name").fill("Peluquería Andes S.A.S.")
    page.get_by_label("Trade name").fill("Peluquería Andes")
    page.get_by_label("CUIT").fill("30 71234574 4")
    choose(page, "Tax status", "Responsable Inscripto")
    choose(page, "Legal form", "S.A.S.")
    choose(page, "Business type", "Barbershop")
    choose(page, "Plan", "profesional (pro)")
    choose(page, "Tier", "pro")
    save(page, "2. Contact")
    page.get_by_label("Owner's name").fill("Martín Andes")
    page.get_by_label("E-mail").fill("martin@peluqueriaandes.com.ar")
    page.get_by_label("Mobile phone").fill("0351 15 555-0101")
    save(page, "3. Locations")
    page.screenshot(path=str(app.log_path.parent / "before-close.png"))

    # The operator closes the browser; a new one opens the link and resumes.
    resumed_url = page.url
    page.context.close()
    context = browser.new_context(viewport={"width": 1440, "height": 1100}, locale="es-AR")
    context.add_cookies([session_cookie()])  # the operator, signed in on the new browser
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(resumed_url)
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="3. Locations")).to_be_visible()
    expect(page.get_by_text(f"Peluquería Andes · #{session_id}")).to_be_visible()

    paste(page, LOCATIONS)
    save(page, "4. Opening hours")
    save(page, "5. Services")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    save(page, "6. Staff")
    paste(page, STAFF)
    save(page, "7. Integrations")
    save(page, "8. Review and verification")
    page.get_by_role("button", name="Run verification").click()
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="9. Activation")).to_be_visible()
    page.get_by_role("button", name="Activate tenant").click()
    wait_for_idle(page)
    expect(page.get_by_text("is live as tenant")).to_be_visible()

    engine = get_engine(url)
    with Session(engine) as session:
        tenant = session.scalars(select(Tenant).where(Tenant.cuit == "30-71234574-4")).one()
        onboarding = session.get(OnboardingSession, session_id)
    assert (onboarding.status, onboarding.tenant_id) == ("activated", tenant.id)

    # After the next refresh the tenant is in the directory.
    refresh_metrics(engine)
    page.goto(f"{app.url}/tenants?lang=en")
    wait_for_idle(page)
    page.get_by_role("textbox", name="Search").fill("Andes")
    page.keyboard.press("Enter")
    wait_for_idle(page)
    expect(page.get_by_text("1 of")).to_be_visible()
    context.close()
