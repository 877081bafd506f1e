"""A small, real OpenID Connect provider for the single sign-on browser test.

``python -m tests.oidc_provider --port P --client-id ID --client-secret S`` serves the
authorization-code flow with PKCE on 127.0.0.1: discovery, a sign-in form where the
tester types who they are (and whether the e-mail is verified), the token endpoint
(client secret, code, redirect URI and PKCE verifier checked, one use per code), an
RS256 ID token signed with a key made at start (joserfc, Authlib's JOSE library), JWKS
and userinfo. The console talks to it exactly as to Google or Okta: Streamlit's
``st.login`` (Authlib) does discovery, redirects, exchanges the code, verifies the
token's signature, issuer, audience and nonce.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None
    email: str
    verified: bool
    expires: float


def build_app(*, issuer: str, client_id: str, client_secret: str) -> Starlette:
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
    grants: dict[str, Grant] = {}
    tokens: dict[str, dict[str, object]] = {}

    async def discovery(request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": ["sub", "email", "email_verified", "name"],
            }
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse({"keys": [key.as_dict(private=False)]})

    async def authorize_form(request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != client_id or query.get("response_type") != "code":
            return Response("unknown client or response type", status_code=400)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        return HTMLResponse(
            "<!doctype html><title>Test identity provider</title><h1>Test identity provider</h1>"
            f'<form method="post" action="/authorize">{hidden}'
            '<label for="email">Who are you</label> <input id="email" name="email" type="email">'
            '<label><input type="checkbox" name="verified" value="1" checked> verified</label>'
            '<button type="submit">Continue</button></form>'
        )

    async def authorize(request: Request) -> Response:
        form = await request.form()
        if form.get("client_id") != client_id:
            return Response("unknown client", status_code=400)
        code = secrets.token_urlsafe(24)
        grants[code] = Grant(
            client_id=client_id,
            redirect_uri=str(form.get("redirect_uri")),
            nonce=str(form["nonce"]) if form.get("nonce") else None,
            challenge=str(form["code_challenge"]) if form.get("code_challenge") else None,
            email=str(form.get("email") or ""),
            verified=form.get("verified") == "1",
            expires=time.time() + 60,
        )
        query = urlencode({"code": code, "state": form.get("state", "")})
        target = f"{form.get('redirect_uri')}?{query}"
        return RedirectResponse(target, status_code=302)

    def _client(request: Request, form: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            ident, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            ident, secret = form.get("client_id", ""), form.get("client_secret", "")
        return secrets.compare_digest(ident, client_id) and secrets.compare_digest(
            secret, client_secret
        )

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not _client(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = grants.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or grant.expires < time.time():
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if grant.challenge is not None:
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != grant.challenge:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": issuer,
            "sub": hashlib.sha256(grant.email.encode()).hexdigest()[:24],
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "email": grant.email,
            "email_verified": grant.verified,
            "name": grant.email.split("@")[0],
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        access = secrets.token_urlsafe(24)
        tokens[access] = claims
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    async def userinfo(request: Request) -> Response:
        access = request.headers.get("authorization", "").removeprefix("Bearer ")
        claims = tokens.get(access)
        if claims is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({k: claims[k] for k in ("sub", "email", "email_verified", "name")})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
            Route("/authorize", authorize_form, methods=["GET"]),
            Route("/authorize", authorize, methods=["POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/userinfo", userinfo),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.oidc_provider")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    args = parser.parse_args()
    issuer = f"http://127.0.0.1:{args.port}"
    app = build_app(issuer=issuer, client_id=args.client_id, client_secret=args.client_secret)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
