"""Outbound webhook addresses: where the console may POST, checked before saving and again
before every delivery.

A webhook URL is typed by a user and fetched by the server, so an unchecked one makes the
server a proxy into its own network (server-side request forgery): the cloud metadata
service at 169.254.169.254, a database on 127.0.0.1, anything on the private network.
:func:`vet_webhook_url` allows only

- ``https://`` (``http://`` too under the development/test switch below);
- a host on the allowlist (``BARBERPRO_WEBHOOK_HOSTS``, default ``hooks.slack.com``;
  ``*.example.com`` allows its subdomains), written as a name: no user name or password,
  no IPv4 address in decimal, hex, octal or short form (``2130706433``, ``0x7f000001``,
  ``0177.0.0.1``, ``127.1``: resolvers read them as 127.0.0.1), no ``localhost``;
- a host whose every address is public: loopback, private, shared (CGNAT), link-local,
  multicast, reserved, unspecified and documentation ranges are refused, and so are IPv6
  addresses that carry an IPv4 one (IPv4-mapped ``::ffff:127.0.0.1``, IPv4-compatible,
  6to4, Teredo, NAT64). One bad address among good ones refuses the host.

The allowlist is checked before any name is resolved, so the check never looks up names
an attacker chose. The resolver is a parameter (a callable host -> IP strings; default
:func:`system_resolver`, ``socket.getaddrinfo``): tests have no DNS, and delivery
(``core.workflows.alerts.notify``) connects to the very addresses vetted here, so a name
that resolves differently a moment later (DNS rebinding) changes nothing.

With ``webhook_allow_local`` (``BARBERPRO_WEBHOOK_ALLOW_LOCAL=true``, refused in
production by ``core.config``), ``http://`` is allowed, and so are loopback addresses
(``127.0.0.0/8``, ``::1``) whether allowlisted or not: the local stubs of the tests and of
development. Every other rule still holds.

Refusals raise :class:`WebhookRefusedError`, a :class:`core.validation.ValidationError` on the
field ``webhook_url`` with one sentence (a gettext msgid, translated by the page). The
sentence quotes the host the user typed, never an address a resolver answered.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from core.errors import DomainError
from core.i18n import N_
from core.validation import ValidationError
from core.validation.errors import shown_value

__all__ = [
    "MAX_WEBHOOK_URL",
    "Resolver",
    "VettedWebhook",
    "WebhookPolicy",
    "WebhookRefusedError",
    "is_public_address",
    "mask_webhook_url",
    "system_resolver",
    "validate_webhook_url",
    "vet_webhook_url",
]

# Slack's incoming-webhook URLs are about 80 characters; 300 leaves room for others and
# keeps the sealed form (core.security.sealing) within the 500 of its column.
MAX_WEBHOOK_URL = 300
FIELD = "webhook_url"

Resolver = Callable[[str], Iterable[str]]

# Networks ipaddress's is_global lets through that still reach an IPv4 address or a
# local network: IPv4-compatible (deprecated), NAT64, 6to4 and Teredo are checked apart.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
# What a browser's URL parser (WHATWG) reads as an IPv4 address: the last label a number.
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")
_HOST_CHARACTERS = re.compile(r"[a-z0-9_.-]+")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"

MESSAGES: dict[str, str] = {
    "webhook_required": N_("Enter the webhook address."),
    "webhook_too_long": N_("The webhook address may have at most {n} characters."),
    "webhook_malformed": N_("The webhook address is not a valid web address."),
    "webhook_https": N_("The webhook address must start with https://."),
    "webhook_credentials": N_("The webhook address must not contain a user name or password."),
    "webhook_numeric_host": N_(
        "The webhook host {host} is an IP address written in an unusual form; "
        "use the service's host name."
    ),
    "webhook_internal": N_(
        "The webhook host {host} points to a local or private network; "
        "only public services may receive notifications."
    ),
    "webhook_not_allowed": N_(
        "Webhooks may only go to {hosts}; ask an administrator to allow {host}."
    ),
    "webhook_unresolved": N_("The webhook host {host} could not be found; check the address."),
}


class WebhookRefusedError(ValidationError):
    """A webhook address the console will not call; ``code`` says why.

    Unlike the wizard's validation errors, the message is a gettext msgid with its
    params (``rendered`` is False), so each page shows it in its user's language;
    ``message`` and ``str(error)`` are the English sentence.
    """

    rendered = False

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(MESSAGES[code], code, FIELD, params)
        self.message = str(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return DomainError.__reduce__(self)


class WebhookSettings(Protocol):
    """What the check reads from the settings (``core.config.Settings`` has it)."""

    @property
    def webhook_hosts(self) -> tuple[str, ...]: ...

    @property
    def webhook_allow_local(self) -> bool: ...


@dataclass(frozen=True)
class WebhookPolicy:
    """The allowlist and the local switch, for callers without a ``Settings``."""

    webhook_hosts: tuple[str, ...] = ("hooks.slack.com",)
    webhook_allow_local: bool = False
    environment: str = "development"


@dataclass(frozen=True)
class VettedWebhook:
    """A webhook address that passed, and the addresses it may be delivered to."""

    url: str  # normalized: lower-case scheme and host, no fragment
    scheme: str  # https (http only under the local switch)
    host: str  # the name for SNI, the certificate and the Host header
    port: int
    target: str  # path and query, what the request line asks for
    addresses: tuple[str, ...]  # every address of the host, each one vetted


def system_resolver(host: str) -> list[str]:
    """Every address ``host`` resolves to (``socket.getaddrinfo``), in its order."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # fe80::1%eth0: drop the zone
    except ValueError:
        return None


