"""Local stand-ins for a Slack webhook and an SMTP relay: no network leaves the machine."""

from __future__ import annotations

import json
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


class WebhookStub:
    """Answers POSTs with the next status of ``statuses`` (then 200), after ``delay_s``.

    A 3xx answer carries ``Location: location``. ``hits`` counts every request (any
    method), ``hosts`` and ``paths`` record each one's Host header and path, and
    ``server_names`` the SNI name of each TLS handshake.
    """

    def __init__(
        self,
        statuses: list[int] | None = None,
        delay_s: float = 0.0,
        location: str | None = None,
    ) -> None:
        self.statuses = list(statuses or [])
        self.delay_s = delay_s
        self.location = location
        self.received: list[dict] = []  # type: ignore[type-arg]
        self.hits = 0
        self.hosts: list[str | None] = []
        self.paths: list[str] = []
        self.server_names: list[str | None] = []


@contextmanager
def webhook_server(stub: WebhookStub, *, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """A real ``http.server`` on 127.0.0.1 (TLS with ``tls``, a server context); yields
    its URL, ``http(s)://127.0.0.1:<port>/hook``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._answer(body)

        def do_GET(self) -> None:
            self._answer(b"")

        def _answer(self, body: bytes) -> None:
            stub.hits += 1
            stub.hosts.append(self.headers.get("Host"))
            stub.paths.append(self.path)
            time.sleep(stub.delay_s)
            status = stub.statuses.pop(0) if stub.statuses else 200
            if status == 200 and body:
                stub.received.append(json.loads(body))
            self.send_response(status)
            if 300 <= status < 400 and stub.location:
                self.send_header("Location", stub.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:

        def remember(sock, server_name, context):  # type: ignore[no-untyped-def]
            stub.server_names.append(server_name)

        tls.sni_callback = remember
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 stub ESMTP")
        while True:
            line = self.rfile.readline().decode(errors="replace").strip()
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 stub")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data.decode(errors="replace"))
                self.server.messages.append("".join(lines))  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[str]]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.messages  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port nobody listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
