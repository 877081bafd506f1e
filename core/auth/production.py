"""What production refuses to start without: sign-in that works, a real cookie secret, a
real key to seal webhook URLs with, and error details hidden from users. ``serve.py`` runs
these checks at start (``core.config`` refuses the local-webhook switch on its own)."""

from __future__ import annotations

import os

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.schema import ConsoleUser
from core.security.sealing import KEY_VARIABLE, key_problem

COOKIE_SECRET_VARIABLE = "BARBERPRO_COOKIE_SECRET"
_DEFAULT_SECRETS = {"", "changeme", "change-me", "secret", "streamlit", "barberpro", "default"}
MIN_SECRET_LENGTH = 32


def cookie_secret_problem(secret: str | None) -> str | None:
    value = (secret or "").strip()
    if value.lower() in _DEFAULT_SECRETS or "change-me" in value.lower():
        return f"{COOKIE_SECRET_VARIABLE} is not set (or is a placeholder)"
    if len(value) < MIN_SECRET_LENGTH:
        return f"{COOKIE_SECRET_VARIABLE} must be at least {MIN_SECRET_LENGTH} characters"
    return None


def sign_in_problem(engine: Engine, *, sso_configured: bool) -> str | None:
    """None when someone can sign in as an administrator (a password or single sign-on)."""
    with Session(engine) as session:
        admins = session.scalar(
            select(func.count()).where(ConsoleUser.role == "admin", ConsoleUser.active.is_(True))
        )
        with_password = session.scalar(
            select(func.count()).where(
                ConsoleUser.active.is_(True), ConsoleUser.password_hash.is_not(None)
            )
        )
    if not admins:
        return (
            "no active administrator: add one with "
            "`python -m core.users add --role admin --password-stdin ...`"
        )
    if not with_password and not sso_configured:
        return "nobody can sign in: no user has a password and single sign-on is not configured"
    return None


def production_problems(
    engine: Engine, *, show_error_details: object, sso_configured: bool
) -> list[str]:
    """Every reason production must not start (empty: it may)."""
    problems = []
    secret = cookie_secret_problem(os.environ.get(COOKIE_SECRET_VARIABLE))
    if secret:
        problems.append(secret)
    sealing = key_problem()
    # Without its own key the sealing key comes from the cookie secret: one sentence is enough.
    if sealing and (not secret or os.environ.get(KEY_VARIABLE, "").strip()):
        problems.append(sealing)
    if str(show_error_details).lower() != "none":
        problems.append(
            f'client.showErrorDetails must be "none" in production (it is {show_error_details!r})'
        )
    sign_in = sign_in_problem(engine, sso_configured=sso_configured)
    if sign_in:
        problems.append(sign_in)
    return problems
