"""``python -m core.ops harden`` as a shell runs it: exit 1 on the development setup, 0 on
a production-like one (PostgreSQL), ``--json`` parses, bad flags get one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from core.clock import OFFSET_VARIABLE, real_now
from core.config import FAST_HASH_VARIABLE, PROJECT_ROOT
from core.db import create_engine_for, write_unit
from core.schema import ConsoleUser
from tests import db_templates
from tests.conftest import postgres_url
from tests.core.ops.test_hardening import write_backup

# Variables of the test run that would colour what the audit sees.
_CLEARED = (
    "BARBERPRO_ENV",
    "BARBERPRO_DATABASE_URL",
    "BARBERPRO_DATA_DIR",
    "BARBERPRO_BACKUP_DIR",
    "BARBERPRO_HOST",
    "BARBERPRO_TLS_PROXY",
    "BARBERPRO_TRUSTED_PROXY",
    "BARBERPRO_COOKIE_SECRET",
    "BARBERPRO_WEBHOOK_KEY",
    "BARBERPRO_WEBHOOK_HOSTS",
    "BARBERPRO_WEBHOOK_ALLOW_LOCAL",
    "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS",
    "STREAMLIT_SERVER_MAX_UPLOAD_SIZE",
    OFFSET_VARIABLE,
    FAST_HASH_VARIABLE,
)


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    return subprocess.run(
        [sys.executable, "-m", "core.ops", *args],
        cwd=PROJECT_ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_development_setup_exits_1_with_a_table_and_the_fixes(tmp_path: Path) -> None:
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'dev.db'}")
    done = run("harden", BARBERPRO_DATABASE_URL=url, BARBERPRO_DATA_DIR=str(tmp_path))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("FAIL  production_mode") for line in lines)
    assert any(line.startswith("PASS  upload_limit") for line in lines)
    assert "To fix:" in done.stdout and "BARBERPRO_TLS_PROXY=true" in done.stdout
    assert (tmp_path / "ops" / "hardening-latest.json").exists()


def test_json_prints_the_report(tmp_path: Path) -> None:
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'dev.db'}")
    done = run(
        "harden",
        "--json",
        "--no-store",
        BARBERPRO_DATABASE_URL=url,
        BARBERPRO_DATA_DIR=str(tmp_path),
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["format"] == "barberpro-hardening/1"
    failing = {item["id"] for item in report["items"] if item["status"] == "fail"}
    assert {"production_mode", "postgresql", "tls", "backups"} <= failing
    assert all(item["fix_text"] and item["evidence_text"] for item in report["items"])
    assert not (tmp_path / "ops").exists()


@pytest.mark.parametrize(
    "args", [("harden", "--bogus"), ("nonsense",), (), ("harden", "--json=yes")]
)
def test_bad_flags_get_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("core.ops: ") and "Traceback" not in done.stderr


def test_a_bad_setting_gets_one_line_and_exit_2() -> None:
    done = run("harden", BARBERPRO_ENV="staging")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "core.ops: BARBERPRO_ENV must be development, test or production, got 'staging'"
    )


def test_a_production_like_setup_exits_0(tmp_path: Path) -> None:
    base = postgres_url()
    if base is None:
        pytest.skip("needs BARBERPRO_TEST_POSTGRES_URL")
    url = db_templates.migrated_postgres(base)
    engine = create_engine_for(url)
    with write_unit(engine) as session:
        session.add(
            ConsoleUser(
                email="root@barberpro.test", full_name="Root", role="admin", password_hash="x"
            )
        )
    engine.dispose()
    # The child runs on the real clock (production refuses a shifted one).
    write_backup(tmp_path / "backups", real_now() - timedelta(hours=1))
    done = run(
        "harden",
        BARBERPRO_ENV="production",
        BARBERPRO_DATABASE_URL=url,
        BARBERPRO_DATA_DIR=str(tmp_path),
        BARBERPRO_COOKIE_SECRET="s" * 40,
        BARBERPRO_TLS_PROXY="true",
        BARBERPRO_TRUSTED_PROXY="127.0.0.1",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout
    # Offline, the pins are all the dependency check can vouch for: a warning, honestly.
    assert "WARN  dependency_pins" in done.stdout


def test_a_report_that_cannot_be_stored_is_still_printed(tmp_path: Path) -> None:
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'dev.db'}")
    (tmp_path / "ops").write_text("a file where the folder should be", encoding="utf-8")
    done = run("harden", BARBERPRO_DATABASE_URL=url, BARBERPRO_DATA_DIR=str(tmp_path))
    assert done.returncode == 1
    assert "FAIL  production_mode" in done.stdout and "Stored:" not in done.stdout
    assert done.stderr.startswith("core.ops: the report was not stored: ")
    assert len(done.stderr.strip().splitlines()) == 1
