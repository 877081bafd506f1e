"""Sign-in (issue 14): server-side sessions and the record of sign-in attempts.

A browser holds only a random token in an HttpOnly cookie; ``console_auth_sessions``
keeps its SHA-256, who it belongs to and when it was last used, so a sign-out, an
expiry, a deactivation or a role change reaches every open tab. ``console_sign_in_attempts``
is what throttling counts: failures per account key and per address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.base import Base

__all__ = ["AuthSession", "SignInAttempt"]


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
