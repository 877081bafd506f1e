"""Secrets stored in the database, sealed: encrypted and authenticated (Fernet).

A webhook URL is a credential (whoever knows a Slack incoming-webhook URL can post to
the channel), so it is stored only sealed: ``sealed:v1:`` then a Fernet token (AES-128-CBC
and HMAC-SHA256, from ``cryptography``). The key is derived (HKDF-SHA256) from a server
secret: ``BARBERPRO_WEBHOOK_KEY`` when set, else ``BARBERPRO_COOKIE_SECRET`` (which
production requires anyway). Development and tests without either use a fixed
development key, which production refuses: there, sealing or unsealing without a real
secret raises :class:`~core.config.ConfigError`, and ``core.auth.production`` refuses to
start.

Changing the secret makes what was sealed with the old one unreadable
(:class:`UnreadableSecretError`): users set their webhook again.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Mapping
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.config import ConfigError

__all__ = [
    "KEY_VARIABLE",
    "SEALED_PREFIX",
    "UnreadableSecretError",
    "is_sealed",
    "key_problem",
    "seal",
    "unseal",
]

log = logging.getLogger(__name__)

SEALED_PREFIX = "sealed:v1:"
KEY_VARIABLE = "BARBERPRO_WEBHOOK_KEY"
COOKIE_SECRET_VARIABLE = "BARBERPRO_COOKIE_SECRET"  # as core.auth.production
MIN_SECRET_LENGTH = 32
_PLACEHOLDERS = {"", "changeme", "change-me", "secret", "streamlit", "barberpro", "default"}
# Development and tests only: production refuses to seal or unseal with it.
_DEVELOPMENT_SECRET = "barberpro development only: not a secret, refused in production"
_INFO = b"barberpro sealed database secrets v1"


class UnreadableSecretError(ValueError):
    """A sealed value the current key cannot open (another key, or tampered with)."""


def _weak(value: str) -> str | None:
    text = value.strip()
    if text.lower() in _PLACEHOLDERS or "change-me" in text.lower():
        return "is not set (or is a placeholder)"
    if len(text) < MIN_SECRET_LENGTH:
        return f"must be at least {MIN_SECRET_LENGTH} characters"
    return None


def _source(environ: Mapping[str, str]) -> tuple[str, str]:
    """(variable, value) of the secret the key comes from."""
    own = environ.get(KEY_VARIABLE, "")
    if own.strip():
        return KEY_VARIABLE, own.strip()
    return COOKIE_SECRET_VARIABLE, environ.get(COOKIE_SECRET_VARIABLE, "").strip()


def key_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why no real sealing key can be derived (None: it can)."""
    name, value = _source(os.environ if environ is None else environ)
    weak = _weak(value)
    if weak is None:
        return None
    if name == KEY_VARIABLE:
        return f"{KEY_VARIABLE} {weak}"
    return (
        f"neither {KEY_VARIABLE} nor {COOKIE_SECRET_VARIABLE} is a usable secret "
        "to seal webhook URLs with"
    )


@lru_cache(maxsize=4)
def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"barberpro", info=_INFO).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet(environ: Mapping[str, str] | None) -> Fernet:
    env = os.environ if environ is None else environ
    problem = key_problem(env)
    if problem is None:
        return _fernet_for(_source(env)[1])
    if env.get("BARBERPRO_ENV", "").strip() == "production":
        raise ConfigError(f"BARBERPRO_ENV=production: {problem}")
    return _fernet_for(_DEVELOPMENT_SECRET)


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def seal(text: str, *, environ: Mapping[str, str] | None = None) -> str:
    """``text`` encrypted and authenticated, prefixed with :data:`SEALED_PREFIX`."""
    token = _fernet(environ).encrypt(text.encode()).decode("ascii")
    return SEALED_PREFIX + token


def unseal(value: str, *, environ: Mapping[str, str] | None = None) -> str:
    """The text of a sealed value; a value stored before sealing comes back as it is.

    Raises :class:`UnreadableSecretError` when the key cannot open it.
    """
    if not is_sealed(value):
        return value
    fernet = _fernet(environ)  # a ConfigError in production without a secret: not caught
    try:
        return fernet.decrypt(value[len(SEALED_PREFIX) :].encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        raise UnreadableSecretError(
            "a sealed value cannot be opened with the current key"
        ) from None
