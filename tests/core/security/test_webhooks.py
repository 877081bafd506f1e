"""validate_webhook_url: https to allowlisted hosts whose every address is public.

Every refused input gives one sentence on the field webhook_url; the resolver is a fake
(no DNS here), and it is never asked about a host the allowlist refuses.
"""

from __future__ import annotations

import pickle
import socket

import pytest

from core.config import ConfigError, Settings
from core.security.webhooks import (
    MAX_WEBHOOK_URL,
    WebhookPolicy,
    WebhookRefusedError,
    is_public_address,
    mask_webhook_url,
    validate_webhook_url,
    vet_webhook_url,
)
from core.validation import ValidationError
from tests.fake_dns import PUBLIC, SLACK, FakeDns

POLICY = WebhookPolicy()  # the default: hooks.slack.com only, no local switch
LOCAL = WebhookPolicy(webhook_allow_local=True)


HTTPS_ONLY = "The webhook address must start with https://."


def internal(host: str) -> str:
    return (
        f"The webhook host {host} points to a local or private network; "
        "only public services may receive notifications."
    )


def numeric(host: str) -> str:
    return (
        f"The webhook host {host} is an IP address written in an unusual form; "
        "use the service's host name."
    )


# The finding's four addresses, their https forms, the other spellings of 127.0.0.1.
REFUSED = [
    ("http://127.0.0.1:8501/", HTTPS_ONLY),
    ("http://169.254.169.254/", HTTPS_ONLY),
    ("http://0x7f000001/", HTTPS_ONLY),
    ("http://[::1]/", HTTPS_ONLY),
    ("https://127.0.0.1:8501/", internal("127.0.0.1")),
    ("https://169.254.169.254/", internal("169.254.169.254")),
    ("https://169.254.169.254/latest/meta-data/", internal("169.254.169.254")),
    ("https://0x7f000001/", numeric("0x7f000001")),
    ("https://[::1]/", internal("::1")),
    ("https://2130706433/", numeric("2130706433")),
    ("https://0177.0.0.1/", numeric("0177.0.0.1")),
    ("https://127.1/", numeric("127.1")),
    ("https://0x7f.0.0.1/", numeric("0x7f.0.0.1")),
    ("https://localhost/", internal("localhost")),
    ("https://LOCALHOST./", internal("localhost.")),
    ("https://api.localhost/", internal("api.localhost")),
    ("https://[::ffff:127.0.0.1]/", internal("::ffff:127.0.0.1")),
    ("https://[::ffff:a9fe:a9fe]/", internal("::ffff:a9fe:a9fe")),
    ("https://[::127.0.0.1]/", internal("::127.0.0.1")),
    ("https://[2002:7f00:1::1]/", internal("2002:7f00:1::1")),  # 6to4 of 127.0.0.1
    ("https://[64:ff9b::a9fe:a9fe]/", internal("64:ff9b::a9fe:a9fe")),  # NAT64
    ("https://[fe80::1%25eth0]/", internal("fe80::1%25eth0")),
    ("https://[fc00::1]/", internal("fc00::1")),
    ("https://[ff02::1]/", internal("ff02::1")),
    ("https://[::]/", internal("::")),
    ("https://0.0.0.0/", internal("0.0.0.0")),
    ("https://10.0.0.1/", internal("10.0.0.1")),
    ("https://172.16.5.4/", internal("172.16.5.4")),
    ("https://192.168.1.1/", internal("192.168.1.1")),
    ("https://100.64.0.1/", internal("100.64.0.1")),  # shared (CGNAT)
    ("https://224.0.0.1/", internal("224.0.0.1")),  # multicast
    ("https://240.0.0.1/", internal("240.0.0.1")),  # reserved
    ("https://255.255.255.255/", internal("255.255.255.255")),
    ("https://192.0.2.1/", internal("192.0.2.1")),  # documentation
    (
        "https://8.8.8.8/",
        f"Webhooks may only go to {SLACK}; ask an administrator to allow 8.8.8.8.",
    ),
    (
        "https://evil.example/x",
        f"Webhooks may only go to {SLACK}; ask an administrator to allow evil.example.",
    ),
    (
        "https://hooks.slack.com.evil.example/x",
        f"Webhooks may only go to {SLACK}; "
        "ask an administrator to allow hooks.slack.com.evil.example.",
    ),
    (
        "https://user:pass@hooks.slack.com/x",
        "The webhook address must not contain a user name or password.",
    ),
    (
        "https://hooks.slack.com@127.0.0.1/",
        "The webhook address must not contain a user name or password.",
    ),
    ("https://hooks.slack.com\\@evil.example/", "The webhook address is not a valid web address."),
    ("https://hooks.slack.com:99999/", "The webhook address is not a valid web address."),
    ("https://hooks.slack.com:0/", "The webhook address is not a valid web address."),
    ("https://hooks slack.com/", "The webhook address is not a valid web address."),
    ("https:///services/x", "The webhook address is not a valid web address."),
    ("ftp://hooks.slack.com/x", HTTPS_ONLY),
    ("javascript:alert(1)", HTTPS_ONLY),
    ("hooks.slack.com/services/x", HTTPS_ONLY),
    ("", "Enter the webhook address."),
    (
        "https://hooks.slack.com/" + "x" * MAX_WEBHOOK_URL,
        f"The webhook address may have at most {MAX_WEBHOOK_URL} characters.",
    ),
]


