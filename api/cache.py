"""A per-process cache of read models that are costly to compute and change slowly.

The launch-readiness judgement and the system status are built from what the watchdog
stores every round (``BARBERPRO_WATCHDOG_INTERVAL_S``, 30 s by default): recomputing
them on every request only repeats the same answer. Each app keeps its own
:class:`TtlMemo` (``app.state``); answers say when they were computed and for how long
they are kept, and carry a matching ``Cache-Control: max-age``.

Computing is single-flight per key: when an entry expires under 20 concurrent clients,
one computes and the others wait for its result instead of all recomputing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import Request


class TtlMemo:
    """Values by key, each kept ``ttl_s`` seconds (monotonic time) after it was computed."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> tuple[Any, float]:
        """The value of ``key`` and its age in seconds, computing it when missing or old."""
        fresh = self._fresh(key)
        if fresh is not None:
            return fresh
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            fresh = self._fresh(key)  # another request computed it while this one waited
            if fresh is not None:
                return fresh
            value = compute()
            self._entries[key] = (time.monotonic(), value)
            return value, 0.0

    def clear(self) -> None:
        """Forget every value (what they were computed from just changed)."""
        self._entries.clear()

    def _fresh(self, key: Hashable) -> tuple[Any, float] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        age = time.monotonic() - entry[0]
        return (entry[1], age) if age < self.ttl_s else None


_creating = threading.Lock()


def memo_of(request: Request, name: str, ttl_s: float) -> TtlMemo:
    """The app's memo called ``name`` (created on first use)."""
    state = request.app.state
    with _creating:
        memos: dict[str, TtlMemo] | None = getattr(state, "memos", None)
        if memos is None:
            memos = state.memos = {}
        return memos.setdefault(name, TtlMemo(ttl_s))


def cache_control(max_age_s: float, age_s: float) -> str:
    """The header of an answer computed ``age_s`` ago and kept ``max_age_s``: private (it
    was answered to a token), and fresh for the seconds it has left here."""
    return f"private, max-age={max(0, int(max_age_s - age_s))}"
