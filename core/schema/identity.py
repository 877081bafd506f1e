"""Sign-in (issue 14): server-side sessions and the record of sign-in attempts.

A browser holds only a random token in an HttpOnly cookie; ``console_auth_sessions``
keeps its SHA-256, who it belongs to and when it was last used, so a sign-out, an
expiry, a deactivation or a role change reaches every open tab. ``console_sign_in_attempts``
is what throttling counts: failures per account key and per address.

The JSON API (issue 17) authenticates with bearer tokens issued to console users:
``console_api_tokens`` keeps each token's SHA-256 only (the token is shown once), whose
it is, its label, and when it expires, was revoked and was last used.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.base import Base

__all__ = ["ApiToken", "AuthSession", "SignInAttempt"]


class AuthSession(Base):
    __tablename__ = "console_auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))  # password, oidc
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The last time the user did something (a click, a page); automatic reruns don't count.
    last_active_at: Mapped[datetime] = mapped_column(DateTime)
    idle_timeout_s: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # signed_out, expired, deactivated, password_changed, replaced
    revoked_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Single sign-on: SHA-256 of the identity-provider login this session came from. One
    # provider login opens at most one console session, so an expired session cannot be
    # silently reopened from Streamlit's 30-day identity cookie.
    source_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)


class SignInAttempt(Base):
    __tablename__ = "console_sign_in_attempts"
    __table_args__ = (
        Index("ix_console_sign_in_attempts_account", "account_key", "attempted_at"),
        Index("ix_console_sign_in_attempts_address", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime)
    # The e-mail as typed, normalised (lower case, trimmed, at most 160 characters): the
    # same key whether or not an account has it, so throttling reveals nothing.
    account_key: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)


class ApiToken(Base):
    __tablename__ = "console_api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    # What the token is for ("signup flow", "finance export"): hostile text, shown escaped.
    name: Mapped[str] = mapped_column(String(80))
    # The first characters of the token (its prefix and 4 more), to tell tokens apart in a
    # list without keeping anything that signs in.
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Written at most once a minute (core.auth.api_tokens), so reads stay reads.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