def is_public_address(address: object) -> bool:
    """Whether an IP address (text or ``ipaddress`` object) is on the public internet.

    False for loopback, private, shared, link-local, multicast, reserved, unspecified and
    documentation ranges, for anything that is not an address, and for IPv6 addresses
    that embed an IPv4 one (mapped, compatible, 6to4, Teredo, NAT64).
    """
    ip = address if isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address) else None
    if ip is None:
        ip = _address(address) if isinstance(address, str) else None
    if ip is None:
        return False
    if (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or ip.ipv4_mapped is not None or ip.sixtofour is not None:
            return False
        if ip.teredo is not None or ip in _IPV4_COMPATIBLE or any(ip in net for net in _NAT64):
            return False
    return True


def _is_loopback(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_loopback and not (isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped)


def _allowlisted(host: str, hosts: Iterable[str]) -> bool:
    for entry in hosts:
        entry = entry.strip().lower().rstrip(".")
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False


def _local_allowed(settings: WebhookSettings) -> bool:
    # Belt and braces: core.config refuses the switch in production already.
    production = getattr(settings, "environment", "") == "production"
    return bool(settings.webhook_allow_local) and not production


def _default_settings() -> WebhookSettings:
    from core.config import get_settings  # the environment, read at call time

    return get_settings()


def vet_webhook_url(
    url: object,
    *,
    resolver: Resolver | None = None,
    settings: WebhookSettings | None = None,
) -> VettedWebhook:
    """The webhook address checked, with the vetted addresses to connect to.

    Raises
    ------
    WebhookRefusedError
        With the first rule ``url`` breaks (see the module docstring); code
        ``webhook_unresolved`` when the (allowlisted) host has no address right now.
    """
    settings = settings if settings is not None else _default_settings()
    resolve = resolver if resolver is not None else system_resolver
    local = _local_allowed(settings)
    if not isinstance(url, str) or not url.strip():
        raise WebhookRefusedError("webhook_required")
    text = url.strip()
    if len(text) > MAX_WEBHOOK_URL:
        raise WebhookRefusedError("webhook_too_long", n=MAX_WEBHOOK_URL)
    if any(not c.isprintable() or c.isspace() or c == "\\" for c in text):
        raise WebhookRefusedError("webhook_malformed")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a bad port or a malformed [IPv6] literal
        raise WebhookRefusedError("webhook_malformed") from None
    scheme = parts.scheme.lower()
    if scheme not in (("https", "http") if local else ("https",)):
        raise WebhookRefusedError("webhook_https")
    if "@" in parts.netloc:
        raise WebhookRefusedError("webhook_credentials")
    raw_host = parts.hostname or ""
    if not raw_host or port == 0:
        raise WebhookRefusedError("webhook_malformed")
    shown = shown_value(raw_host)
    literal = _address(raw_host) if ":" in raw_host or _is_dotted_quad(raw_host) else None
    if literal is not None:
        host = literal.compressed
        if not (is_public_address(literal) or (local and _is_loopback(literal))):
            raise WebhookRefusedError("webhook_internal", host=shown)
        if not (local and _is_loopback(literal)) and not _allowlisted(host, settings.webhook_hosts):
            raise _not_allowed(shown, settings)
        addresses: tuple[str, ...] = (host,)
    else:
        host = _host_name(raw_host)
        if ":" in raw_host or _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
            raise WebhookRefusedError("webhook_numeric_host", host=shown)
        local_name = host in _LOCAL_NAMES or host.endswith(".localhost")
        if local_name and not local:
            raise WebhookRefusedError("webhook_internal", host=shown)
        if not local_name and not _allowlisted(host, settings.webhook_hosts):
            raise _not_allowed(shown, settings)
        addresses = _resolved(host, shown, resolve, local=local, loopback_only=local_name)
    default_port = 443 if scheme == "https" else 80
    effective = port if port is not None else default_port
    netloc = f"[{host}]" if ":" in host else host
    if effective != default_port:
        netloc = f"{netloc}:{effective}"
    # Non-ASCII in the path or query is percent-encoded (escapes already there stay).
    target = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_PATH_SAFE + "?")
    return VettedWebhook(
        url=f"{scheme}://{netloc}{target}",
        scheme=scheme,
        host=host,
        port=effective,
        target=target,
        addresses=addresses,
    )


def validate_webhook_url(
    url: str,
    *,
    resolver: Resolver | None = None,
    settings: WebhookSettings | None = None,
) -> str:
    """The normalized webhook URL, or :class:`WebhookRefusedError` (a ValidationError).

    ``resolver`` maps a host name to its IP addresses (default ``socket.getaddrinfo``);
    ``settings`` gives ``webhook_hosts`` and ``webhook_allow_local`` (default: the
    environment, ``core.config.get_settings()``).
    """
    return vet_webhook_url(url, resolver=resolver, settings=settings).url


def mask_webhook_url(url: str | None) -> str | None:
    """What may be shown of a webhook URL: scheme, host and its last four characters.

    ``https://hooks.slack.com/services/T0/B0/XYZabcd`` -> ``https://hooks.slack.com/…/****abcd``.
    The path and query of a webhook URL are its secret.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        host, parts = "", None
    secret = ((parts.path + ("?" + parts.query if parts.query else "")) if parts else url).rstrip(
        "/"
    )
    tail = secret[-4:] if len(secret) >= 12 else ""
    scheme = parts.scheme.lower() if parts and parts.scheme else "https"
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}/…/****{tail}"


# ------------------------------------------------------------------ helpers


def _is_dotted_quad(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isascii() and p.isdigit() for p in parts)


def _host_name(raw: str) -> str:
    """``raw`` as an ASCII host name (IDNA, lower case, no trailing dot), or refused."""
    try:
        host = raw.encode("idna").decode("ascii").lower().rstrip(".")
    except (UnicodeError, ValueError):
        raise WebhookRefusedError("webhook_malformed") from None
    if not host or not _HOST_CHARACTERS.fullmatch(host) or ".." in host:
        raise WebhookRefusedError("webhook_malformed")
    return host


def _resolved(
    host: str, shown: str, resolve: Resolver, *, local: bool, loopback_only: bool
) -> tuple[str, ...]:
    try:
        answers = [str(a) for a in resolve(host)]
    except (OSError, UnicodeError, ValueError):
        raise WebhookRefusedError("webhook_unresolved", host=shown) from None
    if not answers:
        raise WebhookRefusedError("webhook_unresolved", host=shown)
    addresses = []
    for answer in answers:
        ip = _address(answer)
        public = ip is not None and is_public_address(ip) and not loopback_only
        if ip is None or not (public or (local and _is_loopback(ip))):
            raise WebhookRefusedError("webhook_internal", host=shown)
        addresses.append(ip.compressed)
    return tuple(dict.fromkeys(addresses))


def _not_allowed(shown: str, settings: WebhookSettings) -> WebhookRefusedError:
    hosts = ", ".join(settings.webhook_hosts) or "(none)"
    return WebhookRefusedError("webhook_not_allowed", hosts=hosts, host=shown)
