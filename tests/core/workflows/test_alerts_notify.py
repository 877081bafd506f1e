"""Notifications: webhook and e-mail against local stubs; a dead endpoint only retries.

The stubs listen on 127.0.0.1 over plain http, which only the development/test switch
BARBERPRO_WEBHOOK_ALLOW_LOCAL lets through (every test here sets it); what happens
without it is tests/core/workflows/test_webhook_hardening.py.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.commands import Actor, execute
from core.schema import CsAlert, CsNotification
from core.workflows.alerts.commands import SetNotificationPref, UpdateSettings
from core.workflows.alerts.config import load_config
from core.workflows.alerts.engine import run_alert_rules
from core.workflows.alerts.notify import (
    BACKOFF_BASE_S,
    EMAIL_NOT_CONFIGURED,
    FAILED,
    MAX_ATTEMPTS,
    SmtpSettings,
    backoff_s,
    deliver_due,
    enqueue_for_alerts,
)
from tests.core.workflows.alerts_fixtures import AT, TODAY, World, add_failed_invoice, make_world
from tests.core.workflows.notify_stubs import WebhookStub, closed_port, smtp_server, webhook_server

NO_SMTP = SmtpSettings(host=None, port=25, sender="alerts@barberpro.com.ar")


@pytest.fixture(autouse=True)
def local_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARBERPRO_WEBHOOK_ALLOW_LOCAL", "true")


@pytest.fixture
def world(sqlite_engine: Engine) -> World:
    # MRR 300k x default prior 0.25 = 75k of priority, above the 50k notification bar.
    return make_world(sqlite_engine, mrr=300_000.0)


def trigger(world: World, *, webhook: str | None = None, email: str | None = None) -> list[int]:
    execute(
        SetNotificationPref(world.manager, True, webhook, email),
        actor=Actor(world.manager),
        engine=world.engine,
    )
    add_failed_invoice(world.engine, world.tenants[0], issued=TODAY)
    with Session(world.engine) as session, session.begin():
        run = run_alert_rules(session=session, at=AT, rng=random.Random(0))
        queued = enqueue_for_alerts(session, run.opened, at=AT, config=load_config(session=session))
    assert queued == (webhook is not None) + (email is not None)
    return run.opened


def outbox(engine: Engine) -> list[CsNotification]:
    with Session(engine) as session:
        return list(session.scalars(select(CsNotification).order_by(CsNotification.id)))


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [30.0, 60.0, 120.0, 240.0]
    assert backoff_s(20) == 3600.0


def test_webhook_is_retried_with_backoff_until_it_answers(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    stub = WebhookStub(statuses=[500, 503])
    with webhook_server(stub) as url:
        (alert_id,) = trigger(world, webhook=url)
        first = deliver_due(world.engine, at=AT, smtp=NO_SMTP)
        assert (first.delivered, first.failed) == (0, 1)
        (note,) = outbox(world.engine)
        # Users see a fixed status; the raw reason is in the log only.
        assert note.attempts == 1 and note.last_error == FAILED
        assert "HTTP 500" in caplog.text
        assert note.next_attempt_at == AT + timedelta(seconds=BACKOFF_BASE_S)
        # Not due yet: nothing is sent.
        assert deliver_due(world.engine, at=AT + timedelta(seconds=10), smtp=NO_SMTP).failed == 0
        deliver_due(world.engine, at=AT + timedelta(seconds=30), smtp=NO_SMTP)
        (note,) = outbox(world.engine)
        assert note.next_attempt_at == AT + timedelta(seconds=30 + 60)
        third = deliver_due(world.engine, at=AT + timedelta(seconds=90), smtp=NO_SMTP)
        assert third.delivered == 1
    (note,) = outbox(world.engine)
    assert (note.status, note.attempts, note.last_error) == ("delivered", 3, None)
    (payload,) = stub.received
    assert payload["alert_id"] == alert_id and payload["text"].startswith("New high-priority alert")
    assert stub.hits == 3


def test_a_dead_endpoint_retries_then_gives_up_without_losing_the_alert(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hook"
    (alert_id,) = trigger(world, webhook=url)
    at = AT
    for attempt in range(1, MAX_ATTEMPTS + 1):
        started = time.monotonic()
        deliver_due(world.engine, at=at, smtp=NO_SMTP)
        assert time.monotonic() - started < 2
        (note,) = outbox(world.engine)
        assert note.attempts == attempt
        at = note.next_attempt_at
    assert note.status == "failed" and note.last_error == FAILED
    assert "Connection refused" in caplog.text
    with Session(world.engine) as session:
        assert session.get(CsAlert, alert_id).status == "open"  # type: ignore[union-attr]


def test_a_slow_endpoint_costs_at_most_the_time_budget(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    stub = WebhookStub(delay_s=1.5)
    with webhook_server(stub) as url:
        trigger(world, webhook=url)
        started = time.monotonic()
        result = deliver_due(world.engine, at=AT, smtp=NO_SMTP, timeout_s=0.3)
        assert time.monotonic() - started < 1.4
    assert result.failed == 1
    assert outbox(world.engine)[0].last_error == FAILED
    assert "timed out" in caplog.text


def test_email_goes_through_the_smtp_relay(world: World) -> None:
    with smtp_server() as (port, messages):
        trigger(world, email="ana@barberpro.com.ar")
        smtp = SmtpSettings(host="127.0.0.1", port=port, sender="alerts@barberpro.com.ar")
        assert deliver_due(world.engine, at=AT, smtp=smtp).delivered == 1
    (message,) = messages
    assert "To: ana@barberpro.com.ar" in message and "Failed invoice" in message


def test_email_without_a_relay_waits_in_the_outbox(world: World) -> None:
    trigger(world, email="ana@barberpro.com.ar")
    assert deliver_due(world.engine, at=AT, smtp=NO_SMTP).failed == 1
    (note,) = outbox(world.engine)
    assert note.status == "pending" and note.last_error == EMAIL_NOT_CONFIGURED
    assert "BARBERPRO_SMTP_HOST" in EMAIL_NOT_CONFIGURED


def test_low_priority_and_holdout_alerts_notify_nobody(world: World) -> None:
    execute(UpdateSettings(0.1, 10_000_000, 30), actor=Actor(world.admin), engine=world.engine)
    execute(
        SetNotificationPref(world.manager, True, "http://127.0.0.1:9/h", None),
        actor=Actor(world.manager),
        engine=world.engine,
    )
    add_failed_invoice(world.engine, world.tenants[0], issued=TODAY)
    with Session(world.engine) as session, session.begin():
        run = run_alert_rules(session=session, at=AT, rng=random.Random(0))
        config = load_config(session=session)
        assert enqueue_for_alerts(session, run.opened, at=AT, config=config) == 0
        alert = session.get(CsAlert, run.opened[0])
        alert.priority = 20_000_000  # type: ignore[union-attr]
        session.flush()
        assert enqueue_for_alerts(session, run.opened, at=AT, config=config) == 1
        session.execute(CsNotification.__table__.delete())
        alert.arm = "treated"  # type: ignore[union-attr]  # same value: allowed


def test_the_job_commits_alerts_even_when_the_endpoint_is_down(world: World) -> None:
    from core.workflows.alerts.job import evaluate_and_notify

    url = f"http://127.0.0.1:{closed_port()}/hook"
    execute(
        SetNotificationPref(world.manager, True, url, None),
        actor=Actor(world.manager),
        engine=world.engine,
    )
    add_failed_invoice(world.engine, world.tenants[0], issued=TODAY)
    started = time.monotonic()
    detail = evaluate_and_notify(world.engine, rng=random.Random(0))
    assert time.monotonic() - started < 5
    # Run at the real clock, the fixture's rollup is months old: "no bookings" fires too.
    opened = detail["opened"]
    assert opened >= 1 and detail["notifications_queued"] == opened
    assert detail["notifications"]["retrying"] == opened  # type: ignore[index]
    with Session(world.engine) as session:
        statuses = session.scalars(select(CsAlert.status)).all()
    assert statuses == ["open"] * opened
