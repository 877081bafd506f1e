"""Passwords: argon2id hashes (argon2-cffi) and the rules a new password must meet.

The rules follow NIST SP 800-63B-4 for passwords used as the only factor: at least 15
characters, at most 128, any characters (no composition rules), normalised with NFKC,
and refused when they are common, breached, repetitive or about the user or the
product (``common_passwords.txt`` ships with the code; nothing is fetched).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.config import FAST_HASH_VARIABLE
from core.errors import DomainError
from core.i18n import N_

MIN_LENGTH = 15
MAX_LENGTH = 128
_LIST = Path(__file__).with_name("common_passwords.txt")
# The product's and the company's own words, which attackers try first.
_CONTEXT_WORDS = ("barberpro", "barber pro", "commandcenter", "command center", "consola")


class PasswordRuleError(DomainError):
    """A new password that does not meet the rules; the message says which one."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__("password_rule", message, params, field="password")


@cache
def _hasher(fast: bool) -> PasswordHasher:
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # RFC 9106's low-memory profile: argon2id, 64 MiB, t=3, p=4


def _fast() -> bool:
    # Never in production, whatever the environment says.
    production = os.environ.get("BARBERPRO_ENV", "").strip() == "production"
    return not production and os.environ.get(FAST_HASH_VARIABLE, "").strip().lower() == "fast"


def hasher() -> PasswordHasher:
    return _hasher(_fast())


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """The argon2id hash to store (salted; the clear text is never stored)."""
    return hasher().hash(normalise(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; False for no hash or a broken one."""
    if not stored_hash:
        # Spend the same time as a real check, so a missing account is not faster.
        _spend_a_verification()
        return False
    try:
        return hasher().verify(stored_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash(fast: bool) -> str:
    return _hasher(fast).hash("a password nobody has, to spend the time")


def _spend_a_verification() -> None:
    fast = _fast()
    with contextlib.suppress(VerifyMismatchError):
        _hasher(fast).verify(_dummy_hash(fast), "not it")


@cache
def common_passwords() -> frozenset[str]:
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _squeezed(text: str) -> str:
    return re.sub(r"[\s._\-]+", "", text.lower())


def check_password(password: str, *, email: str = "", full_name: str = "") -> None:
    """Raise :class:`PasswordRuleError` when ``password`` may not be used; else None."""
    text = normalise(password)
    if len(text) < MIN_LENGTH:
        raise PasswordRuleError(
            N_("Use at least {n} characters; a few words in a row are easy to remember."),
            n=MIN_LENGTH,
        )
    if len(text) > MAX_LENGTH:
        raise PasswordRuleError(N_("Use at most {n} characters."), n=MAX_LENGTH)
    lowered = text.lower()
    squeezed = _squeezed(text)
    listed = common_passwords()
    if lowered in listed or squeezed in listed or _is_repetition(squeezed, listed):
        raise PasswordRuleError(
            N_("That password is on the list of common or leaked passwords; choose another.")
        )
    if len(set(squeezed)) <= 3 or _is_sequence(squeezed):
        raise PasswordRuleError(N_("That password is too repetitive; choose another."))
    context = [*_CONTEXT_WORDS, *_personal_words(email, full_name)]
    if any(word and _squeezed(word) in squeezed for word in context):
        raise PasswordRuleError(
            N_("Don't use your name, your e-mail or the product's name in your password.")
        )


def _is_repetition(squeezed: str, listed: frozenset[str]) -> bool:
    """ "passwordpassword", "123456123456123": a listed word (or digit run) repeated."""
    for size in range(1, len(squeezed) // 2 + 1):
        unit = squeezed[:size]
        repeated = (unit * (len(squeezed) // size + 1))[: len(squeezed)]
        if repeated == squeezed and (unit in listed or size <= 4):
            return True
    return False


def _is_sequence(squeezed: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(squeezed)}
    return len(steps) == 1 and steps <= {-1, 1}


def _personal_words(email: str, full_name: str) -> list[str]:
    local = email.split("@", 1)[0] if email else ""
    parts = [p for p in re.split(r"[\s.\-_+]+", f"{local} {full_name}") if len(p) >= 4]
    return [local, *parts] if len(local) >= 4 else parts
