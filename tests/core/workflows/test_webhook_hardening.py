"""Outbound webhooks (issue 15): no internal addresses, no redirects, URLs kept secret,
each user's settings their own.

What is exercised, honestly: no test reaches the internet. The "public" address of
hooks.slack.com comes from a fake resolver; where a delivery must really go somewhere,
the resolver answers 127.0.0.1 and a real ``http.server`` listens there, which only the
test switch BARBERPRO_WEBHOOK_ALLOW_LOCAL lets through. Those tests show that the
connection goes to the address the vetting resolver gave (the system resolver is never
asked for the name, and the Host header, SNI and certificate check still use the name),
not that a real public address is reachable.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from core.audit import history
from core.auth.production import production_problems
from core.commands import Actor, execute
from core.queries.triage import notification_pref
from core.schema import AuditEvent, CsNotification, CsNotificationPref
from core.security.sealing import is_sealed, unseal
from core.validation import ValidationError
from core.workflows.alerts.commands import SetNotificationPref
from core.workflows.alerts.config import AlertError, load_config
from core.workflows.alerts.engine import run_alert_rules
from core.workflows.alerts.notify import (
    BLOCKED,
    CANCELLED,
    FAILED,
    SmtpSettings,
    deliver_due,
    enqueue_for_alerts,
)
from tests.core.workflows.alerts_fixtures import AT, TODAY, World, add_failed_invoice, make_world
from tests.core.workflows.notify_stubs import WebhookStub, webhook_server
from tests.fake_dns import PUBLIC, SLACK, FakeDns

ALLOW_LOCAL = "BARBERPRO_WEBHOOK_ALLOW_LOCAL"
NO_SMTP = SmtpSettings(host=None, port=25, sender="alerts@barberpro.com.ar")
TOUCHED = ("cs_notification_prefs", "cs_notification_outbox", "console_audit_log")
NOT_YOURS = (
    "You can only change your own notification settings; "
    "only an administrator can change someone else's."
)


@pytest.fixture(autouse=True)
def no_local_switch(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Production's rules unless a test turns the switch on itself."""
    monkeypatch.delenv(ALLOW_LOCAL, raising=False)
    monkeypatch.delenv("BARBERPRO_WEBHOOK_HOSTS", raising=False)
    return monkeypatch


@pytest.fixture
def world(engine: Engine) -> World:
    # MRR 300k x default prior 0.25 = 75k of priority, above the 50k notification bar.
    return make_world(engine, mrr=300_000.0)


@pytest.fixture
def local_world(sqlite_engine: Engine) -> World:
    return make_world(sqlite_engine, mrr=300_000.0)


def set_pref(
    world: World,
    webhook: str | None,
    *,
    email: str | None = None,
    user: int | None = None,
    actor: int | None = None,
    dns: FakeDns | None = None,
    keep: bool = False,
) -> CsNotificationPref:
    return execute(
        SetNotificationPref(
            user if user is not None else world.manager,
            True,
            webhook,
            email,
            keep_webhook=keep,
            resolver=dns if dns is not None else FakeDns(),
        ),
        actor=Actor(actor if actor is not None else world.manager),
        engine=world.engine,
    )


def fire(world: World) -> int:
    """A new high-priority alert for the manager; returns how many messages it queued."""
    add_failed_invoice(world.engine, world.tenants[0], issued=TODAY)
    with Session(world.engine) as session, session.begin():
        run = run_alert_rules(session=session, at=AT, rng=random.Random(0))
        return enqueue_for_alerts(session, run.opened, at=AT, config=load_config(session=session))


def outbox(engine: Engine) -> list[CsNotification]:
    with Session(engine) as session:
        return list(session.scalars(select(CsNotification).order_by(CsNotification.id)))


def snapshot(engine: Engine) -> tuple[dict[str, int], str]:
    """Row counts of every table, and a checksum of every row a preference change touches."""
    names = sorted(inspect(engine).get_table_names())
    digest = hashlib.sha256()
    counts = {}
    with engine.connect() as connection:
        for name in names:
            counts[name] = connection.scalar(text(f'SELECT count(*) FROM "{name}"'))
        for name in TOUCHED:
            rows = connection.execute(text(f'SELECT * FROM "{name}" ORDER BY 1')).all()
            digest.update(repr([tuple(row) for row in rows]).encode())
    return counts, digest.hexdigest()


