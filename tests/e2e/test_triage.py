"""A CS manager works the queue in a real browser: open alert -> playbook -> log action ->
close with outcome; the database and the audit log show every step."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import history
from core.clock import now
from core.db import create_engine_for
from core.migrate import upgrade_database
from core.schema import CsAlert, CsAlertAction
from core.workflows.alerts.engine import run_alert_rules
from tests.core.workflows.alerts_fixtures import World, add_failed_invoice, make_world
from tests.e2e.harness import RunningApp, running_app, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.clock]
expect = pytest.importorskip("playwright.sync_api", reason="e2e tests need playwright").expect


class NeverHeldOut(random.Random):
    def random(self) -> float:
        return 0.99  # above any holdout share: every alert is treated


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[tuple[str, World, RunningApp]]:  # type: ignore[no-untyped-def]
    workdir: Path = tmp_path_factory.mktemp("e2e-triage")
    url = f"sqlite:///{workdir / 'console.db'}"
    upgrade_database(url)
    engine = create_engine_for(url)
    world = make_world(engine)
    add_failed_invoice(engine, world.tenants[0], issued=now().date() - timedelta(days=2))
    with Session(engine) as session, session.begin():
        run_alert_rules(session=session, at=now(), rng=NeverHeldOut())
    engine.dispose()
    # Signed in as the CS manager whose book holds the tenant.
    with running_app(url, workdir=workdir, signed_in_user_id=world.manager) as app:
        yield url, world, app


def choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick ``option`` (a substring of its text) in the Streamlit selectbox named ``label``."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    combo = box.get_by_role("combobox")
    combo.click()
    combo.fill(option)  # typing filters the list to the matching options
    combo.press("Enter")  # and Enter picks the first of them
    wait_for_idle(page)


def test_open_alert_playbook_log_action_close(console, page) -> None:  # type: ignore[no-untyped-def]
    url, world, app = console
    page.goto(f"{app.url}/triage?lang=en")
    wait_for_idle(page)
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)

    # Open the alert from the queue.
    choose(page, "Open alert", "Failed invoice")
    expect(page.get_by_text("Why this alert")).to_be_visible()
    expect(page.get_by_role("link", name="Open Tenant 360")).to_have_attribute(
        "href", f"/tenant-360?tenant={world.tenants[0]}&lang=en"
    )

    # Work the playbook: tick its first task.
    page.get_by_role("tab", name="Playbook", exact=True).click()
    page.get_by_test_id("stCheckbox").filter(has_text="Call the owner").locator("label").click()
    wait_for_idle(page)
    expect(page.get_by_text("Task updated.")).to_be_visible()

    # Log an action.
    page.get_by_role("tab", name="Log action", exact=True).click()
    choose(page, "What did you do?", "WhatsApp")
    page.get_by_label("Note").first.fill("Sent the payment link by WhatsApp")
    page.get_by_role("button", name="Log action").click()
    wait_for_idle(page)
    expect(page.get_by_text("Action logged.")).to_be_visible()

    # Closing without an outcome is refused; with one, the alert closes.
    page.get_by_role("tab", name="Close", exact=True).click()
    page.get_by_role("button", name="Close alert").click()
    wait_for_idle(page)
    expect(page.get_by_text("Choose an outcome to close the alert.")).to_be_visible()
    choose(page, "Outcome", "Resolved")
    page.get_by_role("button", name="Close alert").click()
    wait_for_idle(page)
    expect(page.get_by_text("Alert closed.")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(app.log_path.parent / "triage.png"), full_page=True)

    engine = create_engine_for(url)
    with Session(engine) as session:
        alert = session.scalars(select(CsAlert).where(CsAlert.reason == "failed_invoice")).one()
        action = session.scalars(select(CsAlertAction)).one()
        events = [e.action for e in history(session=session, entity="alert", entity_id=alert.id)]
    engine.dispose()
    assert (alert.status, alert.outcome, alert.closed_by_id) == (
        "closed",
        "resolved",
        world.manager,
    )
    assert alert.tasks[0]["done_by"] == world.manager
    assert (action.kind, action.note) == ("whatsapp", "Sent the payment link by WhatsApp")
    assert events == ["alert.open", "alert.task", "alert.log_action", "alert.close"]
