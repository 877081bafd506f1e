"""Fixtures for rendering pages with AppTest against a throwaway database."""

from datetime import timedelta

import pytest

from core.clock import now
from tests import snapshot_factory as factory
from tests.generated_console import generated_console
from tests.pages.helpers import page_env


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
    return url


@pytest.fixture
def console_env(monkeypatch, console_db) -> str:
    _env(monkeypatch, console_db)
    return console_db


@pytest.fixture
def empty_env(monkeypatch, tmp_path) -> str:
    """A migrated database with nothing in it: no snapshot, no runs."""
    url = factory.make_database(f"sqlite:///{tmp_path / 'empty.db'}")
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
