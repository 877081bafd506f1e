"""Fixtures: small generated data sets, made once per test session."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from data.generate import generate_demo_data

# A window (Jan 10 - Apr 10, 2026) with Carnival, March 23-24 and Easter holidays.
SMALL_TODAY = date(2026, 4, 10)
SMALL_AS_OF = datetime(2026, 4, 10)


@pytest.fixture(scope="session")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 tenants, 3 months, in a SQLite file; returns the file's path."""
    path = tmp_path_factory.mktemp("small") / "demo.db"
    generate_demo_data(f"sqlite:///{path}", tenants=20, months=3, seed=11, today=SMALL_TODAY)
    return path


@pytest.fixture()
def small_db(small_set: Path):  # type: ignore[no-untyped-def]
    con = sqlite3.connect(small_set)
    yield con
    con.close()
