"""The API against a real migrated SQLite database: console users, their tokens, a client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from core.auth.api_tokens import issue_api_token
from core.config import Settings
from core.db import create_engine_for, write_unit
from core.schema import ConsoleUser
from tests import db_templates
from tests.conftest import POSTGRES_URL_VARIABLE, postgres_url

BACKENDS = ["sqlite", "postgresql"]

# One console user per role the tests need, with a token each.
USERS = {
    "admin": (1, "Ana Admin", "ana.admin@barberpro.com.ar"),
    "executive": (2, "Esteban Ejecutivo", "esteban@barberpro.com.ar"),
    "cs_manager": (3, "Carla Cuentas", "carla@barberpro.com.ar"),
    "onboarding": (4, "Omar Onboarding", "omar@barberpro.com.ar"),
}


@dataclass(frozen=True)
class ApiWorld:
    url: str
    engine: Engine
    settings: Settings
    client: TestClient
    tokens: dict[str, str]  # role -> plain token

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def add_users(engine: Engine) -> None:
    with write_unit(engine) as session:
        for role, (user_id, name, email) in USERS.items():
            session.add(ConsoleUser(id=user_id, full_name=name, email=email, role=role))


def issue(engine: Engine, user_id: int, *, expires_days: int | None = None) -> str:
    with write_unit(engine) as session:
        issued = issue_api_token(
            session=session,
            user_id=user_id,
            name="tests",
            expires_days=expires_days,
            actor_id=None,
            comment="tests",
        )
    return issued.token


def _database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'api.db'}")
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} (set by .ci/run)")
    return db_templates.migrated_postgres(url)


@pytest.fixture
def api_world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ApiWorld]:
    """SQLite; tests whose SQL differs by backend ask for PostgreSQL too:
    ``@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)``."""
    url = _database(getattr(request, "param", "sqlite"), tmp_path)
    # Code paths that read the environment (the readiness audit) see the same database.
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", url)
    monkeypatch.setenv("BARBERPRO_DATA_DIR", str(tmp_path))
    settings = Settings(database_url=url, environment="test", data_dir=tmp_path)
    engine = create_engine_for(url)
    add_users(engine)
    tokens = {role: issue(engine, user_id) for role, (user_id, _n, _e) in USERS.items()}
    # raise_server_exceptions=False: the client sees what a real client would (the 500).
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield ApiWorld(url, engine, settings, client, tokens)
    engine.dispose()
