"""Who is calling: the bearer token resolved to a console user, and the role gate.

Every authenticated route depends on :func:`requires` with the roles that may use it.
The token is resolved on every request (a revocation, an expiry, a deactivation or a
role change applies at once); its ``last_used_at`` is written at most once a minute.

Both dependencies are ``async``: they run on the event loop, not in the threadpool. The
token lookup is one indexed SELECT by the token's unique hash (a fraction of a
millisecond); a hop to a worker thread and back costs more than that under load (each
hop waits for the interpreter lock held by other requests' threads), and the 20-client
benchmark (``python -m bench api``) measured it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.params import reject_undeclared_query
from api.problems import ProblemError, bearer_challenge
from api.rate_limits import mark_rate_limited, take_slot
from core.auth.api_tokens import ApiCaller, resolve_api_token, touch_api_token
from core.auth.roles import ROLE_LABELS, Capability, roles_with
from core.clock import now
from core.commands import Actor
from core.db import DATABASE_ERRORS, Engine, read_session, write_unit

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="An API token: `python -m core.users token --email E` prints one.",
)
NO_TOKEN = "Send an API token as 'Authorization: Bearer bp_...'."
_log = logging.getLogger(__name__)
BAD_TOKEN = "The API token is unknown, expired or revoked, or its user is deactivated."


async def current_caller(
    request: Request,
    background: BackgroundTasks,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiCaller:
    """The caller the request's bearer token signs in; 401 problem otherwise."""
    if credentials is None or not credentials.credentials:
        raise ProblemError(401, NO_TOKEN, code="token_missing", headers=bearer_challenge())
    engine = request.app.state.engine
    with read_session(engine) as session:
        caller = resolve_api_token(session=session, token=credentials.credentials)
    if caller is None:
        raise ProblemError(
            401, BAD_TOKEN, code="token_invalid", headers=bearer_challenge("invalid_token")
        )
    moment = now()
    if caller.needs_touch(moment):
        # After the response: a GET never waits for the database's write lock.
        background.add_task(_record_use, engine, caller.token_id, moment)
    request.state.caller = caller
    return caller


def _record_use(engine: Engine, token_id: int, moment: datetime) -> None:
    """Write ``last_used_at``; a failure is logged, never the request's problem."""
    try:
        with write_unit(engine) as session:
            touch_api_token(session=session, token_id=token_id, at=moment)
    except DATABASE_ERRORS:
        _log.warning("could not record the use of API token #%s", token_id, exc_info=True)


def requires(*roles: str) -> Callable[..., Awaitable[ApiCaller]]:
    """A dependency that lets through callers whose role is one of ``roles`` (else 403)."""
    allowed = frozenset(roles)

    async def gate(
        request: Request, caller: Annotated[ApiCaller, Depends(current_caller)]
    ) -> ApiCaller:
        if caller.user.role not in allowed:
            label = ROLE_LABELS.get(caller.user.role, caller.user.role)
            raise ProblemError(
                403, f"Your role ({label}) may not use this route.", code="permission_denied"
            )
        # After 401 and 403: who may not call the route learns nothing of its parameters.
        reject_undeclared_query(request)
        return caller

    gate.__name__ = f"requires_{'_'.join(sorted(allowed))}"
    return gate


def requires_capability(capability: Capability) -> Callable[..., ApiCaller]:
    """The gate of a write route: the roles the command's capability grants, then the
    token's write limit (``api.rate_limits``: 429 past it, counted across processes).

    ``execute`` checks the capability again on the account as stored; this gate answers
    403 before the body is even validated against the database, and 429 before the
    route writes anything. Every write route uses it, so none forgets the limit.
    """
    role_gate = requires(*roles_with(capability))

    # A default, not Annotated[...]: the annotation is a string here (future import)
    # and could not name the local role_gate when FastAPI resolves it.
    by_role = Depends(role_gate)

    def gate(request: Request, caller: ApiCaller = by_role) -> ApiCaller:
        take_slot(request, caller)
        return caller

    gate.__name__ = f"writes_{capability}"
    mark_rate_limited(gate)
    return gate


def actor_of(caller: ApiCaller) -> Actor:
    """The actor commands run as: the token's user (``execute`` re-reads the role)."""
    return Actor(caller.user.user_id)
