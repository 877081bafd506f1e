"""A resolver for webhook tests: CI has no general DNS, and tests must choose the answer."""

from __future__ import annotations

import socket

SLACK = "hooks.slack.com"
PUBLIC = "52.0.10.20"  # an address on the public internet (never connected to here)


class FakeDns:
    """A resolver: host -> addresses, remembering what it was asked."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = answers if answers is not None else {SLACK: [PUBLIC]}
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]
