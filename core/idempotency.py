"""Idempotency keys of the JSON API's POSTs: a retry gets the first request's result.

What Stripe does: a caller sends ``Idempotency-Key``; the first request with it stores
the SHA-256 of its canonical body and its result; a retry with the same key and body
gets that result again (nothing runs twice), the same key with another body is refused
(:class:`IdempotencyKeyReusedError`). Two racing retries cannot both run: the key's row
is inserted in the write transaction of the work itself, and the unique
(user, route, key) makes the second insert fail (:func:`is_key_conflict`), after which
that request reads the first one's stored result.

A request refused before it ran (invalid input) stores nothing: fixing the body and
retrying with the same key is allowed. Keys expire after :data:`IDEMPOTENCY_KEY_TTL`;
:func:`prune_expired_keys` (run by the scheduler's maintenance job) deletes them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.i18n import N_
from core.schema import ApiIdempotencyKey

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 200
CONSTRAINT = "uq_api_idempotency_key"


class IdempotencyKeyReusedError(DomainError):
    """The key was first used with another body: a client bug, never replayed."""

    def __init__(self) -> None:
        super().__init__(
            "idempotency_key_reused",
            N_(
                "This Idempotency-Key was already used with a different request body; "
                "use a new key for a new request."
            ),
            field="header.Idempotency-Key",
        )


class IdempotencyKeyTakenError(DomainError):
    """Raised by a command whose insert of the key lost a race: replay the winner's."""

    def __init__(self) -> None:
        super().__init__(
            "idempotency_key_taken",
            N_("A request with this Idempotency-Key was just processed."),
            field="header.Idempotency-Key",
        )


def valid_key(key: str) -> bool:
    """1 to 200 printable ASCII characters (no spaces at either end, no control chars)."""
    return (
        0 < len(key) <= MAX_KEY_LENGTH
        and key.isascii()
        and key.isprintable()
        and key == key.strip()
    )


def request_fingerprint(body: Any) -> str:
    """SHA-256 of ``body`` as canonical JSON (sorted keys, no spaces): key order and
    whitespace of the client's JSON do not make two bodies different."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class IdempotencyClaim:
    """What a command needs to take a key in its own transaction."""

    user_id: int
    route: str
    key: str
    request_sha256: str


@dataclass(frozen=True)
class StoredResult:
    result: dict[str, Any]
    created_at: datetime


def stored_result(
    *, session: Session, claim: IdempotencyClaim, at: datetime
) -> StoredResult | None:
    """The result stored under the claim's key (unexpired), or None when there is none.

    Raises IdempotencyKeyReusedError when the key was used with another body. (A key's
    row and its result are written in one transaction, so a stored key has a result.)
    """
    row = session.scalars(
        select(ApiIdempotencyKey).where(
            ApiIdempotencyKey.user_id == claim.user_id,
            ApiIdempotencyKey.route == claim.route,
            ApiIdempotencyKey.key == claim.key,
            ApiIdempotencyKey.expires_at > at,
        )
    ).one_or_none()
    if row is None:
        return None
    if row.request_sha256 != claim.request_sha256:
        raise IdempotencyKeyReusedError()
    return StoredResult(result=dict(row.result or {}), created_at=row.created_at)


def take_key(*, session: Session, claim: IdempotencyClaim, at: datetime) -> ApiIdempotencyKey:
    """Insert the key's row in the caller's transaction (flushed now, so a racing
    request's insert fails on the unique constraint: see :func:`is_key_conflict`).

    An expired row with the same key is deleted first: after 24 h a key may be reused.
    """
    session.execute(
        delete(ApiIdempotencyKey).where(
            ApiIdempotencyKey.user_id == claim.user_id,
            ApiIdempotencyKey.route == claim.route,
            ApiIdempotencyKey.key == claim.key,
            ApiIdempotencyKey.expires_at <= at,
        )
    )
    row = ApiIdempotencyKey(
        user_id=claim.user_id,
        route=claim.route,
        key=claim.key,
        request_sha256=claim.request_sha256,
        created_at=at,
        expires_at=at + IDEMPOTENCY_KEY_TTL,
    )
    session.add(row)
    session.flush()
    return row


def is_key_conflict(exc: IntegrityError) -> bool:
    """Whether ``exc`` is the unique (user, route, key) refusing a second insert."""
    text = str(exc.orig)
    return CONSTRAINT in text or "api_idempotency_keys.user_id" in text


def prune_expired_keys(connection: Connection, *, at: datetime) -> int:
    """Delete keys past their expiry; returns how many."""
    result = connection.execute(delete(ApiIdempotencyKey).where(ApiIdempotencyKey.expires_at <= at))
    return int(result.rowcount or 0)
