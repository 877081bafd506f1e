"""The per-token write limit at the HTTP edge: 429 with ``Retry-After``, and headers.

Every write route gets the limit from its role gate (``api.auth.requires_capability``
takes a slot after the role check), so a new write route cannot forget it. The count
is in the database (``core.auth.api_rate_limits``): it holds across processes. Every
write answer carries the window's state in the IETF draft's headers
(draft-ietf-httpapi-ratelimit-headers): ``RateLimit-Limit``, ``RateLimit-Remaining``,
``RateLimit-Reset`` (seconds) and ``RateLimit-Policy``; a refused write also carries
``Retry-After`` (seconds). A request the gate lets through counts even when its body is
then refused (422): a client that floods bad requests is throttled too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, ProblemError
from core.auth.api_rate_limits import WINDOW_S, WriteSlot, take_write_slot
from core.auth.api_tokens import ApiCaller
from core.clock import now
from core.db import write_unit

# The request state key the headers wait under until the response starts.
_STATE_KEY = "rate_limit_headers"
_MARK = "_barberpro_rate_limited_write"
RATE_LIMITED_CODE = "rate_limited"


def rate_limit_headers(slot: WriteSlot) -> dict[str, str]:
    """The draft standard's headers for ``slot`` (and ``Retry-After`` when refused)."""
    headers = {
        "RateLimit-Limit": str(slot.limit),
        "RateLimit-Remaining": str(slot.remaining),
        "RateLimit-Reset": str(slot.reset_after_s),
        "RateLimit-Policy": f"{slot.limit};w={WINDOW_S}",
    }
    if not slot.allowed:
        headers["Retry-After"] = str(slot.reset_after_s)
    return headers


def take_slot(request: Request, caller: ApiCaller) -> None:
    """Count this write for the caller's token, or refuse it with a 429 problem."""
    limit = request.app.state.settings.api_write_limit_per_minute
    with write_unit(request.app.state.engine) as session:
        slot = take_write_slot(session=session, token_id=caller.token_id, at=now(), limit=limit)
    headers = rate_limit_headers(slot)
    if not slot.allowed:
        raise ProblemError(
            429,
            f"This token made its {limit} writes of this minute; retry in {slot.reset_after_s} s.",
            code=RATE_LIMITED_CODE,
            headers=headers,
        )
    request.state.rate_limit_headers = headers


def mark_rate_limited(gate: Callable[..., Any]) -> None:
    """Flag a dependency as the write gate (the schema declares 429 where it is used)."""
    setattr(gate, _MARK, True)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route of ``app`` with its full path (``path_format``), included
    routers' routes among them (FastAPI keeps those nested, not flattened)."""
    for context in routing.iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def is_rate_limited(route: Any) -> bool:
    """Whether ``route`` (one of :func:`api_routes`) depends on a write gate."""
    return any(getattr(call, _MARK, False) for call in _calls(route.dependant))


def _calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


class RateLimitHeaders:
    """Put the write gate's headers on the answer (a 422 after the gate included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            headers = (scope.get("state") or {}).get(_STATE_KEY)
            if message["type"] == "http.response.start" and headers:
                present = {name.lower() for name, _value in message.get("headers", [])}
                extra = [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in headers.items()
                    if name.lower().encode("latin-1") not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


_HEADER_DOCS = {
    "RateLimit-Limit": "Writes this token may make per window.",
    "RateLimit-Remaining": "Writes left in the current window.",
    "RateLimit-Reset": "Seconds until the current window ends.",
    "RateLimit-Policy": 'The limit and the window in seconds ("60;w=60").',
}


def _header_schemas() -> dict[str, Any]:
    return {
        name: {
            "description": text,
            "schema": {"type": "string" if name == "RateLimit-Policy" else "integer"},
        }
        for name, text in _HEADER_DOCS.items()
    }


def declare_rate_limits(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add the 429 answer and the rate-limit headers to every rate-limited operation."""
    limit = app.state.settings.api_write_limit_per_minute
    for route in api_routes(app):
        if not route.include_in_schema or not is_rate_limited(route):
            continue
        path = schema.get("paths", {}).get(route.path_format, {})
        for method in route.methods:
            operation = path.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(_header_schemas())
            responses["429"] = {
                "description": f"The token made its {limit} writes of this minute; retry "
                "after Retry-After seconds.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds until the window ends.",
                        "schema": {"type": "integer"},
                    },
                    **_header_schemas(),
                },
                "content": {
                    PROBLEM_MEDIA_TYPE: {
                        "example": {
                            "type": PROBLEM_BASE + "rate-limited",
                            "title": "Too many requests",
                            "status": 429,
                            "detail": f"This token made its {limit} writes of this minute; "
                            "retry in 17 s.",
                            "code": RATE_LIMITED_CODE,
                        }
                    }
                },
            }
