"""Every "now" and "today" of the console comes from ``core/clock.py`` (issue 13, item 5).

An AST scan of the application code (not tests, benchmarks or scripts) for the calls that
read the machine's clock directly: ``date.today()``, ``datetime.now()``/``today()``/
``utcnow()``, ``pd.Timestamp.now()``/``today()``, ``Timestamp("now")``-style strings,
``time.time()`` and its kin. On a server these read UTC (or whatever the host is set to),
not Argentine time, and they ignore the clock offset the tests pin. The allowlist below
names each exception and why; anything else fails with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_CODE = (
    "app.py",
    "page_registry.py",
    "scheduler.py",
    "app_pages",
    "ui",
    "dashboards",
    "core",
    "api",
    "data",
    "deploy",
)
CLOCK_READERS = {"today", "now", "utcnow"}
CLOCK_CLASSES = {"date", "datetime", "Timestamp"}
TIME_READERS = {"time", "time_ns", "localtime", "gmtime", "ctime", "asctime", "strftime"}
CLOCK_STRINGS = {"now", "today"}
STRING_PARSERS = {"Timestamp", "to_datetime", "datetime64", "DatetimeIndex", "Period"}

# (path, dotted call) -> why it may read the machine's clock. Keep it short and explained.
ALLOWED = {
    # The one clock: the real Argentine time the console's clock is built on.
    ("core/clock.py", "datetime.now"),
    # APScheduler's triggers run on real time (docs/architecture.md, "Time"): the first
    # run and the start-up jobs are scheduling instants handed to APScheduler, compared
    # with its own naive real-time datetimes, never a date the console shows or stores.
    # Shifting them by the test clock's offset would delay every job by that offset.
    ("scheduler.py", "datetime.now"),
    # Leftover backup files are judged by their modification time, which the filesystem
    # stamps in real epoch seconds: the cutoff must be on that clock, not the console's.
    ("core/backup/manifest.py", "time.time"),
}


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a chain of names and attributes, "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every direct read of the machine's clock in ``source``."""
    tree = ast.parse(source)
    time_names = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "time"
        for alias in node.names
        if alias.name in TIME_READERS
    }
    # ``from datetime import datetime as moment`` makes ``moment.now`` a clock read too.
    classes = CLOCK_CLASSES | {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in ("datetime", "pandas")
        for alias in node.names
        if alias.name in CLOCK_CLASSES and alias.asname
    }
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        # date.today, datetime.now, dt.datetime.utcnow, pd.Timestamp.today, ... whether
        # called or passed around (``default_factory=date.today`` reads it too).
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_READERS:
            receiver = dotted(node.value)
            if receiver.split(".")[-1] in classes:
                found.append((node.lineno, f"{receiver}.{node.attr}"))
        elif isinstance(node, ast.Attribute) and node.attr in TIME_READERS:
            if dotted(node.value) == "time":
                found.append((node.lineno, f"time.{node.attr}"))
        elif isinstance(node, ast.Name) and node.id in time_names:
            found.append((node.lineno, f"time.{node.id}"))
        elif isinstance(node, ast.Call) and node.args:
            name = dotted(node.func).split(".")[-1]
            first = node.args[0]
            if (
                name in STRING_PARSERS
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value.strip().lower() in CLOCK_STRINGS
            ):
                found.append((node.lineno, f"{name}({first.value!r})"))
    return sorted(found)


def app_files() -> list[Path]:
    files: list[Path] = []
    for entry in APP_CODE:
        path = ROOT / entry
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def test_the_scan_finds_each_way_of_reading_the_machines_clock() -> None:
    source = """
import datetime as dt
import time
from datetime import date, datetime
from datetime import datetime as moment
from time import time as wall
import pandas as pd
import numpy as np
from core.clock import now, today

a = date.today()
b = datetime.now()
c = dt.datetime.utcnow()
d = pd.Timestamp.now()
e = pd.Timestamp("today")
f = time.time()
g = wall()
h = np.datetime64("now")
i = dict(default=date.today)
j = moment.now()
ok = (now(), today(), time.monotonic(), time.perf_counter(), pd.Timestamp("2026-01-01"))
"""
    assert [name for _, name in clock_reads(source)] == [
        "date.today",
        "datetime.now",
        "dt.datetime.utcnow",
        "pd.Timestamp.now",
        "Timestamp('today')",
        "time.time",
        "time.wall",
        "datetime64('now')",
        "date.today",
        "moment.now",
    ]


def test_app_code_reads_the_time_only_through_core_clock() -> None:
    files = app_files()
    assert len(files) > 100  # the scan really covers the application
    unexplained: list[str] = []
    used: set[tuple[str, str]] = set()
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        for line, name in clock_reads(path.read_text(encoding="utf-8")):
            if (relative, name) in ALLOWED:
                used.add((relative, name))
            else:
                unexplained.append(f"{relative}:{line}: {name}")
    assert not unexplained, (
        "use core.clock.now()/today() (Argentine time, pinnable in tests) instead of:\n"
        + "\n".join(unexplained)
    )
    assert used == ALLOWED, f"stale allowlist entries: {sorted(ALLOWED - used)}"