@pytest.mark.parametrize(("url", "message"), REFUSED, ids=[u[:50] for u, _ in REFUSED])
def test_each_refused_address_gets_one_sentence(url: str, message: str) -> None:
    dns = FakeDns()
    with pytest.raises(ValidationError) as caught:
        validate_webhook_url(url, resolver=dns, settings=POLICY)
    error = caught.value
    assert isinstance(error, WebhookRefusedError)
    assert (error.field, str(error), error.message) == ("webhook_url", message, message)
    # Names the allowlist refuses are never looked up (no DNS probing by users).
    assert SLACK not in url or dns.asked in ([], [SLACK])
    if "evil" in url or "localhost" in url.lower():
        assert dns.asked == []


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({SLACK: ["10.1.2.3"]}, internal(SLACK)),  # an allowlisted name answers private
        ({SLACK: ["127.0.0.1"]}, internal(SLACK)),
        ({SLACK: ["169.254.169.254"]}, internal(SLACK)),
        ({SLACK: [PUBLIC, "10.1.2.3"]}, internal(SLACK)),  # one public, one private
        ({SLACK: ["2600:1f18::1", "fd00::1"]}, internal(SLACK)),
        ({SLACK: ["::ffff:10.0.0.1"]}, internal(SLACK)),  # IPv4-mapped
        ({SLACK: ["not an address"]}, internal(SLACK)),
        ({SLACK: []}, f"The webhook host {SLACK} could not be found; check the address."),
        ({}, f"The webhook host {SLACK} could not be found; check the address."),
    ],
)
def test_an_allowlisted_host_must_resolve_to_public_addresses_only(
    answers: dict[str, list[str]], message: str
) -> None:
    dns = FakeDns(answers)
    with pytest.raises(WebhookRefusedError) as caught:
        validate_webhook_url(f"https://{SLACK}/services/T0/B0/x", resolver=dns, settings=POLICY)
    assert str(caught.value) == message and caught.value.field == "webhook_url"
    assert dns.asked == [SLACK]
    # The sentence never tells the user what the name resolved to.
    for answer in answers.get(SLACK, []):
        assert answer not in str(caught.value)


def test_a_good_address_comes_back_normalized_with_its_vetted_addresses() -> None:
    dns = FakeDns({SLACK: [PUBLIC, "2600:1f18::1", PUBLIC]})
    url = "HTTPS://Hooks.Slack.COM.:443/services/T0/B0/XyZ?a=1#fragment"
    assert validate_webhook_url(url, resolver=dns, settings=POLICY) == (
        "https://hooks.slack.com/services/T0/B0/XyZ?a=1"
    )
    vetted = vet_webhook_url(url, resolver=dns, settings=POLICY)
    assert (vetted.host, vetted.port, vetted.target) == (SLACK, 443, "/services/T0/B0/XyZ?a=1")
    assert vetted.addresses == (PUBLIC, "2600:1f18::1")
    assert (
        validate_webhook_url("https://hooks.slack.com:8443", resolver=dns, settings=POLICY)
        == "https://hooks.slack.com:8443/"
    )
    # What http.client cannot send (non-ASCII) is percent-encoded; escapes stay as they are.
    assert (
        validate_webhook_url(
            "https://hooks.slack.com/año/a%20b?q=ñ&r=1", resolver=dns, settings=POLICY
        )
        == "https://hooks.slack.com/a%C3%B1o/a%20b?q=%C3%B1&r=1"
    )


def test_the_allowlist_takes_exact_names_and_subdomain_wildcards() -> None:
    policy = WebhookPolicy(webhook_hosts=("hooks.slack.com", "*.chat.example"))
    dns = FakeDns({"a.chat.example": [PUBLIC], "b.a.chat.example": [PUBLIC]})
    assert validate_webhook_url("https://a.chat.example/h", resolver=dns, settings=policy)
    assert validate_webhook_url("https://b.a.chat.example/h", resolver=dns, settings=policy)
    for refused in ("https://chat.example/h", "https://evilchat.example/h", "https://slack.com/"):
        with pytest.raises(WebhookRefusedError, match="ask an administrator"):
            validate_webhook_url(refused, resolver=dns, settings=policy)


