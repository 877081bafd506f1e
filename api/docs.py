"""The interactive docs (``/docs``) and the schema (``/openapi.json``).

In development and tests anyone on the machine may read them. In production they are
served only to an administrator: a request with an admin's API token
(``Authorization: Bearer bp_...``, how a client or a fuzzer fetches the schema) or with
the console's session cookie of a signed-in admin (a browser; the cookie is sent when
the reverse proxy serves the API under the console's host, and by browsers to another
port of the same host). Anyone else gets the 404 of an unknown path: production does
not advertise the API's surface.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from api.problems import ProblemError
from core.auth.api_tokens import resolve_api_token
from core.auth.roles import Role
from core.auth.sessions import SESSION_COOKIE
from core.auth.signin import current_user
from core.db import read_session

DOCS_PATH = "/docs"
SCHEMA_PATH = "/openapi.json"


def may_read_docs(request: Request) -> bool:
    """Whether ``request`` may read the docs: always outside production, else admins."""
    if not request.app.state.settings.is_production:
        return True
    engine = request.app.state.engine
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        with read_session(engine) as session:
            caller = resolve_api_token(session=session, token=token.strip())
        if caller is not None and caller.user.role == Role.ADMIN:
            return True
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        # activity=False: reading the docs does not keep a console session alive.
        user = current_user(token=cookie, activity=False, engine=engine)
        if user is not None and user.role == Role.ADMIN:
            return True
    return False


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/openapi.json`` behind :func:`may_read_docs`."""

    def _gate(request: Request) -> None:
        if not may_read_docs(request):
            raise ProblemError(404, "Not Found")

    @app.get(SCHEMA_PATH, include_in_schema=False)
    def openapi_schema(request: Request) -> JSONResponse:
        _gate(request)
        return JSONResponse(app.openapi())

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        _gate(request)
        return get_swagger_ui_html(openapi_url=SCHEMA_PATH, title=f"{app.title} - docs")
