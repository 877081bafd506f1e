"""Printing and saving benchmark figures."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from core.clock import now
from core.ops.evidence import running_commit


def write_results(path: str | None, figures: dict) -> None:  # type: ignore[type-arg]
    payload = {
        "measured_at": now().isoformat(timespec="seconds"),
        "machine": {"cpus": _cpus(), "python": platform.python_version()},
        # The launch-readiness score counts a result only for the commit it measured.
        "commit": running_commit(),
        **figures,
    }
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(payload, indent=2, default=str) + "\n")


def print_table(title: str, rows: list[tuple[str, object]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}\n" + "-" * (width + 20))
    for name, value in rows:
        shown = f"{value:,.4f}" if isinstance(value, float) else f"{value}"
        print(f"{name:<{width}}  {shown}")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
