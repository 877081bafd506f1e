"""Sealed secrets: Fernet under a key derived from a server secret; production needs one."""

from __future__ import annotations

import pytest

from core.config import ConfigError
from core.security.sealing import (
    SEALED_PREFIX,
    UnreadableSecretError,
    is_sealed,
    key_problem,
    seal,
    unseal,
)
from core.security.webhooks import MAX_WEBHOOK_URL

URL = "https://hooks.slack.com/services/T000/B000/SECRETsecret1234"
ONE = {"BARBERPRO_WEBHOOK_KEY": "k" * 40}
OTHER = {"BARBERPRO_WEBHOOK_KEY": "z" * 40}


def test_a_sealed_value_hides_its_text_and_opens_with_the_same_key() -> None:
    sealed = seal(URL, environ=ONE)
    assert is_sealed(sealed) and sealed.startswith(SEALED_PREFIX)
    assert "hooks.slack.com" not in sealed and "SECRET" not in sealed
    assert seal(URL, environ=ONE) != sealed  # a fresh IV each time
    assert unseal(sealed, environ=ONE) == URL


def test_another_key_or_a_tampered_token_cannot_open_it() -> None:
    sealed = seal(URL, environ=ONE)
    with pytest.raises(UnreadableSecretError):
        unseal(sealed, environ=OTHER)
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(UnreadableSecretError):
        unseal(tampered, environ=ONE)


def test_the_key_comes_from_its_own_setting_else_the_cookie_secret() -> None:
    cookie = {"BARBERPRO_COOKIE_SECRET": "c" * 40}
    sealed = seal(URL, environ=cookie)
    assert unseal(sealed, environ=cookie) == URL
    with pytest.raises(UnreadableSecretError):
        unseal(sealed, environ={**cookie, **ONE})  # its own key wins when set
    assert key_problem(cookie) is None and key_problem(ONE) is None
    assert "BARBERPRO_WEBHOOK_KEY must be at least 32" in (
        key_problem({"BARBERPRO_WEBHOOK_KEY": "short"}) or ""
    )
    assert "neither" in (key_problem({}) or "")


def test_production_refuses_the_development_key() -> None:
    development: dict[str, str] = {}
    sealed = seal(URL, environ=development)  # the fixed development key
    assert unseal(sealed, environ=development) == URL
    production = {"BARBERPRO_ENV": "production"}
    with pytest.raises(ConfigError, match="production"):
        seal(URL, environ=production)
    with pytest.raises(ConfigError, match="production"):
        unseal(sealed, environ=production)
    with pytest.raises(ConfigError, match="BARBERPRO_WEBHOOK_KEY"):
        seal(URL, environ={**production, "BARBERPRO_WEBHOOK_KEY": "changeme"})


def test_a_value_stored_before_sealing_reads_as_it_is() -> None:
    assert unseal(URL) == URL and not is_sealed(URL)


def test_the_longest_webhook_fits_its_column_once_sealed() -> None:
    longest = "https://hooks.slack.com/" + "x" * (MAX_WEBHOOK_URL - 24)
    assert len(longest) == MAX_WEBHOOK_URL
    assert len(seal(longest, environ=ONE)) <= 500  # cs_notification_prefs.webhook_url
