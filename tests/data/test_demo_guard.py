"""The demo tools stay away from real data: production refuses them, and outside
production they write only into a database the generator filled (or when told to)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.config import PROJECT_ROOT
from core.db import create_engine_for
from core.schema import AuditEvent, Booking
from data.demo_guard import DEMO_ACTION, is_demo_database
from data.generate import generate_demo_data

SMALL = {"tenants": 2, "months": 1, "seed": 3, "today": date(2026, 3, 18)}


def _cli(module: str, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BARBERPRO_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guard") / "demo.db"
    generate_demo_data(f"sqlite:///{path}", **SMALL)
    return path


@pytest.fixture
def real_db(demo_db: Path, tmp_path: Path) -> str:
    """The demo data with its marks removed: what a real database looks like to the tools."""
    path = tmp_path / "real.db"
    _copy(demo_db, path)
    engine = create_engine_for(f"sqlite:///{path}")
    with Session(engine) as session, session.begin():
        session.execute(delete(AuditEvent).where(AuditEvent.action == DEMO_ACTION))
    assert not is_demo_database(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def _copy(source: Path, target: Path) -> None:
    # The backup API, not a file copy: in WAL mode recent pages live beside the file.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _bookings(url: str) -> int:
    engine = create_engine_for(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Booking)).scalar_one()
    engine.dispose()
    return count


def test_the_generator_marks_its_database(demo_db: Path) -> None:
    engine = create_engine_for(f"sqlite:///{demo_db}")
    with Session(engine) as session:
        marker = session.scalars(select(AuditEvent).where(AuditEvent.action == DEMO_ACTION)).one()
    assert marker.after == {"tenants": 2, "months": 1, "seed": 3, "today": "2026-03-18"}
    assert is_demo_database(engine)
    engine.dispose()


@pytest.mark.parametrize(
    ("module", "tool"),
    [("data.generate", "the demo generator"), ("data.simulate", "the simulator")],
)
def test_production_refuses_the_demo_tools(module: str, tool: str, tmp_path: Path) -> None:
    target = tmp_path / "never.db"
    for url in (f"sqlite:///{target}", "postgresql+psycopg://nobody@127.0.0.1:1/prod"):
        result = _cli(module, "--database-url", url, env={"BARBERPRO_ENV": "production"})
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert lines == [
            f"{module}: refused: {tool} writes fake demo data and is disabled when "
            "BARBERPRO_ENV=production; run it with BARBERPRO_ENV=development against a demo "
            "database"
        ]
        assert result.stdout == ""
    assert not target.exists()


def test_the_simulator_refuses_a_database_the_generator_did_not_fill(real_db: str) -> None:
    before = _bookings(real_db)
    result = _cli("data.simulate", "--once", "50", "--database-url", real_db)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "data.simulate: refused: this database holds data the demo generator did not write, "
        "and the simulator would add fake activity to it; pass --allow-non-demo if that is "
        "really what you want"
    ]
    assert _bookings(real_db) == before
    allowed = _cli("data.simulate", "--once", "50", "--allow-non-demo", "--database-url", real_db)
    assert allowed.returncode == 0, allowed.stderr


def test_the_simulator_writes_into_demo_data(demo_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    _copy(demo_db, copy)
    result = _cli("data.simulate", "--once", "50", "--database-url", f"sqlite:///{copy}")
    assert result.returncode == 0, result.stderr


def test_replace_refuses_a_database_the_generator_did_not_fill(real_db: str) -> None:
    before = _bookings(real_db)
    args = ["--quiet", "--tenants", "1", "--months", "1", "--replace", "--database-url", real_db]
    result = _cli("data.generate", *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "data.generate: refused: this database holds data the demo generator did not write, "
        "and --replace would delete it; pass --allow-non-demo if that is really what you want"
    ]
    assert _bookings(real_db) == before
    allowed = _cli("data.generate", *args, "--allow-non-demo")
    assert allowed.returncode == 0, allowed.stderr
    assert is_demo_database(create_engine_for(real_db))
