"""python -m core.users, masking, the production refusals, proxy addresses, four eyes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.auth.masking import mask_cuit, mask_email, mask_phone, masked
from core.auth.production import production_problems
from core.auth.throttle import client_address
from core.commands import Actor, execute
from core.db import write_unit
from core.schema import AuditEvent, ConsoleUser, OnboardingSession
from core.users import add_user
from core.workflows.onboarding.verification import DecideReview
from tests import db_templates

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "mate amargo en la terraza 1987"


def cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BARBERPRO_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "core.users", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_adds_lists_and_deactivates_users(tmp_path: Path) -> None:
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'cli.db'}")
    added = cli(
        url,
        "add",
        "--email",
        "Ana@Barberpro.com.ar",
        "--name",
        "Ana",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    listed = cli(url, "list")
    assert "ana@barberpro.com.ar\tAna\tadmin\tactive\tpassword" in listed.stdout
    weak = cli(
        url,
        "add",
        "--email",
        "x@barberpro.com.ar",
        "--name",
        "X",
        "--role",
        "admin",
        "--password-stdin",
        stdin="password\n",
    )
    assert weak.returncode == 2 and "at least 15" in weak.stderr
    bad_role = cli(url, "add", "--email", "y@barberpro.com.ar", "--name", "Y", "--role", "boss")
    assert bad_role.returncode == 2 and "role must be one of" in bad_role.stderr
    last_admin = cli(url, "deactivate", "--email", "ana@barberpro.com.ar")
    assert last_admin.returncode == 2 and "last active administrator" in last_admin.stderr
    cli(url, "add", "--email", "bea@barberpro.com.ar", "--name", "Bea", "--role", "admin")
    assert cli(url, "deactivate", "--email", "ana@barberpro.com.ar").returncode == 0
    assert "ana@barberpro.com.ar\tAna\tadmin\tinactive" in cli(url, "list").stdout
    from core.db import create_engine_for

    engine = create_engine_for(url)
    with Session(engine) as session:
        comments = list(session.scalars(select(AuditEvent.comment)))
    engine.dispose()
    assert comments and all(c and c.startswith("command line: ") for c in comments)


def test_personal_data_is_masked_for_those_who_dont_need_it() -> None:
    assert mask_cuit("20-12345674-1") == "20-•••••••4-1"
    assert mask_cuit("30123456781") == "30-•••••••8-1"
    assert mask_email("ana.gomez@peluqueria.com.ar") == "a•••@peluqueria.com.ar"
    assert mask_phone("+54 9 11 5555-1234") == "•••• 34"
    record = {"cuit": "20-12345674-1", "email": "a@b.c", "phone": None, "trade_name": "X"}
    assert masked(record) == {
        "cuit": "20-•••••••4-1",
        "email": "a•••@b.c",
        "phone": None,
        "trade_name": "X",
    }


def test_production_refuses_without_sign_in_a_secret_or_with_error_details(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BARBERPRO_COOKIE_SECRET", raising=False)
    problems = production_problems(engine, show_error_details="full", sso_configured=False)
    assert len(problems) == 3
    assert any("BARBERPRO_COOKIE_SECRET" in p for p in problems)
    assert any("showErrorDetails" in p for p in problems)
    assert any("no active administrator" in p for p in problems)
    monkeypatch.setenv("BARBERPRO_COOKIE_SECRET", "CHANGE-ME")
    with write_unit(engine) as session:
        add_user(
            session=session,
            email="a@barberpro.com.ar",
            name="A",
            role="admin",
            password=PASSWORD,
            actor_id=None,
        )
    problems = production_problems(engine, show_error_details="none", sso_configured=False)
    assert problems == ["BARBERPRO_COOKIE_SECRET is not set (or is a placeholder)"]
    monkeypatch.setenv("BARBERPRO_COOKIE_SECRET", "k" * 40)
    assert production_problems(engine, show_error_details="none", sso_configured=False) == []


def test_forwarded_addresses_are_believed_only_from_the_trusted_proxy() -> None:
    assert client_address("10.0.0.5", "1.2.3.4", None) == "10.0.0.5"
    assert client_address("10.0.0.5", "1.2.3.4", "10.0.0.9") == "10.0.0.5"
    assert client_address("10.0.0.9", "6.6.6.6, 1.2.3.4", "10.0.0.9") == "1.2.3.4"
    assert client_address("10.0.0.9", "not an address", "10.0.0.9") == "10.0.0.9"


def test_a_manual_review_is_decided_by_someone_other_than_who_started_it(engine: Engine) -> None:
    with write_unit(engine) as session:
        runner = ConsoleUser(email="run@b.test", full_name="Runner", role="onboarding")
        other = ConsoleUser(email="rev@b.test", full_name="Reviewer", role="onboarding")
        session.add_all([runner, other])
        session.flush()
        from core.clock import now

        onboarding = OnboardingSession(
            business_name="X",
            vertical="barbershop",
            tier="basico",
            operator_id=runner.id,
            started_at=now(),
            current_step="review",
            status="in_progress",
            verification_status="manual_review",
        )
        session.add(onboarding)
        session.flush()
        ids = (runner.id, other.id, onboarding.id)
    runner_id, other_id, session_id = ids
    from core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        execute(
            DecideReview(session_id, True, "looks fine", locale="en"),
            actor=Actor(runner_id),
            engine=engine,
        )
    assert "someone else must decide" in str(refused.value)
    execute(
        DecideReview(session_id, True, "looks fine", locale="en"),
        actor=Actor(other_id),
        engine=engine,
    )
    with Session(engine) as session:
        assert session.get(OnboardingSession, session_id).verification_status == "approved"  # type: ignore[union-attr]
