"""Sign-in in the browser: nothing before it, each role's pages, books of business,
sign-out reaching every tab. On a copy of the full generated console (every job run)."""

from __future__ import annotations

import csv
import io
import re
import secrets
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth.roles import ROLES
from core.db import create_engine_for, write_unit
from core.i18n import gettext
from core.schema import Tenant
from core.users import add_user
from page_registry import PAGES
from tests import db_templates
from tests.e2e.harness import RunningApp, open_in_this_session, running_app, wait_for_idle

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass(frozen=True)
class Console:
    app: RunningApp
    url: str
    passwords: dict[str, tuple[str, str]]  # role or name -> (email, password)
    books: dict[str, set[int]]  # manager key -> tenant ids


@pytest.fixture(scope="module")
def console(full_console_url: str, tmp_path_factory) -> Iterator[Console]:  # type: ignore[no-untyped-def]
    workdir: Path = tmp_path_factory.mktemp("sign-in")
    source = Path(full_console_url.removeprefix("sqlite:///"))
    db_templates.copy_sqlite(source, workdir / "console.db")
    url = f"sqlite:///{workdir / 'console.db'}"
    engine = create_engine_for(url)
    passwords: dict[str, tuple[str, str]] = {}
    with Session(engine) as session:
        # The two CS managers with the biggest books.
        owners = session.execute(
            select(Tenant.cs_owner_id, Tenant.id).where(Tenant.cs_owner_id.is_not(None))
        ).all()
    books: dict[int, set[int]] = {}
    for owner, tenant in owners:
        books.setdefault(int(owner), set()).add(int(tenant))
    first, second = sorted(books, key=lambda o: -len(books[o]))[:2]
    with write_unit(engine) as session:
        for role in ROLES:
            password = f"mate cocido en la galeria {secrets.token_hex(4)}"
            email = f"{role}.e2e@barberpro.com.ar"
            add_user(
                session=session,
                email=email,
                name=f"Prueba {role}",
                role=role,
                password=password,
                actor_id=None,
            )
            passwords[role] = (email, password)
        from core.schema import ConsoleUser
        from core.users import set_password

        for key, owner in (("manager_a", first), ("manager_b", second)):
            user = session.get(ConsoleUser, owner)
            assert user is not None
            password = f"caminata por la costanera {secrets.token_hex(4)}"
            set_password(session=session, email=user.email, password=password, actor_id=None)
            passwords[key] = (user.email, password)
    with Session(engine) as session:
        tenant_books = {
            key: set(session.scalars(select(Tenant.id).where(Tenant.cs_owner_id == owner)))
            for key, owner in (("manager_a", first), ("manager_b", second))
        }
    engine.dispose()
    # No harness session: every visitor here signs in (or not) by themselves.
    with running_app(
        url, workdir=workdir, signed_in_role=None, env={"BARBERPRO_REFRESH_INTERVAL_S": "3600"}
    ) as app:
        yield Console(app, url, passwords, tenant_books)


def sign_in(page, console: Console, who: str, path: str = "/?lang=en") -> None:  # type: ignore[no-untyped-def]
    email, password = console.passwords[who]
    page.goto(f"{console.app.url}{path}")
    expect(page).to_have_url(re.compile(r"/signin\?"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_idle(page, timeout_ms=90_000)


def get_without_cookies(address: str) -> tuple[str, str]:
    """The address a plain GET ends at, redirects followed, and the body found there."""
    with urllib.request.urlopen(address, timeout=30) as response:
        return response.url, response.read().decode("utf-8")


def test_every_page_shows_only_the_sign_in_form_to_an_anonymous_visitor(
    console: Console, anonymous_page
) -> None:  # type: ignore[no-untyped-def]
    # What the server answers each address, over plain HTTP: the gate decides before any
    # browser would run a script, so a page load per address adds nothing but time.
    for spec in PAGES:
        for query in ("", "?tenant=1&alert=1&session=1"):
            address, body = get_without_cookies(f"{console.app.url}/{spec.url_path}{query}")
            assert re.search(r"/signin\?", address), (spec.url_path, query, address)
            # Spanish by default, nothing of the console: no Streamlit app at all.
            assert '<label for="email">E-mail</label>' in body, address
            assert '<label for="password">Contraseña</label>' in body, address
            assert '<button type="submit">Ingresar</button>' in body, address
            assert "<script" not in body, address  # the console is a script; none is served
    # And what a browser shows of it, in each language.
    page = anonymous_page
    page.goto(f"{console.app.url}/revenue?lang=en")
    expect(page).to_have_url(re.compile(r"/signin\?"))
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(f"{console.app.url}/revenue")
    expect(page).to_have_url(re.compile(r"/signin\?"))
    expect(page.get_by_label("E-mail")).to_be_visible()
    expect(page.get_by_label("Contraseña")).to_be_visible()
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    assert page.locator("[data-testid='stApp']").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "signin.png"))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_pages_and_is_refused_every_other(
    console: Console, anonymous_page, role: str
) -> None:  # type: ignore[no-untyped-def]
    page = anonymous_page
    sign_in(page, console, role, "/definitions?lang=en")
    expect(page.get_by_role("heading", level=1).first).to_contain_text("Metric definitions")
    nav = page.get_by_test_id("stSidebarNav")
    allowed = [p for p in PAGES if role in p.roles]
    for spec in PAGES:
        title = gettext(spec.title, "en")
        link = nav.get_by_role("link", name=title, exact=True)
        expect(link).to_have_count(1 if spec in allowed else 0)
    refused = [spec for spec in PAGES if spec not in allowed]
    for index, spec in enumerate(refused):
        address = f"{console.app.url}/{spec.url_path}?lang=en"
        if index == 0:
            page.goto(address)  # a direct link, as typed or bookmarked
        else:
            # The rest in the same session, as the browser's back and forward do: the
            # server still decides every page, without a page load per refusal.
            open_in_this_session(page, address)
        title = gettext(spec.title, "en")
        # The sentence names the page, so it cannot be the previous refusal's.
        refusal = page.get_by_text(f"You don't have access to {title}.")
        expect(refusal).to_be_visible(timeout=60_000)
        wait_for_idle(page, timeout_ms=60_000)
        expect(page.get_by_test_id("stMetric")).to_have_count(0)
        expect(page.get_by_test_id("stDataFrame")).to_have_count(0)


