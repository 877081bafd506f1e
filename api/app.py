"""The API's application: ``create_app(settings)``; ``make api`` serves it with uvicorn.

One settings object with the console (``core.config``), the process-wide engine of its
database (``core.db``). Every error is problem JSON (``api.problems``); request bodies
are capped (``api.limits``); each token's writes are limited (``api.rate_limits``). The
interactive docs (``/docs``) and the schema (``/openapi.json``) are served to anyone in
development, and in production only to administrators (``api.docs``).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from api.docs import install_docs
from api.headers import SafeHeaders
from api.limits import MAX_BODY_BYTES, BodyLimit
from api.problems import PROBLEM_MEDIA_TYPE, SERVER_ERROR, install_problem_handlers
from api.rate_limits import RateLimitHeaders, declare_rate_limits
from api.routes import metrics, monitoring, onboarding, production, t11
from core.config import Settings, get_settings
from core.db import get_engine

API_VERSION = "1.0.0"
DESCRIPTION = """\
The JSON API of BarberPro Command Center: what the console knows, for other systems.

Authenticate with a bearer token issued to a console user
(`python -m core.users token --email E`): `Authorization: Bearer bp_...`. A token acts
with its user's role as stored now. Every error is an RFC 9457 problem
(`application/problem+json`).

Each token may make a limited number of writes (POST) per minute (60 by default): every
write answer says how many are left (`RateLimit-Limit`, `RateLimit-Remaining`,
`RateLimit-Reset` in seconds); past the limit the answer is 429 with `Retry-After`.
"""


class Health(BaseModel):
    status: Literal["ok"] = Field(examples=["ok"])


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: the environment's, like the console).

    Parameters
    ----------
    settings
        The console's settings; their ``database_url`` is the database the API reads,
        their ``environment`` decides who may read ``/docs``.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="BarberPro Command Center API",
        version=API_VERSION,
        description=DESCRIPTION,
        # Served by api.docs, which lets only admins read them in production.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.engine = get_engine(settings.database_url)
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SafeHeaders)
    app.add_middleware(RateLimitHeaders)

    @app.get(
        "/api/health",
        response_model=Health,
        tags=["health"],
        responses=SERVER_ERROR,
        summary="Liveness: 200 while the process serves requests",
    )
    async def health() -> Health:
        """Unauthenticated and cheap: it touches no database (readiness is another route);
        async, so it is answered on the event loop without a hop to the threadpool."""
        return Health(status="ok")

    install_docs(app)
    app.include_router(production.router)
    app.include_router(monitoring.router)
    app.include_router(t11.router)
    app.include_router(metrics.router)
    app.include_router(onboarding.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with every error response as ``application/problem+json``.

    FastAPI puts a response's model under ``application/json``; the API answers errors
    with the problem media type, so the schema must say that (Schemathesis checks it).
    """
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    declare_rate_limits(app, schema)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                content = response.setdefault("content", {})
                problem = content.setdefault(PROBLEM_MEDIA_TYPE, {})
                problem["schema"] = {"$ref": "#/components/schemas/Problem"}
                content.pop("application/json", None)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # FastAPI's default 422 body is replaced by the problem's: drop its unused schemas.
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' not in json.dumps(schema["paths"]):
            components.pop(name, None)
    app.openapi_schema = schema
    return schema
