"""Sign-in over HTTP: the form, POST /auth/login, POST /auth/logout and the page gate.

A Streamlit page cannot set an HttpOnly cookie, so these routes, served next to the app
by ``st.App`` (``serve.py``), do: the session cookie holds a random token (its hash is
the server-side session row), is HttpOnly, SameSite=Lax, Secure behind TLS, and never
readable by JavaScript. The gate sends every anonymous page load to the form before a
byte of the app is served; the page itself re-checks the session on every run.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.auth.sessions import SESSION_COOKIE, SIGN_IN_PATH
from core.auth.signin import (
    NO_ACCESS,
    SIGN_IN_FAILED,
    SSO_AGAIN,
    current_user,
    sign_in_verified_email,
    sign_in_with_password,
    sign_out,
)
from core.auth.throttle import client_address
from core.config import Settings, get_settings
from core.db import get_engine
from core.i18n import DEFAULT_LOCALE, gettext, normalize_locale
from web import signin_page
from web.sso import (
    SSO_PATH,
    forget_provider_login,
    provider_identity,
    sso_configured,
    verified_email,
)

CSRF_COOKIE = "barberpro_csrf"
# Cookies outlive the idle timeout; the server decides when a session has ended.
_COOKIE_MAX_AGE_S = 31 * 86400
_MAX_FORM_BYTES = 8 * 1024
# What an anonymous browser may load: Streamlit's own machinery (the page script checks
# the session itself on every run), its assets, and the sign-in routes.
_OPEN_PREFIXES = (
    "/_stcore/",
    "/static/",
    "/media/",
    "/component/",
    "/app/static/",
    "/auth/",
    "/oauth2callback",
    SSO_PATH,  # the page that hands over to st.login (app.py)
    SIGN_IN_PATH,
    "/favicon",
    "/robots.txt",
)
_log = logging.getLogger(__name__)


def safe_next(value: str | None) -> str:
    """A local path to go back to after signing in; anything else becomes "/"."""
    text = (value or "").strip()
    if not text.startswith("/") or text.startswith(("//", "/\\")) or len(text) > 2000:
        return "/"
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or text.startswith(SIGN_IN_PATH):
        return "/"
    return text


def _locale(value: str | None) -> str:
    return normalize_locale(value) if value else DEFAULT_LOCALE


def _settings() -> Settings:
    return get_settings()


def _address(request: Request, settings: Settings) -> str:
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxy)


def _secure(request: Request, settings: Settings) -> bool:
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else None
    proxied = settings.trusted_proxy is not None and peer == settings.trusted_proxy
    return proxied and request.headers.get("x-forwarded-proto", "").lower() == "https"


def _same_origin(request: Request) -> bool:
    """A POST from a page of this console (Origin, else Referer, names this host)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # old clients send neither; the CSRF token still has to match
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _form_page(
    request: Request,
    *,
    locale: str,
    next_path: str,
    status: int = 200,
    email: str = "",
    error: str | None = None,
    note: str | None = None,
) -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    html = signin_page.render(
        locale=locale,
        csrf=csrf,
        next_path=next_path,
        email=email,
        error=error,
        note=note,
        sso_url=f"{SSO_PATH}?lang={quote(locale)}" if sso_configured() else None,
    )
    response = HTMLResponse(html, status_code=status, headers=_NO_STORE)
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request, _settings()),
    )
    return response


_NO_STORE = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}


async def sign_in_form(request: Request) -> Response:
    """GET /signin: the form (or straight back when already signed in)."""
    locale = _locale(request.query_params.get("lang"))
    next_path = safe_next(request.query_params.get("next"))
    token = request.cookies.get(SESSION_COOKIE)
    if token and await run_in_threadpool(_resolve, token):
        return RedirectResponse(next_path, status_code=303)
    note = error = None
    denied = request.query_params.get("sso_denied")
    if denied is not None:
        error = gettext(NO_ACCESS, locale).format(email=denied[:160])
    elif request.query_params.get("sso_again"):
        error = gettext(SSO_AGAIN, locale)
    elif request.query_params.get("signed_out"):
        note = gettext(signin_page.SIGNED_OUT, locale)
    elif token or request.query_params.get("expired"):
        note = gettext(signin_page.EXPIRED, locale)
    response = _form_page(request, locale=locale, next_path=next_path, note=note, error=error)
    if token:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _resolve(token: str) -> bool:
    settings = _settings()
    return (
        current_user(token=token, activity=False, engine=get_engine(settings.database_url))
        is not None
    )


