"""The sign-in routes and the page gate over HTTP (Starlette's TestClient, a real database).

The gate and routes are the ones serve.py mounts in front of Streamlit; a stand-in app
behind the gate says "the console" so a test can tell whether anything got through.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from core.db import create_engine_for, write_unit
from core.schema import AuditEvent, AuthSession
from core.users import add_user
from tests import db_templates
from web.auth_routes import CSRF_COOKIE, ROUTES, SESSION_COOKIE, SignInGate, safe_next

PASSWORD = "mate amargo en la terraza 1987"
EMAIL = "ana.gomez@barberpro.com.ar"


def console(request):  # type: ignore[no-untyped-def]
    return PlainTextResponse("the console")


@pytest.fixture
def client(tmp_path, monkeypatch) -> TestClient:  # type: ignore[no-untyped-def]
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'web.db'}")
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", url)
    engine = create_engine_for(url)
    with write_unit(engine) as session:
        add_user(
            session=session,
            email=EMAIL,
            name="Ana Gómez",
            role="cs_manager",
            password=PASSWORD,
            actor_id=None,
        )
    engine.dispose()
    app = Starlette(
        routes=[*ROUTES, Route("/{path:path}", console)], middleware=[Middleware(SignInGate)]
    )
    test_client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    test_client.database_url = url  # type: ignore[attr-defined]
    return test_client


def sign_in(client: TestClient, password: str = PASSWORD, next_path: str = "/revenue"):  # type: ignore[no-untyped-def]
    form = client.get(f"/signin?lang=en&next={next_path}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    return client.post(
        "/auth/login",
        data={"email": EMAIL, "password": password, "csrf": csrf, "next": next_path, "lang": "en"},
        headers={"Origin": "http://testserver"},
    )


@pytest.mark.parametrize(
    "path", ["/", "/revenue", "/tenant-360?tenant=1", "/triage?alert=3&lang=en", "/nonexistent"]
)
def test_an_anonymous_page_load_goes_to_the_sign_in_form(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303 and "the console" not in response.text
    assert response.headers["location"].startswith("/signin?")
    form = client.get(response.headers["location"])
    assert form.status_code == 200
    assert 'for="email"' in form.text and 'type="password"' in form.text


def test_the_form_is_spanish_by_default_and_english_on_request(client: TestClient) -> None:
    spanish, english = client.get("/signin").text, client.get("/signin?lang=en").text
    assert ">E-mail</label>" in spanish and ">Contraseña</label>" in spanish
    assert ">Ingresar</button>" in spanish
    assert ">Email</label>" in english and ">Password</label>" in english
    assert ">Sign in</button>" in english


def test_signing_in_sets_an_httponly_session_cookie_and_goes_back(client: TestClient) -> None:
    response = sign_in(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/revenue?lang=en"
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert client.get("/revenue").text == "the console"


def test_a_wrong_password_shows_one_message_and_sets_nothing(client: TestClient) -> None:
    response = sign_in(client, password="not the password at all")
    assert response.status_code == 401
    assert "Those details don&#x27;t let you in" in response.text
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/revenue").status_code == 303


def test_a_post_without_the_forms_token_is_refused(client: TestClient) -> None:
    client.get("/signin")
    response = client.post(
        "/auth/login", data={"email": EMAIL, "password": PASSWORD, "csrf": "forged"}
    )
    assert response.status_code == 400 and SESSION_COOKIE not in client.cookies


def test_a_post_from_another_site_is_refused(client: TestClient) -> None:
    form = client.get("/signin")
    csrf = client.cookies[CSRF_COOKIE]
    assert csrf in form.text
    response = client.post(
        "/auth/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400 and SESSION_COOKIE not in client.cookies


def test_signing_out_ends_the_session_everywhere(client: TestClient) -> None:
    sign_in(client)
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/auth/logout?lang=en", headers={"Origin": "http://testserver"})
    assert response.status_code == 303 and "signed_out=1" in response.headers["location"]
    # Another tab still holding the old cookie is sent to the form as well.
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/revenue").status_code == 303
    engine = create_engine_for(client.database_url)  # type: ignore[attr-defined]
    with Session(engine) as session:
        assert session.scalar(select(AuthSession.revoked_reason)) == "signed_out"
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    engine.dispose()
    assert actions[-2:] == ["auth.sign_in", "auth.sign_out"]


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("/revenue?tenant=1", "/revenue?tenant=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/signin?next=/x", "/"),
        ("", "/"),
    ],
)
def test_next_only_goes_to_local_pages(raw: str, safe: str) -> None:
    assert safe_next(raw) == safe


def test_a_hostile_next_and_email_are_escaped_in_the_form(client: TestClient) -> None:
    page = client.get('/signin?next=/x"><script>alert(1)</script>').text
    assert "<script>alert(1)" not in page
    form = client.get("/signin")
    csrf = client.cookies[CSRF_COOKIE]
    response = client.post(
        "/auth/login",
        data={"email": '"><img src=x onerror=alert(1)>', "password": "x", "csrf": csrf},
        headers={"Origin": "http://testserver"},
    )
    assert "<img src=x" not in response.text and form.status_code == 200