def _directory_tenants(page, console: Console) -> set[int]:  # type: ignore[no-untyped-def]
    page.goto(f"{console.app.url}/tenants?lang=en")
    wait_for_idle(page, timeout_ms=90_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    return {int(row["tenant_id"]) for row in csv.DictReader(io.StringIO(text))}


def test_two_managers_in_one_server_see_only_their_own_books(console: Console, browser) -> None:  # type: ignore[no-untyped-def]
    pages = {}
    for key in ("manager_a", "manager_b"):
        context = browser.new_context(
            viewport={"width": 1440, "height": 1100}, accept_downloads=True
        )
        pages[key] = context.new_page()
        sign_in(pages[key], console, key)
    try:
        for key, other in (("manager_a", "manager_b"), ("manager_b", "manager_a")):
            page = pages[key]
            seen = _directory_tenants(page, console)
            assert seen and seen <= console.books[key], (key, seen - console.books[key])
            assert not seen & console.books[other]
            outside = min(console.books[other])
            page.goto(f"{console.app.url}/tenant-360?tenant={outside}&lang=en")
            wait_for_idle(page, timeout_ms=90_000)
            expect(
                page.get_by_text(f"Tenant #{outside} is not in your book of business.")
            ).to_be_visible()
            inside = min(console.books[key])
            page.goto(f"{console.app.url}/tenant-360?tenant={inside}&lang=en")
            wait_for_idle(page, timeout_ms=90_000)
            expect(page.get_by_text(f"#{inside}").first).to_be_visible()
            page.goto(f"{console.app.url}/triage?lang=en")
            wait_for_idle(page, timeout_ms=90_000)
            expect(page.get_by_text("Your book of business")).to_be_visible()
    finally:
        for page in pages.values():
            page.context.close()


def test_sign_out_ends_the_session_in_every_tab(console: Console, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    try:
        first = context.new_page()
        sign_in(first, console, "executive", "/definitions?lang=en")
        second = context.new_page()
        second.goto(f"{console.app.url}/definitions?lang=en")
        wait_for_idle(second)
        expect(second.get_by_role("heading", level=1).first).to_contain_text("Metric definitions")
        first.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
        wait_for_idle(first)
        expect(first.get_by_text("Sign in to continue.")).to_be_visible()
        # The other tab's next run (any click or refresh) finds the session ended.
        second.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
        second.keyboard.press("Escape")
        second.reload()
        expect(second).to_have_url(re.compile(r"/signin\?"))
    finally:
        context.close()


def test_no_password_reaches_the_server_log_or_the_database(console: Console) -> None:
    """Runs last in this module: every sign-in above typed a password."""
    log = console.app.log_path.read_text(errors="replace")
    engine = create_engine_for(console.url)
    with engine.connect() as connection:
        from sqlalchemy import text

        tables = [
            r[0]
            for r in connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        ]
        dump = "".join(
            repr(row)
            for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )
    engine.dispose()
    for _email, password in console.passwords.values():
        assert password not in log
        assert password not in dump