def every_text_value(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, text) of every non-empty string or JSON value in the database."""
    found = []
    with engine.connect() as connection:
        for name in sorted(inspect(engine).get_table_names()):
            result = connection.execute(text(f'SELECT * FROM "{name}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    if isinstance(value, str) and value:
                        found.append((name, column, value))
    return found


# --------------------------------------------------- refused: one sentence, nothing written

REFUSED = [
    ("http://127.0.0.1:8501/", {}, "webhook_https"),
    ("http://169.254.169.254/", {}, "webhook_https"),
    ("http://0x7f000001/", {}, "webhook_https"),
    ("http://[::1]/", {}, "webhook_https"),
    ("https://127.0.0.1:8501/", {}, "webhook_internal"),
    ("https://169.254.169.254/", {}, "webhook_internal"),
    ("https://0x7f000001/", {}, "webhook_numeric_host"),
    ("https://2130706433/", {}, "webhook_numeric_host"),
    ("https://0177.0.0.1/", {}, "webhook_numeric_host"),
    ("https://127.1/", {}, "webhook_numeric_host"),
    ("https://[::1]/", {}, "webhook_internal"),
    ("https://[::ffff:127.0.0.1]/", {}, "webhook_internal"),
    ("https://localhost/", {}, "webhook_internal"),
    ("https://hooks.slack.com/services/T/B/private", {SLACK: ["10.0.0.8"]}, "webhook_internal"),
    (
        "https://hooks.slack.com/services/T/B/mixed",
        {SLACK: [PUBLIC, "192.168.0.8"]},
        "webhook_internal",
    ),
    ("https://evil.example/hook", {"evil.example": [PUBLIC]}, "webhook_not_allowed"),
]


@pytest.mark.parametrize(("url", "answers", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_address_changes_nothing_in_the_database(
    world: World, url: str, answers: dict[str, list[str]], code: str
) -> None:
    set_pref(world, "https://hooks.slack.com/services/T0/B0/before", email="ana@barberpro.com.ar")
    before = snapshot(world.engine)
    with pytest.raises(ValidationError) as caught:
        set_pref(world, url, email="ana@barberpro.com.ar", dns=FakeDns(answers))
    assert (caught.value.code, caught.value.field) == (code, "webhook_url")
    assert str(caught.value).count(".") >= 1 and "\n" not in str(caught.value)
    assert snapshot(world.engine) == before


# -------------------------------------------------- a real listener on 127.0.0.1 gets nothing


def test_a_local_listener_receives_nothing_from_a_setting_or_an_alert(local_world: World) -> None:
    world, stub = local_world, WebhookStub()
    to_loopback = FakeDns({SLACK: ["127.0.0.1"], "localhost": ["127.0.0.1"]})
    with webhook_server(stub) as url:
        port = urlsplit(url).port
        for attempt in (
            url,
            url.replace("http://", "https://"),
            f"http://localhost:{port}/hook",
            f"https://localhost:{port}/hook",
            f"https://[::ffff:127.0.0.1]:{port}/hook",
            f"https://0x7f000001:{port}/hook",
            f"https://2130706433:{port}/hook",
            f"https://{SLACK}:{port}/hook",  # an allowed name that answers 127.0.0.1
        ):
            with pytest.raises(ValidationError):
                set_pref(world, attempt, dns=to_loopback)
        assert stub.hits == 0
        # With only an e-mail left, the alert queues the e-mail and no webhook.
        set_pref(world, None, email="ana@barberpro.com.ar")
        assert fire(world) == 1
        deliver_due(world.engine, at=AT, smtp=NO_SMTP, resolver=to_loopback)
        assert [note.channel for note in outbox(world.engine)] == ["email"]
    assert stub.hits == 0


def test_a_stored_internal_address_is_blocked_at_delivery(
    local_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """What an older version stored in clear is vetted again when it would be sent."""
    world, stub = local_world, WebhookStub()
    with webhook_server(stub) as url:
        with Session(world.engine) as session, session.begin():
            session.add(CsNotificationPref(user_id=world.manager, enabled=True, webhook_url=url))
        assert fire(world) == 1
        result = deliver_due(world.engine, at=AT, smtp=NO_SMTP)
    assert stub.hits == 0 and result.gave_up == 1
    (note,) = outbox(world.engine)
    assert (note.status, note.last_error) == ("failed", BLOCKED)
    assert "webhook_https" in caplog.text  # the reason is in the log, not on the page


def test_a_name_that_turns_internal_after_it_was_saved_gets_nothing(local_world: World) -> None:
    """DNS rebinding: vetted public when saved, loopback when delivered: blocked."""
    world, stub = local_world, WebhookStub()
    dns = FakeDns({SLACK: [PUBLIC]})
    with webhook_server(stub) as url:
        set_pref(world, f"https://{SLACK}:{urlsplit(url).port}/services/T/B/x", dns=dns)
        fire(world)
        dns.answers[SLACK] = ["127.0.0.1"]
        result = deliver_due(world.engine, at=AT, smtp=NO_SMTP, resolver=dns)
    assert stub.hits == 0 and result.gave_up == 1
    assert outbox(world.engine)[0].last_error == BLOCKED


# ------------------------------------------- delivery goes to the vetted address, by name


def test_delivery_connects_to_the_vetted_address_and_keeps_the_name(
    local_world: World, no_local_switch: pytest.MonkeyPatch
) -> None:
    no_local_switch.setenv(ALLOW_LOCAL, "true")  # 127.0.0.1 stands in for a public address
    world, stub = local_world, WebhookStub()
    dns = FakeDns({SLACK: ["127.0.0.1"]})
    system_lookups: list[object] = []
    real_getaddrinfo = socket.getaddrinfo

    def system_dns(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        system_lookups.append(host)
        if host == SLACK:
            raise AssertionError("the name was looked up again, outside the vetting")
        return real_getaddrinfo(host, *args, **kwargs)

    no_local_switch.setattr(socket, "getaddrinfo", system_dns)
    with webhook_server(stub) as url:
        port = urlsplit(url).port
        set_pref(world, f"http://{SLACK}:{port}/services/T/B/pinned", dns=dns)
        fire(world)
        dns.asked.clear()
        result = deliver_due(world.engine, at=AT, smtp=NO_SMTP, resolver=dns)
    assert result.delivered == 1 and stub.hits == 1
    assert dns.asked == [SLACK]  # resolved once, at delivery, by the vetting resolver
    assert SLACK not in system_lookups
    assert stub.hosts == [f"{SLACK}:{port}"] and stub.paths == ["/services/T/B/pinned"]


def _tls_pair(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed certificate for ``name``, and a client
    context that trusts only it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    moment = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - timedelta(days=1))
        .not_valid_after(moment + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


def test_tls_goes_to_the_vetted_address_with_the_name_for_sni_and_the_certificate(
    local_world: World, no_local_switch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_local_switch.setenv(ALLOW_LOCAL, "true")  # 127.0.0.1 stands in for a public address
    world, stub = local_world, WebhookStub()
    server, client = _tls_pair(tmp_path, SLACK)
    dns = FakeDns({SLACK: ["127.0.0.1"]})
    with webhook_server(stub, tls=server) as url:
        port = urlsplit(url).port
        set_pref(world, f"https://{SLACK}:{port}/services/T/B/tls", dns=dns)
        fire(world)
        result = deliver_due(world.engine, at=AT, smtp=NO_SMTP, resolver=dns, ssl_context=client)
    assert result.delivered == 1
    assert stub.server_names == [SLACK] and stub.hosts == [f"{SLACK}:{port}"]
    assert stub.paths == ["/services/T/B/tls"]


def test_a_certificate_for_another_name_fails_the_delivery(
    local_world: World, no_local_switch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_local_switch.setenv(ALLOW_LOCAL, "true")
    world, stub = local_world, WebhookStub()
    server, client = _tls_pair(tmp_path, "other.example")
    dns = FakeDns({SLACK: ["127.0.0.1"]})
    with webhook_server(stub, tls=server) as url:
        set_pref(world, f"https://{SLACK}:{urlsplit(url).port}/services/T/B/x", dns=dns)
        fire(world)
        result = deliver_due(world.engine, at=AT, smtp=NO_SMTP, resolver=dns, ssl_context=client)
    assert (result.delivered, result.failed, stub.hits) == (0, 1, 0)
    assert outbox(world.engine)[0].last_error == FAILED


# --------------------------------------------------------------- redirects are not followed


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_a_failed_delivery_and_is_not_followed(
    local_world: World,
    no_local_switch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    no_local_switch.setenv(ALLOW_LOCAL, "true")
    world, elsewhere = local_world, WebhookStub()
    with webhook_server(elsewhere) as target:
        receiver = WebhookStub(statuses=[status], location=target)
        with webhook_server(receiver) as url:
            set_pref(world, url)
            fire(world)
            result = deliver_due(world.engine, at=AT, smtp=NO_SMTP)
    assert (receiver.hits, elsewhere.hits) == (1, 0)
    assert (result.delivered, result.failed) == (0, 1)
    (note,) = outbox(world.engine)
    assert (note.status, note.last_error) == ("pending", FAILED)
    assert f"HTTP {status}" in caplog.text and "not followed" in caplog.text


# ------------------------------------------------------------------- the URL is a secret


def test_the_webhook_url_is_never_stored_in_clear(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    first = "https://hooks.slack.com/services/T0AAA/B0BBB/FirstSecretToken0001"
    second = "https://hooks.slack.com/services/T0CCC/B0DDD/OtherSecretToken0002"
    set_pref(world, first, email="ana@barberpro.com.ar")
    set_pref(world, second, email="ana@barberpro.com.ar")
    assert fire(world) == 2
    # Delivery reads the setting (the resolver fails here: a retry, and no network).
    deliver_due(world.engine, at=AT, smtp=NO_SMTP, resolver=FakeDns({}))
    set_pref(world, None, email="ana@barberpro.com.ar")  # removed
    values = every_text_value(world.engine)
    assert values, "the database should not be empty"
    for secret in (first, second, "FirstSecretToken0001", "OtherSecretToken0002", "/T0AAA/B0BBB"):
        leaks = [(table, column) for table, column, value in values if secret in value]
        assert not leaks, f"{secret} in clear in {leaks}"
        assert secret not in caplog.text
    with Session(world.engine) as session:
        events = history(session=session, entity="notification_pref", entity_id=world.manager)
        notes = session.scalars(select(CsNotification.target)).all()
    assert [e.after["webhook_url"] for e in events] == [  # type: ignore[index]
        "https://hooks.slack.com/…/****0001",
        "https://hooks.slack.com/…/****0002",
        None,
    ]
    assert sorted(notes) == ["ana@barberpro.com.ar", f"notification_pref:{world.manager}"]


def test_the_stored_url_is_sealed_and_the_page_sees_only_its_mask(world: World) -> None:
    url = "https://hooks.slack.com/services/T0/B0/TokenForThePage9876"
    set_pref(world, url)
    with Session(world.engine) as session:
        stored = session.get(CsNotificationPref, world.manager).webhook_url  # type: ignore[union-attr]
        shown = notification_pref(session=session, user_id=world.manager)
    assert is_sealed(stored) and unseal(stored) == url  # type: ignore[arg-type]
    assert shown.webhook_hint == "https://hooks.slack.com/…/****9876"
    assert url not in repr(shown)
    assert "TokenForThePage" not in repr(SetNotificationPref(world.manager, True, url, None))


def test_an_empty_field_keeps_the_webhook_and_removing_it_cancels_what_was_queued(
    local_world: World,
) -> None:
    world = local_world
    url = "https://hooks.slack.com/services/T0/B0/KeepMe0000"
    set_pref(world, url)
    set_pref(world, "", email="ana@barberpro.com.ar", keep=True)  # the page's default
    with Session(world.engine) as session:
        stored = session.get(CsNotificationPref, world.manager).webhook_url  # type: ignore[union-attr]
    assert unseal(stored) == url  # type: ignore[arg-type]
    assert fire(world) == 2
    set_pref(world, None, email="ana@barberpro.com.ar")  # "Remove the webhook"
    result = deliver_due(world.engine, at=AT, smtp=NO_SMTP)
    webhook = [n for n in outbox(world.engine) if n.channel == "webhook"]
    assert [(n.status, n.last_error) for n in webhook] == [("failed", CANCELLED)]
    assert result.gave_up == 1


def test_urls_stored_in_clear_by_an_older_version_are_sealed_by_the_job(
    local_world: World,
) -> None:
    from core.workflows.alerts.job import evaluate_and_notify

    world = local_world
    url = "https://hooks.slack.com/services/T0/B0/LegacyClearToken"
    with Session(world.engine) as session, session.begin():
        session.add(CsNotificationPref(user_id=world.manager, enabled=True, webhook_url=url))
        session.add(
            AuditEvent(
                occurred_at=datetime(2026, 6, 1),
                actor_id=world.manager,
                action="notification_pref.update",
                entity="notification_pref",
                entity_id=str(world.manager),
                before={"enabled": False, "webhook_url": url, "email": None},
                after={"enabled": True, "webhook_url": url, "email": None},
            )
        )
    add_failed_invoice(world.engine, world.tenants[0], issued=TODAY)
    with Session(world.engine) as session, session.begin():
        run = run_alert_rules(session=session, at=AT, rng=random.Random(0))
        session.add(
            CsNotification(
                alert_id=run.opened[0],
                user_id=world.manager,
                channel="webhook",
                target=url,
                payload={"text": "x"},
                status="pending",
                attempts=0,
                next_attempt_at=AT,
                created_at=AT,
            )
        )
    evaluate_and_notify(world.engine, rng=random.Random(0), deliver=False)
    assert not [v for v in every_text_value(world.engine) if "LegacyClearToken" in v[2]]
    with Session(world.engine) as session:
        stored = session.get(CsNotificationPref, world.manager).webhook_url  # type: ignore[union-attr]
        (event,) = history(session=session, entity="notification_pref", entity_id=world.manager)
    assert unseal(stored) == url  # type: ignore[arg-type]
    assert event.after["webhook_url"] == "https://hooks.slack.com/…/****oken"  # type: ignore[index]


def test_production_refuses_a_weak_sealing_key(
    engine: Engine, no_local_switch: pytest.MonkeyPatch
) -> None:
    no_local_switch.setenv("BARBERPRO_COOKIE_SECRET", "c" * 40)
    no_local_switch.setenv("BARBERPRO_WEBHOOK_KEY", "short")
    problems = production_problems(engine, show_error_details="none", sso_configured=True)
    assert any("BARBERPRO_WEBHOOK_KEY must be at least 32" in p for p in problems)
    no_local_switch.setenv("BARBERPRO_WEBHOOK_KEY", "k" * 40)
    problems = production_problems(engine, show_error_details="none", sso_configured=True)
    assert not any("WEBHOOK" in p for p in problems)


# --------------------------------------------------------- each user's settings their own


def test_a_user_cannot_change_someone_elses_settings(world: World) -> None:
    set_pref(world, None, email="bruno@barberpro.com.ar", user=world.other, actor=world.other)
    before = snapshot(world.engine)
    for target in (world.other, world.admin, 9999):
        with pytest.raises(AlertError) as caught:
            set_pref(
                world,
                "https://hooks.slack.com/services/T0/B0/hijack",
                user=target,
                actor=world.manager,
            )
        assert str(caught.value) == NOT_YOURS  # the same sentence, whoever the target is
    assert snapshot(world.engine) == before
    # Their own: yes; an administrator: anyone's, audited as the administrator.
    set_pref(world, "https://hooks.slack.com/services/T0/B0/mine")
    set_pref(world, None, email="b@barberpro.com.ar", user=world.other, actor=world.admin)
    with Session(world.engine) as session:
        (*_, last) = history(session=session, entity="notification_pref", entity_id=world.other)
        assert session.get(CsNotificationPref, world.other).email == "b@barberpro.com.ar"  # type: ignore[union-attr]
    assert last.actor_id == world.admin


def test_an_unreachable_address_falls_back_to_the_next_vetted_one(
    local_world: World, no_local_switch: pytest.MonkeyPatch
) -> None:
    no_local_switch.setenv(ALLOW_LOCAL, "true")
    world, stub = local_world, WebhookStub()
    # The listener is on 127.0.0.1 only: 127.0.0.2 (loopback too) refuses the connection.
    dns = FakeDns({SLACK: ["127.0.0.2", "127.0.0.1"]})
    with webhook_server(stub) as url:
        set_pref(world, f"http://{SLACK}:{urlsplit(url).port}/services/T/B/x", dns=dns)
        fire(world)
        result = deliver_due(world.engine, at=AT, smtp=NO_SMTP, resolver=dns)
    assert result.delivered == 1 and stub.hits == 1