async def sign_in(request: Request) -> Response:
    """POST /auth/login: check the form; on success set the session cookie and go on."""
    settings = _settings()
    if int(request.headers.get("content-length") or 0) > _MAX_FORM_BYTES:
        return Response("Request too large", status_code=413)
    form = await request.form(max_files=0, max_fields=10)
    locale = _locale(str(form.get("lang") or ""))
    next_path = safe_next(str(form.get("next") or ""))
    email = str(form.get("email") or "")[:160]
    password = str(form.get("password") or "")[:1024]
    expected = request.cookies.get(CSRF_COOKIE) or ""
    sent = str(form.get("csrf") or "")
    if not expected or not hmac.compare_digest(expected, sent) or not _same_origin(request):
        return _form_page(
            request,
            locale=locale,
            next_path=next_path,
            status=400,
            email=email,
            error=gettext(signin_page.FORM_EXPIRED, locale),
        )
    result = await run_in_threadpool(
        sign_in_with_password,
        email=email,
        password=password,
        address=_address(request, settings),
        settings=settings,
        user_agent=request.headers.get("user-agent"),
        engine=get_engine(settings.database_url),
    )
    if not result.ok or result.token is None:
        message = gettext(SIGN_IN_FAILED, locale).format(
            n=settings.lockout_failures, minutes=round(settings.lockout_window_s / 60)
        )
        return _form_page(
            request, locale=locale, next_path=next_path, status=401, email=email, error=message
        )
    target = next_path if "lang=" in next_path else _with_lang(next_path, locale)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=_COOKIE_MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
    )
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


def _with_lang(path: str, locale: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={quote(locale)}"


async def sign_out_route(request: Request) -> Response:
    """POST /auth/logout: end the session, clear the cookie, show the form."""
    locale = _locale(request.query_params.get("lang"))
    if _same_origin(request):
        token = request.cookies.get(SESSION_COOKIE)
        settings = _settings()
        await run_in_threadpool(sign_out, token=token, engine=get_engine(settings.database_url))
    response = RedirectResponse(f"{SIGN_IN_PATH}?signed_out=1&lang={quote(locale)}", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    forget_provider_login(response, request)
    return response


def _from_provider(request: Request, identity: tuple[dict, str], path: str, lang: str) -> Response:
    """Back from the identity provider: open a console session, or say why not."""
    claims, source_hash = identity
    settings = _settings()
    email = verified_email(claims)
    result = (
        sign_in_verified_email(
            email=email,
            settings=settings,
            address=_address(request, settings),
            user_agent=request.headers.get("user-agent"),
            source_hash=source_hash,
            engine=get_engine(settings.database_url),
        )
        if email
        else None
    )
    if result is None or not result.ok or result.token is None:
        shown = email or str(claims.get("email") or "?")
        reason = (
            "sso_again=1"
            if result is not None and result.failure == SSO_AGAIN
            else (f"sso_denied={quote(shown[:160])}")
        )
        response = RedirectResponse(f"{SIGN_IN_PATH}?lang={quote(lang)}&{reason}", status_code=303)
        forget_provider_login(response, request)
        return response
    response = RedirectResponse(safe_next(path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=_COOKIE_MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
    )
    return response


ROUTES = [
    Route(SIGN_IN_PATH, sign_in_form, methods=["GET"]),
    Route("/auth/login", sign_in, methods=["POST"]),
    Route("/auth/logout", sign_out_route, methods=["POST"]),
]


class SignInGate:
    """ASGI middleware: an anonymous GET of a page goes to the sign-in form instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"].startswith(_OPEN_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = request.cookies.get(SESSION_COOKIE)
        if token and await run_in_threadpool(_resolve, token):
            await self.app(scope, receive, send)
            return
        path = scope["path"] + (f"?{request.url.query}" if request.url.query else "")
        lang = request.query_params.get("lang") or DEFAULT_LOCALE
        identity = provider_identity(request)
        if identity is not None:
            response = await run_in_threadpool(_from_provider, request, identity, path, lang)
            await response(scope, receive, send)
            return
        target = f"{SIGN_IN_PATH}?lang={quote(lang)}&next={quote(safe_next(path), safe='')}"
        response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
        if token:
            response.headers["location"] = f"{target}&expired=1"
            response.delete_cookie(SESSION_COOKIE, path="/")
        await response(scope, receive, send)
