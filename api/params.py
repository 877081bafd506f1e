"""Query parameters a route does not declare are refused (422), like unknown body fields.

A typo must not pass silently: ``/api/metrics/snapshot?keys=mrr`` would otherwise answer
every metric with a 200, and the client would believe it filtered. The declared names
are the ones the OpenAPI schema publishes for the operation (the contract clients read).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute

from api.problems import FieldError, ProblemError

MAX_LISTED = 10
MAX_NAME_CHARS = 60


def _declared_query(app: FastAPI, path: str, method: str) -> frozenset[str]:
    cache: dict[tuple[str, str], frozenset[str]] = app.state.__dict__.setdefault(
        "declared_query", {}
    )
    key = (path, method)
    if key not in cache:
        item = app.openapi().get("paths", {}).get(path, {})
        operation = item.get(method) or item.get("get", {})  # HEAD answers as its GET
        cache[key] = frozenset(
            p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"
        )
    return cache[key]


def reject_undeclared_query(request: Request) -> None:
    """422 problem listing each query parameter the request's route does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    declared = _declared_query(request.app, route.path_format, request.method.lower())
    unknown = sorted(set(request.query_params) - declared)
    if not unknown:
        return
    # The names are the client's text: cut short, never more than a few listed.
    raise ProblemError(
        422,
        f"{len(unknown)} query parameter(s) are not parameters of this route.",
        code="unknown_parameter",
        errors=[
            FieldError(
                field=f"query.{name[:MAX_NAME_CHARS]}",
                message="Not a parameter of this route (see its OpenAPI schema).",
            )
            for name in unknown[:MAX_LISTED]
        ],
    )
