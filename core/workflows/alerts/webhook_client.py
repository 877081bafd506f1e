"""POSTing to a webhook: to the vetted address only, no redirects, no proxy.

:func:`send_webhook` vets the URL again (``core.security.webhooks``: the host resolved
once, now, every address public), then opens the TCP connection to one of those vetted
addresses itself, never to the name: nothing resolves the name a second time between the
check and the connection (DNS rebinding). TLS still sends the name (SNI) and checks the
certificate against it, and the Host header names it, so the receiver sees an ordinary
request. ``http.client`` follows no redirects and reads no proxy variables; a 3xx answer
is a failed delivery.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from typing import Any

from core.security.webhooks import Resolver, VettedWebhook, WebhookSettings, vet_webhook_url

__all__ = ["MAX_ADDRESSES", "WebhookRejectedError", "send_webhook"]

# A host with several addresses: try this many (each vetted) before calling it
# unreachable; each costs up to the timeout.
MAX_ADDRESSES = 2
TIMEOUT_S = 3.0


class WebhookRejectedError(OSError):
    """The receiver answered, but not with a 2xx (a 3xx included: redirects are not followed)."""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain http to one vetted address; the Host header still names the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to one vetted address: SNI, the certificate check and the Host header use the
    host name, the TCP connection goes to the address (no second DNS lookup)."""

    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.pinned_address = address
        self.tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _connection(
    vetted: VettedWebhook, address: str, timeout_s: float, context: ssl.SSLContext | None
) -> http.client.HTTPConnection:
    if vetted.scheme == "https":
        return _PinnedHTTPSConnection(
            vetted.host,
            vetted.port,
            address=address,
            timeout=timeout_s,
            context=context or ssl.create_default_context(),
        )
    return _PinnedHTTPConnection(vetted.host, vetted.port, address=address, timeout=timeout_s)


def send_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    timeout_s: float = TIMEOUT_S,
    resolver: Resolver | None = None,
    settings: WebhookSettings | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> str:
    """POST ``payload`` to ``url``; returns the address it was delivered to.

    Raises :class:`~core.security.webhooks.WebhookRefusedError` when the address is not
    allowed (now), :class:`WebhookRejectedError` for an answer other than 2xx, and
    ``OSError`` / ``http.client.HTTPException`` when no vetted address could be reached.
    """
    vetted = vet_webhook_url(url, resolver=resolver, settings=settings)
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "BarberPro-Alerts/1"}
    unreachable: list[str] = []
    for address in vetted.addresses[:MAX_ADDRESSES]:
        connection = _connection(vetted, address, timeout_s, ssl_context)
        try:
            try:
                connection.connect()
            except OSError as exc:  # this address is down: the next vetted one may not be
                unreachable.append(f"{address}: {exc.__class__.__name__}: {exc}")
                continue
            connection.request("POST", vetted.target, body=body, headers=headers)
            response = connection.getresponse()
            status, location = response.status, response.getheader("Location")
        finally:
            connection.close()
        if 200 <= status < 300:
            return address
        if 300 <= status < 400:
            raise WebhookRejectedError(
                f"HTTP {status} from {address}: a redirect to {location!r}, not followed"
            )
        raise WebhookRejectedError(f"HTTP {status} from {address}")
    raise ConnectionError("; ".join(unreachable) or "no address to connect to")
