"""Fixtures for rendering pages with AppTest against a throwaway database."""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from core.auth.sessions import SignedInUser
from core.clock import now
from tests import snapshot_factory as factory
from tests.generated_console import generated_console
from tests.pages.helpers import page_env
from ui.auth import signed_in_as

# AppTest carries no cookies: page tests sign in through ui.auth's test hook. By default
# an administrator who opens every page; tests of writes sign in as a user of their
# database (commands check the account), tests of roles as whom they need.
TEST_ADMIN = SignedInUser(
    user_id=999_999, email="admin@barberpro.test", full_name="Test Admin", role="admin"
)


def add_test_admin(url: str) -> str:
    """TEST_ADMIN as an account of ``url``, so the commands a page runs accept them."""
    from core.db import create_engine_for, write_unit
    from core.schema import ConsoleUser

    engine = create_engine_for(url)
    with write_unit(engine) as session:
        if session.get(ConsoleUser, TEST_ADMIN.user_id) is None:
            session.add(
                ConsoleUser(
                    id=TEST_ADMIN.user_id,
                    email=TEST_ADMIN.email,
                    full_name=TEST_ADMIN.full_name,
                    role="admin",
                )
            )
    engine.dispose()
    return url


@pytest.fixture(autouse=True)
def signed_in_admin() -> Iterator[SignedInUser]:
    with signed_in_as(TEST_ADMIN):
        yield TEST_ADMIN


def _env(monkeypatch, url: str) -> None:
    page_env(monkeypatch, url)
    monkeypatch.delenv("BARBERPRO_REFRESH_INTERVAL_S", raising=False)


@pytest.fixture(scope="session")
def console_db(tmp_path_factory) -> str:
    """A database with one realistic snapshot, onboarding sessions and job runs."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'console.db'}"
    factory.make_database(url)
    at = now()
    factory.add_snapshot(url, at - timedelta(seconds=5), factory.realistic_daily(at.date()))
    factory.add_operations(url, at)
    return add_test_admin(url)


@pytest.fixture
def console_env(monkeypatch, console_db) -> str:
    _env(monkeypatch, console_db)
    return console_db


@pytest.fixture
def empty_env(monkeypatch, tmp_path) -> str:
    """A migrated database with nothing in it: no snapshot, no runs."""
    url = add_test_admin(factory.make_database(f"sqlite:///{tmp_path / 'empty.db'}"))
    _env(monkeypatch, url)
    return url


@pytest.fixture(scope="session")
def generated_console_url(tmp_path_factory) -> str:
    """One small generated console (tests/generated_console.py) for this run's page tests."""
    path = tmp_path_factory.getbasetemp() / "generated_console_t360" / "console.db"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        generated_console(path)
    return f"sqlite:///{path}"


@pytest.fixture
def generated_console_env(monkeypatch, generated_console_url) -> str:
    page_env(monkeypatch, generated_console_url)
    return generated_console_url
