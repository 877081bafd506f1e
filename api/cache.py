"""Per-process caches of encoded answers, and the JSON response that serves them.

Two kinds of answer are kept (each app has its own memos, ``app.state.memos``):

* **Derived from a version** (the KPI snapshot, the Onboarding Funnel's numbers, the
  validation results): kept under a key made of what they derive from (the newest
  snapshot's version, found by one indexed query per request, plus the parameters and
  the language). A new snapshot is a new key, so an answer is never older than its
  source; only the most recent few keys are kept.
* **Kept a few seconds** (launch readiness, system status, the scheduler's status):
  built from what the watchdog and the scheduler store every few seconds, so
  recomputing them per request only repeats the same answer. They say when they were
  computed (``computed_at``) and for how long they are kept (``max_age_s``), with a
  matching ``Cache-Control: private, max-age``.

What is kept is the encoded JSON (bytes), not the models: a hit costs no validation and
no encoding. The token and the role are checked on every request before any memo is
read (``api.auth``), so a revoked token or a caller without the role never gets a kept
answer; every reader of a route sees the same answer, so nothing one role may not see
is kept for another.

Computing is single-flight per key: when an entry is missing under 20 concurrent
clients, one request computes it (in the threadpool, off the event loop) and the others
await its result instead of all recomputing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

JSON_MEDIA_TYPE = "application/json"
# Keys of a versioned memo kept at once: the newest version's answers and a few more
# (parameters such as a date range or a metric filter make several keys per version).
DEFAULT_MAX_ENTRIES = 64


@dataclass(frozen=True)
class Kept:
    """An answer in a memo: its value and its age in seconds when it was read."""

    value: Any
    age_s: float


class AnswerMemo:
    """Values by key, computed once per key, kept ``ttl_s`` seconds (None: until evicted).

    At most ``max_entries`` keys are kept, the oldest computed evicted first. Call
    :meth:`get` from the event loop only (async routes): the in-flight computations are
    asyncio futures of that loop.
    """

    def __init__(self, ttl_s: float | None, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._flights: dict[Hashable, asyncio.Future[Any]] = {}
        self._generation = 0  # bumped by clear(): a computation begun before is not kept
        self.clock: Callable[[], float] = time.monotonic  # seconds; tests move it on

    async def get(self, key: Hashable, compute: Callable[[], Any]) -> Kept:
        """The value of ``key``, computing it (``compute`` runs in the threadpool) when
        missing or older than ``ttl_s``."""
        fresh = self._fresh(key)
        if fresh is not None:
            return fresh
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._compute(key, compute))
            self._flights[key] = flight
        # Shielded: a client that disconnects does not cancel the others' computation.
        return Kept(await asyncio.shield(flight), 0.0)  # just computed for this request

    async def _compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        generation = self._generation
        try:
            value = await run_in_threadpool(compute)
            if generation != self._generation:
                return value  # answered to those who waited for it, never served again
            self._entries.pop(key, None)  # re-inserted last: eviction is by computing time
            self._entries[key] = (self.clock(), value)
            while len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]
            return value
        finally:
            if self._flights.get(key) is asyncio.current_task():
                del self._flights[key]

    def clear(self) -> None:
        """Forget every value (what they were computed from just changed); safe to call
        from a worker thread (a sync route)."""
        self._generation += 1
        self._entries.clear()
        self._flights.clear()  # a request from now on starts a computation of its own

    def _fresh(self, key: Hashable) -> Kept | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        age = self.clock() - entry[0]
        if self.ttl_s is not None and age >= self.ttl_s:
            return None
        return Kept(entry[1], age)


def memo_of(
    request: Request, name: str, ttl_s: float | None, max_entries: int = DEFAULT_MAX_ENTRIES
) -> AnswerMemo:
    """The app's memo called ``name`` (created on first use)."""
    state = request.app.state
    memos: dict[str, AnswerMemo] | None = getattr(state, "memos", None)
    if memos is None:
        memos = state.memos = {}
    memo = memos.get(name)
    if memo is None:
        memo = memos[name] = AnswerMemo(ttl_s, max_entries)
    return memo


def cache_control(max_age_s: float, age_s: float) -> str:
    """The header of an answer computed ``age_s`` ago and kept ``max_age_s``: private (it
    was answered to a token), and fresh for the seconds it has left here."""
    return f"private, max-age={max(0, int(max_age_s - age_s))}"


def encode(model: BaseModel, *, exclude: set[str] | None = None) -> bytes:
    """``model`` as the JSON FastAPI would answer for it (aliases, serializers applied)."""
    return model.model_dump_json(by_alias=True, exclude=exclude).encode()


def with_fields(body: bytes, fields: dict[str, Any]) -> bytes:
    """The JSON object ``body`` with ``fields`` (plain JSON values) added in front.

    For the few fields that change with every request (an age, the time of the answer)
    in an otherwise kept answer: the kept bytes were encoded without them.
    """
    if not fields:
        return body
    head = json.dumps(fields, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    rest = body[1:]
    return head[:-1].encode() + (b"," if rest != b"}" else b"") + rest


def json_answer(body: bytes, *, headers: dict[str, str] | None = None) -> Response:
    """An already encoded JSON answer (the route's ``response_model`` documents it)."""
    return Response(content=body, media_type=JSON_MEDIA_TYPE, headers=headers)
