"""core.auth.passwords: argon2id hashes and the NIST SP 800-63B-4 rules."""

from __future__ import annotations

import pytest

from core.auth.passwords import (
    MIN_LENGTH,
    PasswordRuleError,
    check_password,
    common_passwords,
    hash_password,
    verify_password,
)

GOOD = "mate amargo en la terraza 1987"


def test_a_hash_is_argon2id_salted_and_verifies_only_the_password() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("$argon2id$") and GOOD not in first
    assert first != second  # a fresh salt each time
    assert verify_password(first, GOOD)
    assert not verify_password(first, GOOD + " ")
    assert not verify_password(None, GOOD)
    assert not verify_password("not a hash", GOOD)


def test_unicode_is_normalised_before_hashing() -> None:
    composed, decomposed = "contraseña muy larga de verdad", "contrasen\u0303a muy larga de verdad"
    assert verify_password(hash_password(composed), decomposed)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("a" * (MIN_LENGTH - 1), "at least 15"),
        ("x" * 129, "at most 128"),
        ("passwordpassword", "common or leaked"),
        ("Password Password", "common or leaked"),
        ("123456123456123456", "common or leaked"),
        ("abcdefghijklmnop", "too repetitive"),
        ("aaaaaaaaaaaaaaaaaa", "common or leaked"),
        ("ab ab ab ab ab ab ab", "common or leaked"),
        ("mi clave de barberpro 2026", "product's name"),
        ("ana.gomez tiene una clave", "your name"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(PasswordRuleError) as error:
        check_password(password, email="ana.gomez@barberpro.com.ar", full_name="Ana Gómez")
    assert reason in str(error.value)
    assert error.value.field == "password"


@pytest.mark.parametrize(
    "password",
    [GOOD, "correct horse battery staple", "ñandú-patagónico-corre-veloz", "x7$Kq!2mZ@9rLp#4v"],
)
def test_long_uncommon_passwords_pass_without_composition_rules(password: str) -> None:
    check_password(password, email="ana.gomez@barberpro.com.ar", full_name="Ana Gómez")


def test_the_shipped_list_holds_common_and_argentine_passwords() -> None:
    listed = common_passwords()
    assert len(listed) > 25_000
    assert {"123456", "password", "qwerty", "bocajuniors", "contraseña"} <= listed
