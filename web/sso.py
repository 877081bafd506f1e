"""Single sign-on (OpenID Connect) through Streamlit's own ``st.login`` (Authlib).

Streamlit runs the provider round trip (``/auth/login``, ``/oauth2callback``) and keeps
the identity in its signed cookie for 30 days. The console trusts that cookie only to
open one of its own server-side sessions (idle timeout, revocation, roles), for an
active console user whose e-mail the provider verified, and never twice from the same
provider login. Configured in ``.streamlit/secrets.toml`` (README "Single sign-on").
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

# Streamlit 1.67's own readers of its signed identity cookie (pinned in requirements.txt;
# the single sign-on browser test fails first if they change).
from streamlit.web.server.starlette.starlette_auth_routes import (
    _clear_auth_cookie,
    _get_cookie_value_from_request,
)
from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

SSO_PATH = "/sso"


def sso_configured() -> bool:
    """Whether secrets.toml (or the st.App's secrets) has an [auth] section."""
    try:
        import streamlit as st

        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def provider_identity(request: Request) -> tuple[dict[str, Any], str] | None:
    """The identity Streamlit's cookie holds and a hash of that login, or None."""
    raw = _get_cookie_value_from_request(request, USER_COOKIE_NAME)
    if not raw:
        return None
    try:
        identity = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if not isinstance(identity, dict) or not identity.get("is_logged_in"):
        return None
    return identity, hashlib.sha256(raw).hexdigest()


def verified_email(identity: dict[str, Any]) -> str | None:
    """The e-mail when the provider says it verified it; None otherwise."""
    email = identity.get("email")
    if isinstance(email, str) and email and identity.get("email_verified") is True:
        return email
    return None


def forget_provider_login(response: Response, request: Request) -> None:
    """Clear Streamlit's identity cookie (on sign-out, on "no access")."""
    _clear_auth_cookie(response, request)
