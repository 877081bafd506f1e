"""API tokens: stored hashed, refused once revoked or expired or when their user is
deactivated, issued by the command line, revoked by a command with an audit row."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.auth.api_tokens import (
    LAST_USED_GRANULARITY,
    TOKEN_PREFIX,
    ApiTokenError,
    IssueApiToken,
    RevokeApiToken,
)
from core.clock import now
from core.commands import Actor, PermissionDeniedError, execute
from core.db import read_session, write_unit
from core.schema import ApiToken, AuditEvent, Base, ConsoleUser
from core.users.__main__ import main as users_cli
from tests.api.conftest import BACKENDS, USERS, ApiWorld, issue

ROOT = Path(__file__).resolve().parents[2]
STATUS = "/api/t11/status"


def _every_stored_value(world: ApiWorld) -> str:
    """Every row of every table, as text (both backends)."""
    with read_session(world.engine) as session:
        return repr([session.execute(select(table)).all() for table in Base.metadata.sorted_tables])


def _database_bytes(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(
        candidate.read_bytes()
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
        if candidate.exists()
    )


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_a_token_is_stored_hashed_and_shown_nowhere(api_world: ApiWorld) -> None:
    token = api_world.tokens["executive"]
    assert token.startswith(TOKEN_PREFIX) and len(token) >= 40
    assert api_world.client.get(STATUS, headers=api_world.auth("executive")).status_code == 200
    with read_session(api_world.engine) as session:
        rows = session.scalars(select(ApiToken)).all()
        audit = session.scalars(select(AuditEvent)).all()
    assert len(rows) == len(USERS)
    assert all(len(row.token_hash) == 64 and row.token_hash != token for row in rows)
    assert all(token not in str((event.before, event.after, event.comment)) for event in audit)
    assert token[len(TOKEN_PREFIX) :] not in _every_stored_value(api_world)
    if api_world.url.startswith("sqlite"):
        # Not in any page, index or the write-ahead log either: the file's bytes.
        assert token[len(TOKEN_PREFIX) :].encode() not in _database_bytes(api_world.url)


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_revoked_expired_and_deactivated_tokens_are_refused(api_world: ApiWorld) -> None:
    client = api_world.client
    executive_id = USERS["executive"][0]
    revoked, expired, kept = (issue(api_world.engine, executive_id, expires_days=1) for _ in "123")
    with write_unit(api_world.engine) as session:
        ids = {row.hint: row.id for row in session.scalars(select(ApiToken))}
    execute(
        RevokeApiToken(ids[revoked[:7]]), actor=Actor(USERS["admin"][0]), engine=api_world.engine
    )
    with write_unit(api_world.engine) as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == ids[expired[:7]])
            .values(expires_at=now() - timedelta(seconds=1))
        )
    for token in (revoked, expired):
        answer = client.get(STATUS, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["code"] == "token_invalid"
    assert client.get(STATUS, headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    # Deactivating the user stops every token of theirs at the next request.
    with write_unit(api_world.engine) as session:
        session.get(ConsoleUser, executive_id).active = False  # type: ignore[union-attr]
    assert client.get(STATUS, headers={"Authorization": f"Bearer {kept}"}).status_code == 401


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_last_used_is_written_at_most_once_a_minute(api_world: ApiWorld) -> None:
    def last_used() -> object:
        with read_session(api_world.engine) as session:
            return session.scalar(
                select(ApiToken.last_used_at).where(ApiToken.user_id == USERS["executive"][0])
            )

    assert last_used() is None
    headers = api_world.auth("executive")
    api_world.client.get(STATUS, headers=headers)
    first = last_used()
    assert first is not None
    api_world.client.get(STATUS, headers=headers)
    assert last_used() == first
    with write_unit(api_world.engine) as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == USERS["executive"][0])
            .values(last_used_at=now() - LAST_USED_GRANULARITY)
        )
    api_world.client.get(STATUS, headers=headers)
    assert last_used() > first  # type: ignore[operator]


def test_only_admins_issue_tokens_to_others_and_every_issue_and_revoke_is_audited(
    api_world: ApiWorld,
) -> None:
    engine, admin = api_world.engine, Actor(USERS["admin"][0])
    with pytest.raises(PermissionDeniedError):
        execute(IssueApiToken(USERS["admin"][0], "mine"), actor=Actor(3), engine=engine)
    with pytest.raises(ApiTokenError, match="1 and 730"):
        execute(IssueApiToken(2, "finance", expires_days=0), actor=admin, engine=engine)
    with pytest.raises(ApiTokenError, match="Name the token"):
        execute(IssueApiToken(2, " \n\t "), actor=admin, engine=engine)
    issued = execute(IssueApiToken(2, "finance export", 30), actor=admin, engine=engine)
    assert issued.expires_at is not None
    # A CS manager cannot revoke (nor learn about) the executive's token...
    with pytest.raises(ApiTokenError, match="no API token"):
        execute(RevokeApiToken(issued.token_id), actor=Actor(3), engine=engine)
    # ...its owner can, once.
    execute(RevokeApiToken(issued.token_id), actor=Actor(2), engine=engine)
    with pytest.raises(ApiTokenError, match="revoked already"):
        execute(RevokeApiToken(issued.token_id), actor=admin, engine=engine)
    with read_session(engine) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("api_token.%"), AuditEvent.actor_id > 0)
        ).all()
    assert [(e.action, e.actor_id, e.after["name"]) for e in events] == [  # type: ignore[index]
        ("api_token.issue", 1, "finance export"),
        ("api_token.revoke", 2, "finance export"),
    ]


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.users", *args],
        cwd=ROOT,
        env={**os.environ, "BARBERPRO_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_prints_a_working_token_once(api_world: ApiWorld) -> None:
    email = USERS["executive"][2]
    done = _cli(api_world.url, "token", "--email", email, "--expires-days", "7")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith(TOKEN_PREFIX) and "\n" not in token
    assert "not be shown again" in done.stderr and token not in done.stderr
    answer = api_world.client.get(STATUS, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert token.encode() not in _database_bytes(api_world.url)
    with read_session(api_world.engine) as session:
        row = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert row is not None and row.expires_at is not None
    assert timedelta(days=6, hours=23) < row.expires_at - now() <= timedelta(days=7)
    assert event is not None and event.action == "api_token.issue" and event.actor_id is None
    assert (event.comment or "").startswith("command line:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--email", "nadie@barberpro.com.ar"), "No console user has the e-mail"),
        (("--email", USERS["admin"][2], "--expires-days", "0"), "between 1 and 730"),
        (("--email", USERS["admin"][2], "--name", ""), "Name the token"),
    ],
)
def test_the_command_line_refuses_bad_input_in_one_line(
    api_world: ApiWorld,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    with read_session(api_world.engine) as session:
        before = len(session.scalars(select(ApiToken)).all())
    # In process (the fixture points BARBERPRO_DATABASE_URL at this database): the same
    # entry point as `python -m core.users`, without a second interpreter's start-up.
    assert users_cli(["token", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    with read_session(api_world.engine) as session:
        assert len(session.scalars(select(ApiToken)).all()) == before


def test_the_command_line_lists_tokens_by_hint_and_revokes_one(
    api_world: ApiWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    token = api_world.tokens["executive"]
    assert users_cli(["tokens", "--email", USERS["executive"][2]]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    token_id, email, name, hint, state, *_dates = line.split("\t")
    assert (email, name, hint, state) == (
        USERS["executive"][2],
        "tests",
        f"{token[:7]}...",
        "active",
    )
    assert token[7:] not in line
    assert users_cli(["revoke-token", "--id", token_id]) == 0
    assert "done" in capsys.readouterr().out
    refused = api_world.client.get(STATUS, headers=api_world.auth("executive"))
    assert refused.status_code == 401
    assert users_cli(["tokens"]) == 0
    states = {
        row.split("\t")[1]: row.split("\t")[4] for row in capsys.readouterr().out.splitlines()
    }
    assert states[USERS["executive"][2]] == "revoked" and states[USERS["admin"][2]] == "active"
    # Revoking twice, or a token that does not exist: one line, exit 2.
    for missing in (token_id, "987654"):
        assert users_cli(["revoke-token", "--id", missing]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
