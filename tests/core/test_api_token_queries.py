"""The API tokens read seam: every token with its holder, issuer and state, on SQLite and
PostgreSQL; the state rule agrees with what signs a request in."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine

from core.auth.api_tokens import issue_api_token, resolve_api_token, revoke_api_token
from core.clock import now
from core.db import read_session, write_unit
from core.queries.api_tokens import TOKEN_COLUMNS, api_tokens, token_state
from core.users import add_user, change_user

AT = datetime(2026, 12, 7, 12, 0)


@pytest.mark.parametrize(
    ("revoked_at", "expires_at", "user_active", "state"),
    [
        (None, None, True, "active"),
        (None, AT + timedelta(seconds=1), True, "active"),
        (None, AT, True, "expired"),  # expiry is exclusive, like resolve_api_token
        (AT - timedelta(days=1), None, True, "revoked"),
        (AT - timedelta(days=1), AT - timedelta(days=2), False, "revoked"),
        (None, AT - timedelta(days=1), False, "expired"),
        (None, None, False, "user_deactivated"),
    ],
)
def test_token_state_order(revoked_at, expires_at, user_active, state):
    assert (
        token_state(revoked_at=revoked_at, expires_at=expires_at, user_active=user_active, at=AT)
        == state
    )


def test_every_token_with_holder_issuer_and_state(engine: Engine) -> None:
    with write_unit(engine) as session:
        admin = add_user(
            session=session,
            email="ana@barberpro.com.ar",
            name="Ana Admin",
            role="admin",
            password=None,
            actor_id=None,
        )
        finance = add_user(
            session=session,
            email="fede@barberpro.com.ar",
            name="Fede Finanzas",
            role="executive",
            password=None,
            actor_id=None,
        )
        gone = add_user(
            session=session,
            email="gus@barberpro.com.ar",
            name="Gus Ido",
            role="cs_manager",
            password=None,
            actor_id=None,
        )
        ids = (admin.id, finance.id, gone.id)
    admin_id, finance_id, gone_id = ids
    tokens = {}
    with write_unit(engine) as session:
        for key, user_id, days, actor in (
            ("shell", finance_id, None, None),
            ("revoked", finance_id, 30, admin_id),
            ("departed", gone_id, 30, admin_id),
            ("fresh", admin_id, 90, admin_id),
        ):
            tokens[key] = issue_api_token(
                session=session, user_id=user_id, name=key, expires_days=days, actor_id=actor
            )
    with write_unit(engine) as session:
        revoke_api_token(session=session, token_id=tokens["revoked"].token_id, actor_id=admin_id)
        change_user(session=session, email="gus@barberpro.com.ar", active=False, actor_id=None)

    moment = now()
    with read_session(engine) as session:
        every = api_tokens(session=session, at=moment)
        mine = api_tokens(session=session, at=moment, user_id=finance_id)
        # 100 days on, the 30- and 90-day tokens have expired (revoked stays revoked).
        later = api_tokens(session=session, at=moment + timedelta(days=100))
        signs_in = {
            key: resolve_api_token(session=session, token=issued.token) is not None
            for key, issued in tokens.items()
        }
    assert list(every.columns) == TOKEN_COLUMNS
    # Newest first (issued in one unit: same created_at, so by id descending).
    assert list(every["name"]) == ["fresh", "departed", "revoked", "shell"]
    by_name = every.set_index("name")
    assert by_name["state"].to_dict() == {
        "fresh": "active",
        "departed": "user_deactivated",
        "revoked": "revoked",
        "shell": "active",
    }
    # Only an "active" token signs a request in.
    assert signs_in == {key: by_name.loc[key, "state"] == "active" for key in tokens}
    assert by_name.loc["shell", "created_by"] is None
    assert by_name.loc["fresh", "created_by"] == "Ana Admin"
    assert by_name.loc["departed", "email"] == "gus@barberpro.com.ar"
    assert by_name.loc["departed", "role"] == "cs_manager"
    assert pd.notna(by_name.loc["revoked", "revoked_at"])
    assert pd.isna(by_name.loc["shell", "revoked_at"])
    assert by_name.loc["shell", "hint"] == tokens["shell"].token[:7]
    # Nothing that signs in: no column holds a token or its hash.
    text = every.astype(str).to_string()
    assert not any(issued.token in text for issued in tokens.values())
    assert set(mine["name"]) == {"shell", "revoked"}
    assert later.set_index("name")["state"].to_dict() == {
        "fresh": "expired",
        "departed": "expired",
        "revoked": "revoked",
        "shell": "active",
    }


def test_no_tokens_is_an_empty_frame_with_its_columns(engine: Engine) -> None:
    with read_session(engine) as session:
        frame = api_tokens(session=session, at=now())
    assert frame.empty and list(frame.columns) == TOKEN_COLUMNS
