"""Every error the API answers is RFC 9457 problem JSON (``application/problem+json``).

``type`` is a stable URI per kind of problem (``PROBLEM_BASE`` + a slug: clients switch
on it, like Stripe's error ``type``), ``title`` is the kind in a few words, ``detail``
is this occurrence in one sentence. 422s add ``errors: [{field, message}]``; a 500 adds
``incident`` (core.incidents: the traceback is in the server's log under that id, never
in the response).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.locale import locale_of
from core.commands import (
    InactiveActorError,
    MissingActorError,
    PermissionDeniedError,
    StaleWriteError,
)
from core.errors import DomainError
from core.incidents import record_incident

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://barberpro.com.ar/problems/"
_log = logging.getLogger(__name__)

# status → (slug, title): the kinds of problem this API answers.
_KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "Invalid request"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal", "Internal server error"),
}


class FieldError(BaseModel):
    """One input at fault: where it is (``body.contact.email``, ``query.session_id``)."""

    field: str = Field(examples=["query.session_id"])
    message: str = Field(examples=["Input should be a valid integer"])
    step: str | None = Field(
        default=None, description="The onboarding wizard's step the field belongs to."
    )
    row: int | None = Field(
        default=None, description="The row (0-based) of a list, e.g. the third location: 2."
    )
    code: str | None = Field(default=None, description="The validator's machine reason.")


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field(examples=[PROBLEM_BASE + "forbidden"])
    title: str = Field(examples=["Forbidden"])
    status: int = Field(examples=[403])
    detail: str = Field(examples=["Your role (CS manager) may not read this."])
    code: str | None = Field(
        default=None, description="The domain's machine reason, when it has one."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Each input at fault (422 only)."
    )
    incident: str | None = Field(default=None, description="The id to quote to support (500 only).")


class ProblemError(Exception):
    """Raised by routes and dependencies to answer a problem (never a bare HTTPException)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.errors = errors
        self.headers = headers


def problem_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[FieldError] | None = None,
    incident: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The problem JSON response for ``status`` (only the fields that apply)."""
    slug, title = _KINDS.get(status, ("error", "Error"))
    body = Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        code=code,
        errors=errors,
        incident=incident,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    # Pydantic's messages are about the input's shape ("Input should be a valid
    # integer"); the input itself is never echoed back (it is hostile text).
    return [
        FieldError(field=_location(error.get("loc", ())), message=str(error.get("msg", "")))
        for error in exc.errors()
    ]


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status, exc.detail, code=exc.code, errors=exc.errors, headers=exc.headers
    )


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    noun = "input is" if len(errors) == 1 else "inputs are"
    return problem_response(422, f"{len(errors)} {noun} not valid.", errors=errors)


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    text = exc.text(locale_of(request))
    if isinstance(exc, PermissionDeniedError):
        return problem_response(403, text, code=exc.code)
    if isinstance(exc, InactiveActorError | MissingActorError):
        return problem_response(401, text, code=exc.code, headers=bearer_challenge())
    if isinstance(exc, StaleWriteError):
        return problem_response(409, text, code=exc.code)
    errors = [FieldError(field=exc.field or "request", message=text)]
    return problem_response(422, text, code=exc.code, errors=errors)


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    # Starlette's own: an unknown path (404), a wrong method (405), a bad body (400).
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI answers a JSON body that is not UTF-8 with a bare 400, any other
        # malformed JSON with a 422; JSON is UTF-8 by definition (RFC 8259 §8.1), so both
        # are the same client error and get the same answer.
        error = FieldError(field="body", message="JSON decode error: the body is not UTF-8 text")
        return problem_response(422, "1 input is not valid.", errors=[error])
    detail = exc.detail if isinstance(exc.detail, str) else _KINDS.get(exc.status_code, ("", ""))[1]
    return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    incident = record_incident(exc, where=f"api {request.method} {request.url.path}")
    return problem_response(
        500,
        f"Something went wrong on our side; quote incident {incident.id} to support.",
        incident=incident.id,
    )


def bearer_challenge(error: str | None = None) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 401 (RFC 6750)."""
    value = 'Bearer realm="barberpro"'
    if error:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value}


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem JSON; an unexpected one as a 500 incident."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    # Exception (not 500): Starlette's ServerErrorMiddleware calls it for anything
    # unhandled, then re-raises for the server's log; the client gets only this body.
    app.add_exception_handler(Exception, _on_unexpected)


def _problem_example(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    slug, title = _KINDS[status]
    return {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }


def _response(status: int, description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"example": example}},
    }


def documented(status: int, description: str, detail: str) -> dict[int | str, dict[str, Any]]:
    """An OpenAPI ``responses`` entry for one more problem a route may answer."""
    return {status: _response(status, description, _problem_example(status, detail))}


UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: _response(
        401,
        "No bearer token, or one that is unknown, expired or revoked.",
        _problem_example(401, "Send a valid API token as 'Authorization: Bearer bp_...'."),
    )
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: _response(
        403,
        "The token's user has a role that may not use this route.",
        _problem_example(403, "Your role (CS manager) may not read this route."),
    )
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: _response(
        422,
        "The request's parameters or body are not valid; each input at fault is listed.",
        _problem_example(
            422,
            "1 input is not valid.",
            errors=[{"field": "query.limit", "message": "Input should be a valid integer"}],
        ),
    )
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: _response(
        413,
        "The request body is larger than the API accepts.",
        _problem_example(413, "Request bodies are limited to 1048576 bytes."),
    )
}
SERVER_ERROR: dict[int | str, dict[str, Any]] = {
    500: _response(
        500,
        "An unexpected error; the traceback is in the server's log under the incident id.",
        _problem_example(
            500,
            "Something went wrong on our side; quote incident 3f9c2a1b to support.",
            incident="3f9c2a1b",
        ),
    )
}
# What every authenticated route may answer besides its own 200.
AUTHENTICATED_ERRORS: dict[int | str, dict[str, Any]] = {
    **UNAUTHENTICATED,
    **FORBIDDEN,
    **INVALID,
    **TOO_LARGE,
    **SERVER_ERROR,
}
