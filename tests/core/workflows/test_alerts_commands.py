"""Triage commands: every change audited with before and after; bad input changes nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.audit import history
from core.commands import Actor, execute
from core.schema import (
    AuditEvent,
    CsAlert,
    CsAlertAction,
    CsIntervention,
    CsNotificationPref,
)
from core.security.sealing import unseal
from core.validation import ValidationError
from core.workflows.alerts.commands import (
    AssignAlert,
    CloseAlert,
    EscalateAlert,
    LogAction,
    SetNotificationPref,
    SetTask,
    SnoozeAlert,
    UpdatePlaybook,
    UpdateRule,
)
from core.workflows.alerts.config import AlertError, load_config
from core.workflows.alerts.engine import run_alert_rules, wake_snoozed
from tests.core.workflows.alerts_fixtures import AT, TODAY, World, add_failed_invoice, make_world


@pytest.fixture
def world(sqlite_engine: Engine) -> World:
    return make_world(sqlite_engine)


class Always(random.Random):
    """An RNG whose every draw is 0.0: with any positive share, the alert is held out."""

    def random(self) -> float:
        return 0.0


def open_alert(world: World, *, holdout: bool = False) -> int:
    add_failed_invoice(world.engine, world.tenants[0], issued=TODAY)
    rng = Always() if holdout else random.Random(0)
    with Session(world.engine) as session, session.begin():
        run = run_alert_rules(session=session, at=AT, rng=rng)
    return run.opened[0]


def audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def state(engine: Engine, alert_id: int) -> dict:  # type: ignore[type-arg]
    with Session(engine) as session:
        alert = session.get(CsAlert, alert_id)
        return {c.name: getattr(alert, c.name) for c in CsAlert.__table__.columns}


BAD_INPUT = [
    (lambda a, w: CloseAlert(a, None, "done"), "Choose an outcome to close the alert."),
    (lambda a, w: CloseAlert(a, "", None), "Choose an outcome to close the alert."),
    (
        lambda a, w: CloseAlert(a, "happy", None),
        "Unknown outcome happy: use one of resolved, retained_with_discount, no_response, "
        "escalated, churned.",
    ),
    (
        lambda a, w: SnoozeAlert(a, AT - timedelta(hours=1), "on holiday", at=AT),
        "A snooze must end in the future; 2026-06-15 09:00 has already passed.",
    ),
    (
        lambda a, w: SnoozeAlert(a, TODAY, "on holiday", at=AT),
        "A snooze must end in the future; 2026-06-15 00:00 has already passed.",
    ),
    (
        lambda a, w: SnoozeAlert(a, TODAY + timedelta(days=3), "  ", at=AT),
        "Say why the alert is snoozed.",
    ),
    (lambda a, w: AssignAlert(a, 999), "No console user has the id 999."),
    (lambda a, w: AssignAlert(a, "nobody"), "No console user has the id nobody."),
    (lambda a, w: LogAction(a, "fax", None), "Choose what you did: one of "
     "call, whatsapp, email, discount, training."),
    (lambda a, w: EscalateAlert(a, w.admin, ""), "Say why the alert is escalated."),
    (lambda a, w: SetTask(a, 9, True), "Alert #{a} has no task 10."),
    (lambda a, w: CloseAlert(a + 100, "resolved", None), "Alert #{b} does not exist."),
]  # fmt: skip


@pytest.mark.parametrize("make, message", BAD_INPUT)
def test_bad_input_is_refused_with_one_clear_message(world, make, message) -> None:  # type: ignore[no-untyped-def]
    alert_id = open_alert(world)
    before, audits = state(world.engine, alert_id), audit_count(world.engine)
    with pytest.raises(AlertError) as error:
        execute(make(alert_id, world), actor=Actor(world.manager), engine=world.engine)
    assert str(error.value) == message.format(a=alert_id, b=alert_id + 100)
    assert state(world.engine, alert_id) == before
    assert audit_count(world.engine) == audits


def test_working_an_alert_end_to_end_is_audited(world: World) -> None:
    alert_id = open_alert(world)
    engine, me = world.engine, world.manager
    # A CS manager cannot hand an alert to someone else; an administrator (or lead) can.
    with pytest.raises(AlertError, match="Only a CS lead or an administrator can reassign"):
        execute(AssignAlert(alert_id, world.other), actor=Actor(me), engine=engine)
    execute(AssignAlert(alert_id, world.other), actor=Actor(world.admin), engine=engine)
    execute(
        SnoozeAlert(alert_id, date(2026, 6, 18), "owner travelling", at=AT),
        actor=Actor(me),
        engine=engine,
    )
    assert state(engine, alert_id)["status"] == "snoozed"
    with Session(engine) as session, session.begin():
        assert wake_snoozed(session, at=AT + timedelta(days=3)) == 1
    execute(
        EscalateAlert(alert_id, world.admin, "enterprise chain at risk"),
        actor=Actor(me),
        engine=engine,
    )
    execute(SetTask(alert_id, 0, True, at=AT), actor=Actor(me), engine=engine)
    execute(
        LogAction(alert_id, "whatsapp", "sent the payment link", at=AT),
        actor=Actor(me),
        engine=engine,
    )
    execute(
        CloseAlert(alert_id, "resolved", "paid after the call", at=AT),
        actor=Actor(me),
        engine=engine,
    )

    final = state(engine, alert_id)
    assert final["status"] == "closed" and final["open_key"] is None
    assert final["assignee_id"] == world.other and final["escalated_to_id"] == world.admin
    assert final["tasks"][0]["done_by"] == me
    with Session(engine) as session:
        events = history(session=session, entity="alert", entity_id=alert_id)
        ledger = session.get(CsIntervention, final["intervention_id"])
        action = session.scalars(select(CsAlertAction)).one()
    assert [e.action for e in events] == [
        "alert.open",
        "alert.assign",
        "alert.snooze",
        "alert.wake",
        "alert.escalate",
        "alert.task",
        "alert.log_action",
        "alert.close",
    ]
    assign = events[1]
    assert assign.actor_id == world.admin
    assert (assign.before, assign.after) == (
        {"assignee_id": world.manager},
        {"assignee_id": world.other},
    )
    snooze = events[2]
    assert snooze.after == {
        "status": "snoozed",
        "snoozed_until": "2026-06-18T00:00:00",
        "snooze_reason": "owner travelling",
    }
    close = events[-1]
    assert close.before["status"] == "open" and close.after["outcome"] == "resolved"
    assert (ledger.action, ledger.outcome) == ("whatsapp", "resolved")
    assert (action.kind, action.note, action.actor_id) == ("whatsapp", "sent the payment link", me)

    # A closed alert takes no more changes.
    with pytest.raises(AlertError, match="already closed"):
        execute(CloseAlert(alert_id, "resolved", None), actor=Actor(me), engine=engine)


def test_holdout_alerts_take_no_outreach(world: World) -> None:
    alert_id = open_alert(world, holdout=True)
    assert state(world.engine, alert_id)["arm"] == "holdout"
    for command in (
        LogAction(alert_id, "call", None),
        SetTask(alert_id, 0, True),
        EscalateAlert(alert_id, world.admin, "urgent"),
    ):
        with pytest.raises(AlertError, match="randomized holdout"):
            execute(command, actor=Actor(world.manager), engine=world.engine)
    execute(
        CloseAlert(alert_id, "no_response", None), actor=Actor(world.manager), engine=world.engine
    )
    assert state(world.engine, alert_id)["arm"] == "holdout"


def test_rules_and_playbooks_are_configurable_and_audited(world: World) -> None:
    engine = world.engine
    execute(UpdateRule("no_bookings", True, None, 21), actor=Actor(world.admin), engine=engine)
    execute(UpdateRule("nps_detractor", False, 4, 30), actor=Actor(world.admin), engine=engine)
    with pytest.raises(AlertError, match="Days without bookings must be a whole number between"):
        execute(UpdateRule("no_bookings", True, None, 0.5), actor=Actor(world.admin), engine=engine)
    with pytest.raises(AlertError, match="Probability threshold must be a number between"):
        execute(UpdateRule("churn_risk", True, 1.5, None), actor=Actor(world.admin), engine=engine)
    steps = ["Call the owner", "  ", "Offer 3 instalments"]
    execute(
        UpdatePlaybook("failed_invoice", "Cobranza", steps), actor=Actor(world.admin), engine=engine
    )
    with pytest.raises(AlertError, match="at least one step"):
        execute(
            UpdatePlaybook("failed_invoice", "Cobranza", [" "]),
            actor=Actor(world.admin),
            engine=engine,
        )
    with Session(engine) as session:
        config = load_config(session=session)
        rule_events = history(session=session, entity="alert_rule", entity_id="no_bookings")
        book = history(session=session, entity="playbook", entity_id="failed_invoice")
    assert config.rules["no_bookings"].days == 21
    assert not config.rules["nps_detractor"].enabled
    assert config.playbooks["failed_invoice"].steps == ("Call the owner", "Offer 3 instalments")
    assert config.playbooks["failed_invoice"].playbook == "billing_recovery"
    assert rule_events[0].before["days"] == 14 and rule_events[0].after["days"] == 21
    assert book[0].before["steps"][1] == "Offer a payment plan"

    # New alerts start from the edited playbook; the disabled rule is skipped.
    alert_id = open_alert(world)
    assert [t["text"] for t in state(engine, alert_id)["tasks"]] == list(
        config.playbooks["failed_invoice"].steps
    )


def test_notification_preferences_are_validated(world: World) -> None:
    engine = world.engine
    with pytest.raises(ValidationError, match="must start with https://"):
        execute(
            SetNotificationPref(world.manager, True, "ftp://x", None),
            actor=Actor(world.manager),
            engine=engine,
        )
    with pytest.raises(AlertError, match="not a valid e-mail"):
        execute(
            SetNotificationPref(world.manager, True, None, "ana@"),
            actor=Actor(world.manager),
            engine=engine,
        )
    with pytest.raises(AlertError, match="No console user has the id 77"):
        execute(
            SetNotificationPref(77, True, None, "a@b.com"),
            actor=Actor(world.admin),
            engine=engine,
        )
    execute(
        SetNotificationPref(
            world.manager,
            True,
            "https://hooks.slack.com/services/x",
            None,
            resolver=lambda host: ["203.0.114.7"],
        ),
        actor=Actor(world.manager),
        engine=engine,
    )
    with Session(engine) as session:
        stored = session.get(CsNotificationPref, world.manager).webhook_url  # type: ignore[union-attr]
    assert stored.startswith("sealed:") and unseal(stored).endswith("/x")  # type: ignore[union-attr]


def test_error_messages_translate(world: World) -> None:
    error = AlertError("Choose an outcome to close the alert.")
    assert error.text("en") == "Choose an outcome to close the alert."
    assert isinstance(error.text("es_AR"), str)
