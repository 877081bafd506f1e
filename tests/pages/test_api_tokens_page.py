"""API tokens page (administrators) and My account's own tokens, with AppTest on a real
SQLite database: issuing shows the token once and it signs in; it is stored as a hash;
revoking stops it; bad input changes nothing; hostile labels stay text."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.auth.api_tokens import RevokeApiToken, issue_api_token, resolve_api_token
from core.auth.sessions import SignedInUser
from core.clock import now
from core.commands import Actor, execute
from core.db import create_engine_for, write_unit
from core.schema import ApiToken, AuditEvent, ConsoleUser
from core.security import markdown_safe
from core.users import add_user, change_user
from page_registry import PAGES
from tests.pages.conftest import TEST_ADMIN
from tests.pages.helpers import as_read, assert_clean, render_page
from ui.auth import signed_in_as

PAGE = "app_pages/api_tokens.py"
MY_ACCOUNT = "app_pages/my_account.py"
SPEC = next(p for p in PAGES if p.path == PAGE)
HOSTILE = "**bold** [x](https://evil.example) <img src=x onerror=alert(1)>"


@pytest.fixture
def people(empty_env: str) -> dict[str, int]:
    """Three console users besides the test admin: one of them deactivated."""
    engine = create_engine_for(empty_env)
    ids = {}
    with write_unit(engine) as session:
        for key, name, role in (
            ("finance", "Florencia Finanzas", "executive"),
            ("ops", "Octavio Operaciones", "admin"),
            ("gone", "Gustavo Ido", "cs_manager"),
        ):
            user = add_user(
                session=session,
                email=f"{key}@barberpro.com.ar",
                name=name,
                role=role,
                password=None,
                actor_id=None,
            )
            ids[key] = user.id
    engine.dispose()
    return ids


def _engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine_for(url)


def _issue(url: str, user_id: int, name: str = "tests", days: int | None = 30) -> str:
    engine = _engine(url)
    with write_unit(engine) as session:
        token = issue_api_token(
            session=session, user_id=user_id, name=name, expires_days=days, actor_id=None
        ).token
    engine.dispose()
    return token


def _resolves(url: str, token: str) -> bool:
    engine = _engine(url)
    with Session(engine) as session:
        caller = resolve_api_token(session=session, token=token)
    engine.dispose()
    return caller is not None


def _count(url: str, model) -> int:  # type: ignore[no-untyped-def]
    engine = _engine(url)
    with Session(engine) as session:
        n = session.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return int(n or 0)


def _widget(widgets, label: str):  # type: ignore[no-untyped-def]
    matches = [w for w in widgets if w.label == label]
    assert len(matches) == 1, [w.label for w in widgets]
    return matches[0]


def _button(app: AppTest, label: str):  # type: ignore[no-untyped-def]
    return _widget(app.button, label)


def _fill_issue(app: AppTest, user_id: int | None, label: str, days: int = 90) -> None:
    if user_id is not None:
        _widget(app.selectbox, "For").set_value(user_id)
    _widget(app.text_input, "Label").set_value(label)
    _widget(app.number_input, "Expires in (days)").set_value(days)


def _session_values(app: AppTest) -> str:
    # Every value the session keeps (widgets' included), as text.
    return repr(app.session_state._state.filtered_state)


def test_an_admin_issues_a_token_shown_once_that_works(empty_env, people):
    app = render_page(PAGE, {"lang": "en"})
    assert app.title[0].value == "API tokens"
    assert "No API tokens yet" in app.info[0].value
    _fill_issue(app, people["finance"], "Finance export")
    _button(app, "Issue the token").click().run()
    assert_clean(app)
    assert len(app.code) == 1
    token = app.code[0].value
    assert token.startswith("bp_") and len(token) > 40
    assert "shown only this once" in app.warning[0].value
    assert "Finance export" in app.success[0].value
    # It signs in as its user, and the database holds only its SHA-256.
    assert _resolves(empty_env, token)
    engine = _engine(empty_env)
    with Session(engine) as session:
        row = session.scalars(select(ApiToken)).one()
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("api_token"))
        ).all()
    engine.dispose()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.user_id == people["finance"] and row.created_by == TEST_ADMIN.user_id
    assert row.name == "Finance export" and token.startswith(row.hint) and token != row.hint
    assert row.expires_at is not None and row.expires_at - row.created_at == timedelta(days=90)
    assert [(a.action, a.actor_id) for a in audit] == [("api_token.issue", TEST_ADMIN.user_id)]
    assert token not in repr(audit[0].after)
    # Never in the session state or the query string.
    assert token not in _session_values(app)
    assert token not in repr(dict(app.query_params))
    # The list of the same run already has it.
    table = app.dataframe[0].value
    assert list(table["name"]) == ["Finance export"] and list(table["state"]) == ["Active"]
    assert list(table["email"]) == ["finance@barberpro.com.ar"]
    assert list(table["created_by"]) == ["Test Admin"]

    # Hiding it (any rerun) leaves no trace of the secret.
    _button(app, "I copied it: hide the token").click().run()
    assert_clean(app)
    assert not app.code
    assert token not in _session_values(app)
    assert token not in " ".join(str(e.value) for e in app.markdown)
    assert list(app.dataframe[0].value["hint"]) == [f"{row.hint}…"]
    assert _resolves(empty_env, token)


def test_a_token_that_never_expires(empty_env, people):
    app = render_page(PAGE, {"lang": "en"})
    _fill_issue(app, people["ops"], "Status board")
    _widget(app.checkbox, "Never expires").check()
    _button(app, "Issue the token").click().run()
    assert_clean(app)
    assert "it expires: never" in as_read(app.success[0].value)
    engine = _engine(empty_env)
    with Session(engine) as session:
        assert session.scalars(select(ApiToken.expires_at)).one() is None
    engine.dispose()


@pytest.mark.parametrize(
    ("label", "days", "choose_user", "message"),
    [
        ("", 90, True, "Name the token (what it is for) in 1 to 80 characters."),
        ("   ", 90, True, "Name the token (what it is for) in 1 to 80 characters."),
        ("bell\a", 90, True, "Name the token (what it is for) in 1 to 80 characters."),
        ("ok", 0, True, "The expiry must be between 1 and 730 days."),
        ("ok", -5, True, "The expiry must be between 1 and 730 days."),
        ("ok", 731, True, "The expiry must be between 1 and 730 days."),
        ("ok", 90, False, "Choose who the token is for."),
    ],
    ids=["empty", "blank", "unprintable", "zero-days", "negative-days", "too-many-days", "no-user"],
)
def test_bad_input_is_one_message_and_writes_nothing(
    empty_env, people, label, days, choose_user, message
):
    app = render_page(PAGE, {"lang": "en"})
    _fill_issue(app, people["finance"] if choose_user else None, label, days)
    _button(app, "Issue the token").click().run()
    assert not app.exception
    assert [as_read(e.value) for e in app.error] == [message]
    assert not app.code
    assert _count(empty_env, ApiToken) == 0
    assert _actions(empty_env) == []


def test_the_label_field_holds_at_most_80_characters(empty_env, people):
    # The field cuts a longer paste (the browser and the server both); the command refuses
    # a longer label from any other caller (tests/core/auth).
    app = render_page(PAGE, {"lang": "en"})
    _fill_issue(app, people["finance"], "x" * 81)
    _button(app, "Issue the token").click().run()
    assert_clean(app)
    engine = _engine(empty_env)
    with Session(engine) as session:
        assert session.scalars(select(ApiToken.name)).one() == "x" * 80
    engine.dispose()


def test_only_active_users_can_be_chosen(empty_env, people):
    engine = _engine(empty_env)
    with write_unit(engine) as session:
        change_user(session=session, email="gone@barberpro.com.ar", active=False, actor_id=None)
    engine.dispose()
    app = render_page(PAGE, {"lang": "en"})
    options = _widget(app.selectbox, "For").options
    assert any("finance@barberpro.com.ar" in o for o in options)
    assert not any("gone@barberpro.com.ar" in o for o in options)


def test_the_list_shows_every_state_and_filters(empty_env, people):
    active = _issue(empty_env, people["finance"], "Finance export")
    _issue(empty_env, people["finance"], "Old export")
    _issue(empty_env, people["ops"], "Revoked one")
    _issue(empty_env, people["gone"], "Departed")
    engine = _engine(empty_env)
    with write_unit(engine) as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.name == "Old export")
            .values(expires_at=now() - timedelta(days=1))
        )
        revoked_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "Revoked one"))
        change_user(session=session, email="gone@barberpro.com.ar", active=False, actor_id=None)
    execute(RevokeApiToken(revoked_id), actor=Actor(TEST_ADMIN.user_id, "admin"), engine=engine)
    engine.dispose()
    assert _resolves(empty_env, active)

    app = render_page(PAGE, {"lang": "en"})
    table = app.dataframe[0].value
    states = dict(zip(table["name"], table["state"], strict=True))
    assert states == {
        "Finance export": "Active",
        "Old export": "Expired",
        "Revoked one": "Revoked",
        "Departed": "User deactivated",
    }
    assert "4 tokens: 1 active, 1 expired, 1 revoked, 1 of deactivated users." in [
        c.value for c in app.caption
    ]
    assert set(table["role"]) == {"Executive", "Administrator", "CS manager"}
    _widget(app.multiselect, "State").set_value(["expired", "revoked"]).run()
    assert set(app.dataframe[0].value["name"]) == {"Old export", "Revoked one"}
    _widget(app.multiselect, "State").set_value([]).run()
    _widget(app.selectbox, "User").set_value(people["finance"]).run()
    assert set(app.dataframe[0].value["name"]) == {"Finance export", "Old export"}
    assert len(app.get("download_button")) == 1
    # Revoked tokens are not offered for revocation again.
    offered = _widget(app.selectbox, "Token").options
    assert not any("Revoked one" in o for o in offered) and len(offered) == 3

    es = render_page(PAGE, {"lang": "es_AR"})
    assert es.title[0].value == "Tokens de API"
    assert set(es.dataframe[0].value["state"]) == {
        "Activo",
        "Vencido",
        "Revocado",
        "Usuario desactivado",
    }


def test_revoking_needs_a_confirmation_and_then_the_token_stops(empty_env, people):
    token = _issue(empty_env, people["finance"], "Finance export")
    app = render_page(PAGE, {"lang": "en"})
    picker = _widget(app.selectbox, "Token")
    assert len(picker.options) == 1 and "Finance export" in picker.options[0]
    picker.set_value(_only_id(empty_env))
    _button(app, "Revoke").click().run()
    assert [e.value for e in app.error] == ["Tick the confirmation to revoke the token."]
    assert _resolves(empty_env, token)

    app = render_page(PAGE, {"lang": "en"})
    _widget(app.selectbox, "Token").set_value(_only_id(empty_env))
    _widget(app.checkbox, _CONFIRM).check()
    _button(app, "Revoke").click().run()
    assert_clean(app)
    assert f"Token #{_only_id(empty_env)} revoked" in app.success[0].value
    assert list(app.dataframe[0].value["state"]) == ["Revoked"]
    assert not _resolves(empty_env, token)
    assert _actions(empty_env) == ["api_token.issue", "api_token.revoke"]


_CONFIRM = "Yes, revoke it: whatever uses it gets 401 from the next request on."


def _only_id(url: str) -> int:
    engine = _engine(url)
    with Session(engine) as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    engine.dispose()
    return int(token_id)


def _actions(url: str) -> list[str]:
    engine = _engine(url)
    with Session(engine) as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.startswith("api_token"))
            .order_by(AuditEvent.id)
        ).all()
    engine.dispose()
    return list(actions)


def test_a_stale_window_revoking_a_revoked_token_gets_one_message(empty_env, people):
    _issue(empty_env, people["finance"], "Finance export")
    token_id = _only_id(empty_env)
    app = render_page(PAGE, {"lang": "en"})
    _widget(app.selectbox, "Token").set_value(token_id)
    _widget(app.checkbox, _CONFIRM).check()
    # Another window revokes it first.
    engine = _engine(empty_env)
    execute(RevokeApiToken(token_id), actor=Actor(TEST_ADMIN.user_id, "admin"), engine=engine)
    engine.dispose()
    _button(app, "Revoke").click().run()
    assert not app.exception
    assert [as_read(e.value) for e in app.error] == [f"API token #{token_id} is revoked already."]
    assert _actions(empty_env) == ["api_token.issue", "api_token.revoke"]


def test_hostile_labels_stay_text(empty_env, people):
    app = render_page(PAGE, {"lang": "en"})
    _fill_issue(app, people["finance"], HOSTILE)
    _button(app, "Issue the token").click().run()
    assert_clean(app)
    success = app.success[0].value
    assert markdown_safe(HOSTILE) in success and "**bold**" not in success
    assert HOSTILE in as_read(success)
    assert list(app.dataframe[0].value["name"]) == [HOSTILE]


def _stand_in() -> None:
    from page_registry import PAGES
    from ui.gate import no_access_page

    no_access_page(next(p for p in PAGES if p.url_path == "api-tokens"))()


@pytest.mark.parametrize("role", ["executive", "cs_manager", "cs_lead", "onboarding", "display"])
def test_other_roles_are_refused(role: str, console_env: str) -> None:
    assert role not in SPEC.roles and SPEC.roles == ("admin",)
    user = SignedInUser(user_id=999_998, email=f"{role}@b.test", full_name="Someone", role=role)
    with signed_in_as(user):
        app = AppTest.from_function(_stand_in, default_timeout=30)
        app.query_params["lang"] = "en"
        app.run()
    assert not app.exception
    assert len(app.error) == 1 and "You don't have access to" in app.error[0].value
    assert "API tokens" in app.error[0].value
    assert not app.title and not app.button and not app.dataframe and not app.code


def test_my_account_lists_and_revokes_only_my_tokens(empty_env, people):
    mine = _issue(empty_env, people["finance"], "My export")
    _issue(empty_env, people["ops"], "Someone else's")
    user = SignedInUser(
        user_id=people["finance"],
        email="finance@barberpro.com.ar",
        full_name="Florencia Finanzas",
        role="executive",
    )
    with signed_in_as(user):
        app = render_page(MY_ACCOUNT, {"lang": "en"})
        table = app.dataframe[0].value
        assert list(table["name"]) == ["My export"]
        assert "email" not in table.columns
        assert list(table["state"]) == ["Active"]
        # No issuing here: only administrators issue tokens.
        assert not [b for b in app.button if b.label == "Issue the token"]
        picker = _widget(app.selectbox, "Token")
        assert len(picker.options) == 1 and "My export" in picker.options[0]
        engine = _engine(empty_env)
        with Session(engine) as session:
            my_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "My export"))
        engine.dispose()
        picker.set_value(my_id)
        _widget(app.checkbox, _CONFIRM).check()
        _button(app, "Revoke").click().run()
        assert_clean(app)
        assert "revoked" in app.success[0].value
        assert list(app.dataframe[0].value["state"]) == ["Revoked"]
    assert not _resolves(empty_env, mine)


def test_my_account_without_tokens_says_who_issues_them(empty_env, people):
    user = SignedInUser(
        user_id=people["finance"],
        email="finance@barberpro.com.ar",
        full_name="Florencia Finanzas",
        role="executive",
    )
    with signed_in_as(user):
        app = render_page(MY_ACCOUNT, {"lang": "es_AR"})
    assert not app.dataframe
    assert any("administrador" in c.value for c in app.caption)
    assert _count(empty_env, ConsoleUser) == 4