def test_the_local_switch_lets_loopback_and_http_through_and_nothing_else() -> None:
    dns = FakeDns({"localhost": ["127.0.0.1", "::1"], SLACK: [PUBLIC]})
    for url in ("http://127.0.0.1:8501/hook", "http://[::1]:8501/", "http://localhost:8501/"):
        assert validate_webhook_url(url, resolver=dns, settings=LOCAL).startswith("http://")
    assert validate_webhook_url("http://hooks.slack.com/x", resolver=dns, settings=LOCAL)
    for url, code in (
        ("http://169.254.169.254/", "webhook_internal"),
        ("http://10.0.0.1/", "webhook_internal"),
        ("http://[::ffff:127.0.0.1]/", "webhook_internal"),
        ("http://0x7f000001/", "webhook_numeric_host"),
        ("http://evil.example/", "webhook_not_allowed"),
        ("gopher://127.0.0.1/", "webhook_https"),
    ):
        with pytest.raises(WebhookRefusedError) as caught:
            validate_webhook_url(url, resolver=dns, settings=LOCAL)
        assert caught.value.code == code, url
    # localhost must still resolve to loopback only.
    with pytest.raises(WebhookRefusedError, match="local or private"):
        validate_webhook_url(
            "http://localhost/", resolver=FakeDns({"localhost": ["10.0.0.7"]}), settings=LOCAL
        )
    # And production never has it, however the settings were built.
    production = WebhookPolicy(webhook_allow_local=True, environment="production")
    with pytest.raises(WebhookRefusedError, match="https://"):
        validate_webhook_url("http://127.0.0.1:8501/", resolver=dns, settings=production)


def test_settings_read_the_allowlist_and_production_refuses_the_local_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BARBERPRO_ENV", "BARBERPRO_DATABASE_URL", "BARBERPRO_WEBHOOK_ALLOW_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("BARBERPRO_WEBHOOK_HOSTS", raising=False)
    settings = Settings.from_env()
    assert (settings.webhook_hosts, settings.webhook_allow_local) == (("hooks.slack.com",), False)
    monkeypatch.setenv("BARBERPRO_WEBHOOK_HOSTS", " Hooks.Slack.com, *.Chat.Example. ,")
    assert Settings.from_env().webhook_hosts == ("hooks.slack.com", "*.chat.example")
    monkeypatch.setenv("BARBERPRO_WEBHOOK_HOSTS", "https://hooks.slack.com/")
    with pytest.raises(ConfigError, match="BARBERPRO_WEBHOOK_HOSTS must be"):
        Settings.from_env()
    monkeypatch.delenv("BARBERPRO_WEBHOOK_HOSTS")
    monkeypatch.setenv("BARBERPRO_WEBHOOK_ALLOW_LOCAL", "true")
    assert Settings.from_env().webhook_allow_local is True
    monkeypatch.setenv("BARBERPRO_ENV", "production")
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", "postgresql+psycopg://b@db.internal/b")
    with pytest.raises(ConfigError, match="refuses BARBERPRO_WEBHOOK_ALLOW_LOCAL"):
        Settings.from_env()
    # Settings are the default policy: the environment, read at call time.
    monkeypatch.setenv("BARBERPRO_ENV", "development")
    monkeypatch.setenv("BARBERPRO_WEBHOOK_ALLOW_LOCAL", "false")
    with pytest.raises(WebhookRefusedError, match="https://"):
        validate_webhook_url("http://127.0.0.1:8501/")


def test_the_default_resolver_is_the_system_one(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(WebhookRefusedError, match="local or private"):
        validate_webhook_url("https://hooks.slack.com/x", settings=POLICY)
    assert asked == ["hooks.slack.com"]


def test_public_addresses() -> None:
    for good in (PUBLIC, "1.1.1.1", "2600:1f18::1", "2a00:1450:4001::200e"):
        assert is_public_address(good), good
    for bad in ("127.0.0.1", "10.0.0.1", "::1", "::ffff:8.8.8.8", "2001::1", "", "nope", None):
        assert not is_public_address(bad), bad


def test_the_masked_form_keeps_the_host_and_four_characters() -> None:
    url = "https://hooks.slack.com/services/T000/B000/XXXXXXXXabcd"
    assert mask_webhook_url(url) == "https://hooks.slack.com/…/****abcd"
    assert mask_webhook_url("https://hooks.slack.com/x") == "https://hooks.slack.com/…/****"
    assert mask_webhook_url(None) is None and mask_webhook_url("") is None


def test_the_error_translates_and_survives_pickling() -> None:
    with pytest.raises(WebhookRefusedError) as caught:
        validate_webhook_url("https://localhost/", settings=POLICY)
    error = pickle.loads(pickle.dumps(caught.value))
    assert (error.code, error.field, str(error)) == (
        "webhook_internal",
        "webhook_url",
        internal("localhost"),
    )
    spanish = error.text("es_AR")
    assert "localhost" in spanish and spanish != str(error)
