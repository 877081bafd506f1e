"""Throttling sign-in: so many failures per account, or per address, lock it for a while.

Attempts are counted by the e-mail as typed (normalised), whether or not an account
has it, so a lock tells an attacker nothing about which accounts exist.
"""

from __future__ import annotations

import contextlib
import ipaddress
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.config import Settings
from core.schema import SignInAttempt


def account_key(email: str) -> str:
    return (email or "").strip().lower()[:160]


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxy: str | None) -> str:
    """The address a request comes from: the peer, or the client the trusted proxy names.

    ``X-Forwarded-For`` is believed only when the peer is the configured proxy; then its
    right-most entry is the address the proxy itself saw.
    """
    address = (peer or "unknown").strip()
    if trusted_proxy and forwarded_for and address == trusted_proxy:
        claimed = forwarded_for.split(",")[-1].strip()
        with contextlib.suppress(ValueError):
            address = str(ipaddress.ip_address(claimed))
    return address[:64]


def _recent_failures(
    session: Session, column: object, value: str, settings: Settings, *, reset_by_success: bool
) -> int:
    window_start = now() - timedelta(seconds=settings.lockout_window_s)
    last_success = None
    if reset_by_success:
        last_success = session.scalar(
            select(func.max(SignInAttempt.attempted_at)).where(
                column == value,  # type: ignore[arg-type]
                SignInAttempt.succeeded.is_(True),
                SignInAttempt.attempted_at >= window_start,
            )
        )
    since = max(window_start, last_success) if last_success else window_start
    return int(
        session.scalar(
            select(func.count()).where(
                column == value,  # type: ignore[arg-type]
                SignInAttempt.succeeded.is_(False),
                SignInAttempt.attempted_at >= since,
            )
        )
        or 0
    )


def is_locked(*, session: Session, email: str, address: str, settings: Settings) -> bool:
    """Whether sign-in is paused for this account key or this address."""
    key = account_key(email)
    # The owner's own success clears an account's count; an address's count is not
    # cleared by signing in to some account from it (an attacker's own, say).
    account = _recent_failures(
        session, SignInAttempt.account_key, key, settings, reset_by_success=True
    )
    if account >= settings.lockout_failures:
        return True
    by_address = _recent_failures(
        session, SignInAttempt.address, address, settings, reset_by_success=False
    )
    return by_address >= settings.address_lockout_failures


def record_attempt(*, session: Session, email: str, address: str, succeeded: bool) -> None:
    session.add(
        SignInAttempt(
            attempted_at=now(),
            account_key=account_key(email),
            address=address[:64],
            succeeded=succeeded,
        )
    )
