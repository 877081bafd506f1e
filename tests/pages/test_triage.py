"""The Triage page with AppTest: the queue opens on the user's book; forms refuse bad input."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.auth.sessions import SignedInUser
from core.clock import now, today
from core.db import get_engine
from core.migrate import upgrade_database
from core.schema import AuditEvent, CsAlert
from core.workflows.alerts.engine import run_alert_rules
from tests.core.workflows.alerts_fixtures import add_failed_invoice, make_world
from tests.pages.helpers import as_read, page_env
from ui.auth import signed_in_as

# Alerts are raised "now" and the snooze date defaults to a week from today.
pytestmark = pytest.mark.clock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def triage_env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'triage.db'}"
    upgrade_database(url)
    engine = get_engine(url)
    world = make_world(engine)
    add_failed_invoice(engine, world.tenants[0], issued=now().date() - timedelta(days=2))
    with Session(engine) as session, session.begin():
        # At the real clock the fixture's rollup is old: "no bookings" fires for all three.
        run = run_alert_rules(session=session, at=now(), rng=random.Random(0))
    page_env(monkeypatch, url)
    # Signed in as Ana, the CS manager whose book holds every tenant of the fixture.
    with signed_in_as(
        SignedInUser(world.manager, "ana@barberpro.com.ar", "Ana Gómez", "cs_manager")
    ):
        yield engine, world, run.opened


def open_page(alert_id: int | None = None, lang: str = "en") -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["lang"] = lang
    if alert_id is not None:
        app.query_params["alert"] = str(alert_id)
    app.run()
    app.switch_page("app_pages/triage.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def failed_invoice_alert(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return int(session.scalar(select(CsAlert.id).where(CsAlert.reason == "failed_invoice")))


def test_the_queue_opens_on_the_current_users_book(triage_env) -> None:  # type: ignore[no-untyped-def]
    engine, world, opened = triage_env
    app = open_page()
    assert app.title[0].value == "Triage queue"
    # A CS manager's queue is their own book, with no way to pick another.
    assert "Your book of business" in [c.value for c in app.caption]
    assert not [b for b in app.selectbox if b.key == f"triage_owner_{world.manager}"]
    queue = app.dataframe[0].value
    treated = [i for i in opened if _arm(engine, i) == "treated"]
    assert sorted(queue["alert_id"]) == sorted(treated)
    assert [m.label for m in app.metric][:4] == [
        "Open alerts",
        "Snoozed alerts",
        "Escalated alerts",
        "Priority in queue",
    ]
    app.multiselect(key="triage_reason").set_value(["failed_invoice"]).run()
    assert set(app.dataframe[0].value["reason"]) == {"Failed invoice"}


def _arm(engine, alert_id: int) -> str:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.get(CsAlert, alert_id).arm  # type: ignore[union-attr]


def test_closing_without_an_outcome_is_refused(triage_env) -> None:  # type: ignore[no-untyped-def]
    engine, world, _ = triage_env
    alert_id = failed_invoice_alert(engine)
    app = open_page(alert_id)
    assert any("Why this alert" in m.value for m in app.markdown)
    audits = _audit_count(engine)
    close_form_button(app).click().run()
    assert [as_read(e.value) for e in app.error] == ["Choose an outcome to close the alert."]
    assert _audit_count(engine) == audits

    app.selectbox(key="triage_close_outcome").set_value("resolved")
    close_form_button(app).click().run()
    assert not app.error
    with Session(engine) as session:
        alert = session.get(CsAlert, alert_id)
        assert (alert.status, alert.outcome) == ("closed", "resolved")  # type: ignore[union-attr]
        assert alert.closed_by_id == world.manager  # type: ignore[union-attr]


def test_a_refused_command_reaches_the_page_translated(triage_env) -> None:  # type: ignore[no-untyped-def]
    engine, _world, _ = triage_env
    alert_id = failed_invoice_alert(engine)
    app = open_page(alert_id, lang="es_AR")
    audits = _audit_count(engine)
    button(app, "Cerrar alerta").click().run()
    assert [as_read(e.value) for e in app.error] == ["Elegí un resultado para cerrar la alerta."]
    assert _audit_count(engine) == audits


def test_snoozing_into_the_past_is_refused(triage_env) -> None:  # type: ignore[no-untyped-def]
    engine, _world, _ = triage_env
    alert_id = failed_invoice_alert(engine)
    app = open_page(alert_id)
    app.date_input(key="triage_snooze_until").set_value(today() - timedelta(days=1))
    app.text_input(key="triage_snooze_reason").input("owner on holiday")
    button(app, "Snooze").click().run()
    assert len(app.error) == 1
    assert as_read(app.error[0].value).startswith("A snooze must end in the future")
    with Session(engine) as session:
        assert session.get(CsAlert, alert_id).status == "open"  # type: ignore[union-attr]


def test_logging_an_action_and_ticking_a_task(triage_env) -> None:  # type: ignore[no-untyped-def]
    engine, _world, _ = triage_env
    alert_id = failed_invoice_alert(engine)
    app = open_page(alert_id)
    app.selectbox(key="triage_action_kind").set_value("call")
    app.text_area(key="triage_action_note").input("owner will pay Friday")
    button(app, "Log action").click().run()
    assert app.success[0].value == "Action logged."
    first_task = next(c for c in app.checkbox if c.key.startswith(f"triage_task_{alert_id}_0_"))
    first_task.check().run()
    with Session(engine) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity == "alert", AuditEvent.entity_id == str(alert_id)
            )
        ).all()
    assert actions[-2:] == ["alert.log_action", "alert.task"]


def _audit_count(engine) -> int:  # type: ignore[no-untyped-def]
    """Audited changes (reads of personal data are audited too, but change nothing)."""
    with Session(engine) as session:
        return len(
            session.scalars(
                select(AuditEvent.id).where(AuditEvent.action != "tenant.view_personal_data")
            ).all()
        )


def button(app: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in app.button if b.label == label)


def close_form_button(app: AppTest):  # type: ignore[no-untyped-def]
    return button(app, "Close alert")


def test_the_notification_form_refuses_internal_addresses_and_never_shows_the_url(
    triage_env, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from core.schema import CsNotificationPref
    from core.security import markdown_safe, webhooks
    from core.security.sealing import unseal

    engine, world, _ = triage_env
    # No DNS in the tests: hooks.slack.com "resolves" to a public address.
    monkeypatch.setattr(webhooks, "system_resolver", lambda host: ["52.0.10.20"])
    monkeypatch.delenv("BARBERPRO_WEBHOOK_ALLOW_LOCAL", raising=False)
    app = open_page()
    audits = _audit_count(engine)
    app.text_input(key="triage_notify_webhook").input("http://127.0.0.1:8501/")
    app.button(key="triage_notify_save").click().run()
    # Shown as text (ui/errors.py escapes it): the message, not a link.
    assert [e.value for e in app.error] == [
        markdown_safe("The webhook address must start with https://.")
    ]
    assert _audit_count(engine) == audits

    secret = "https://hooks.slack.com/services/T0/B0/PageSecret1234"
    app.text_input(key="triage_notify_webhook").input(secret)
    app.button(key="triage_notify_save").click().run()
    assert not app.error and app.success[0].value == "Notification settings saved."
    with Session(engine) as session:
        stored = session.get(CsNotificationPref, world.manager).webhook_url  # type: ignore[union-attr]
    assert unseal(stored) == secret  # type: ignore[arg-type]
    # The page shows the masked form only; the field stays empty.
    shown = [c.value for c in app.caption] + [m.value for m in app.markdown]
    assert any("1234" in text and "hooks" in text for text in shown)
    assert app.text_input(key="triage_notify_webhook").value == ""
    assert not [t for t in shown + [i.value for i in app.text_input] if "PageSecret" in str(t)]

    # Saving with the field empty keeps it; ticking "Remove the webhook" removes it.
    app.text_input(key="triage_notify_email").input("ana@barberpro.com.ar")
    app.button(key="triage_notify_save").click().run()
    with Session(engine) as session:
        assert session.get(CsNotificationPref, world.manager).webhook_url == stored  # type: ignore[union-attr]
    app.checkbox(key="triage_notify_remove").check()
    app.button(key="triage_notify_save").click().run()
    with Session(engine) as session:
        assert session.get(CsNotificationPref, world.manager).webhook_url is None  # type: ignore[union-attr]


def test_a_card_read_before_another_windows_change_is_refused(triage_env) -> None:  # type: ignore[no-untyped-def]
    from core.commands import Actor, execute
    from core.workflows.alerts.commands import SnoozeAlert

    engine, world, _ = triage_env
    alert_id = failed_invoice_alert(engine)
    app = open_page(alert_id, lang="es_AR")
    with Session(engine) as session:
        shown = session.get(CsAlert, alert_id).version  # type: ignore[union-attr]
    # Another window snoozes the alert while this card is open.
    execute(
        SnoozeAlert(alert_id, today() + timedelta(days=3), "otra ventana", expected_version=shown),
        actor=Actor(world.manager),
        engine=engine,
    )
    app.selectbox(key="triage_close_outcome").set_value("resolved")
    button(app, "Cerrar alerta").click().run()
    assert [as_read(e.value) for e in app.error] == [
        "Esto cambió en otra ventana; recargá para ver lo último."
    ]
    with Session(engine) as session:
        alert = session.get(CsAlert, alert_id)
        assert (alert.status, alert.version) == ("snoozed", shown + 1)  # type: ignore[union-attr]


def test_tenant_written_text_on_the_card_shows_as_text(triage_env) -> None:  # type: ignore[no-untyped-def]
    import markdown_it

    from core.schema import NpsResponse, Tenant

    engine, world, _ = triage_env
    tenant = world.tenants[1]
    comment = "![x](https://evil.example/p.png) [click](https://evil.example) <b>caro</b>"
    with Session(engine) as session, session.begin():
        session.get(Tenant, tenant).trade_name = "**Evil** [co](https://evil.example)"  # type: ignore[union-attr]
        session.add(
            NpsResponse(
                tenant_id=tenant, responded_at=now() - timedelta(hours=2), score=1, comment=comment
            )
        )
    with Session(engine) as session, session.begin():
        run_alert_rules(session=session, at=now(), rng=random.Random(0))
    with Session(engine) as session:
        alert_id = session.scalar(
            select(CsAlert.id).where(CsAlert.tenant_id == tenant, CsAlert.reason == "nps_detractor")
        )
    assert alert_id is not None
    app = open_page(int(alert_id))
    shown = [m.value for m in app.markdown] + [s.value for s in app.subheader]
    # The comment and the name are on the card, as text: no link, image or markup.
    assert any("evil" in text and "caro" in text for text in shown)
    assert any("Evil" in text for text in app.subheader.values)
    parser = markdown_it.MarkdownIt("commonmark", {"linkify": True}).enable("linkify")
    for text in shown:
        html = parser.render(text)
        # The card's own link to Tenant 360 is the one link allowed.
        html = re.sub(r'<a href="/tenant-360\?tenant=\d+&amp;lang=en">', "", html)
        assert "<a " not in html and "<img" not in html and "<b>" not in html, (text, html)
        assert "https://evil" not in html.replace("\u2060", "") or "https:\u2060//" in text
