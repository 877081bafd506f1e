"""Sign-in, throttling, sessions and sign-out against a real database (both backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from core import clock
from core.auth.signin import current_user, sign_in_verified_email, sign_in_with_password, sign_out
from core.config import Settings
from core.db import write_unit
from core.schema import AuditEvent, AuthSession, ConsoleUser
from core.users import add_user, change_user, set_password

PASSWORD = "mate amargo en la terraza 1987"
SETTINGS = Settings()


@pytest.fixture
def ana(engine: Engine) -> Engine:
    with write_unit(engine) as session:
        add_user(
            session=session,
            email="ana.gomez@barberpro.com.ar",
            name="Ana Gómez",
            role="cs_manager",
            password=PASSWORD,
            actor_id=None,
        )
    return engine


def attempt(
    engine: Engine,
    password: str,
    *,
    email: str = "ana.gomez@barberpro.com.ar",
    address: str = "10.0.0.1",
    settings: Settings = SETTINGS,
):  # type: ignore[no-untyped-def]
    return sign_in_with_password(
        email=email, password=password, address=address, settings=settings, engine=engine
    )


def actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_sign_in_opens_a_session_that_resolves_until_sign_out(ana: Engine) -> None:
    result = attempt(ana, PASSWORD, email="  ANA.GOMEZ@barberpro.com.ar ")
    assert result.ok and result.token and result.user is not None
    assert (result.user.role, result.user.full_name) == ("cs_manager", "Ana Gómez")
    assert current_user(token=result.token, activity=True, engine=ana) == result.user
    with Session(ana) as session:  # only the token's hash is stored
        stored = session.scalar(select(AuthSession.token_hash))
    assert stored != result.token and len(stored or "") == 64
    assert sign_out(token=result.token, engine=ana)
    assert current_user(token=result.token, activity=True, engine=ana) is None
    assert not sign_out(token=result.token, engine=ana)  # already ended
    assert actions(ana)[-2:] == ["auth.sign_in", "auth.sign_out"]


def test_every_failure_has_the_same_message(ana: Engine) -> None:
    unknown = attempt(ana, PASSWORD, email="nobody@barberpro.com.ar")
    wrong = attempt(ana, "a wrong password but long")
    with write_unit(ana) as session:
        change_user(
            session=session, email="ana.gomez@barberpro.com.ar", active=False, actor_id=None
        )
    inactive = attempt(ana, PASSWORD)
    assert not unknown.ok and not wrong.ok and not inactive.ok
    assert unknown.failure == wrong.failure == inactive.failure
    assert unknown.token is None and wrong.token is None


def test_five_failures_lock_the_account_for_the_window_even_for_the_right_password(
    ana: Engine,
) -> None:
    for _ in range(5):
        assert not attempt(ana, "a wrong password but long").ok
    assert not attempt(ana, PASSWORD).ok  # locked: the right password doesn't help
    assert "auth.lock" in actions(ana)
    assert actions(ana)[-1] == "auth.sign_in_refused"
    # From another address too: the lock is the account's.
    assert not attempt(ana, PASSWORD, address="10.9.9.9").ok
    before = clock.now()
    clock.set_offset(clock._offset + timedelta(minutes=16))
    try:
        assert attempt(ana, PASSWORD).ok
    finally:
        clock.set_offset(clock._offset - timedelta(minutes=16))
    assert clock.now() - before < timedelta(minutes=1)


def test_an_address_that_fails_on_many_accounts_is_locked(ana: Engine) -> None:
    settings = replace(SETTINGS, address_lockout_failures=3)
    for i in range(3):
        attempt(
            ana,
            "whatever it is long",
            email=f"guess{i}@x.com",
            address="203.0.113.9",
            settings=settings,
        )
    assert not attempt(ana, PASSWORD, address="203.0.113.9", settings=settings).ok
    assert attempt(ana, PASSWORD, address="198.51.100.2", settings=settings).ok


def test_a_session_expires_after_the_idle_timeout_and_automatic_reruns_dont_extend_it(
    ana: Engine,
) -> None:
    settings = replace(SETTINGS, session_idle_timeout_s=3600)
    token = attempt(ana, PASSWORD, settings=settings).token
    shift = clock._offset
    try:
        clock.set_offset(shift + timedelta(minutes=50))
        assert current_user(token=token, activity=False, engine=ana) is not None  # a refresh
        clock.set_offset(shift + timedelta(minutes=70))
        assert current_user(token=token, activity=False, engine=ana) is None
    finally:
        clock.set_offset(shift)
    with Session(ana) as session:
        assert session.scalar(select(AuthSession.revoked_reason)) == "expired"


def test_activity_moves_the_idle_clock(ana: Engine) -> None:
    settings = replace(SETTINGS, session_idle_timeout_s=3600)
    token = attempt(ana, PASSWORD, settings=settings).token
    shift = clock._offset
    try:
        clock.set_offset(shift + timedelta(minutes=50))
        assert current_user(token=token, activity=True, engine=ana) is not None  # a click
        clock.set_offset(shift + timedelta(minutes=100))
        assert current_user(token=token, activity=False, engine=ana) is not None
    finally:
        clock.set_offset(shift)


def test_deactivation_a_role_change_and_a_new_password_reach_open_sessions(ana: Engine) -> None:
    first = attempt(ana, PASSWORD).token
    with write_unit(ana) as session:
        change_user(
            session=session, email="ana.gomez@barberpro.com.ar", role="cs_lead", actor_id=None
        )
    user = current_user(token=first, activity=False, engine=ana)
    assert user is not None and user.role == "cs_lead"
    with write_unit(ana) as session:
        set_password(
            session=session,
            email="ana.gomez@barberpro.com.ar",
            password="otra clave bien larga 2027",
            actor_id=None,
        )
    assert current_user(token=first, activity=False, engine=ana) is None
    second = attempt(ana, "otra clave bien larga 2027").token
    with write_unit(ana) as session:
        change_user(
            session=session, email="ana.gomez@barberpro.com.ar", active=False, actor_id=None
        )
    assert current_user(token=second, activity=False, engine=ana) is None


def test_single_sign_on_needs_an_active_console_user(ana: Engine) -> None:
    assert sign_in_verified_email(
        email="ANA.GOMEZ@barberpro.com.ar", settings=SETTINGS, engine=ana
    ).ok
    refused = sign_in_verified_email(email="stranger@gmail.com", settings=SETTINGS, engine=ana)
    assert not refused.ok and refused.token is None
    assert "no active console account" in (refused.failure or "")


def test_a_password_is_never_stored_or_logged_in_clear(
    ana: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    attempt(ana, PASSWORD)
    attempt(ana, "a wrong password but long")
    with ana.connect() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                    if ana.dialect.name == "sqlite"
                    else "SELECT tablename FROM pg_tables WHERE schemaname='public'"
                )
            )
        ]
        dumped = "".join(
            repr(row)
            for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )
    for secret in (PASSWORD, "a wrong password but long"):
        assert secret not in dumped
        assert secret not in caplog.text
    with Session(ana) as session:
        assert session.scalar(select(func.count()).select_from(ConsoleUser)) == 1
