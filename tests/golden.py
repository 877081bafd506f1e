"""Golden dump: the numbers every page shows, to prove a refactor changed none of them.

    python -m tests.golden dump --out tests/golden_before.json [--console PATH]
    python -m tests.golden compare OLD.json NEW.json

``dump`` builds the complete generated console of tests/full_console.py (every
scheduler job run once) with the console clock pinned to ``MOMENT``, renders every page
of ``page_registry.PAGES`` with Streamlit's AppTest in each of ``LANGS``, and records per
page: each ``st.metric`` (label, value, delta), each dataframe and table (shape, columns,
a hash of every column's values) and the captions. ``--console`` keeps the built
database at PATH and reuses it when it exists (the data depends only on the pinned
moment, not on the code under test), so a second dump takes only the rendering time.

``compare`` prints what differs page by page and exits 1 when anything does.

Not a pytest test: rendering 42 pages takes minutes. Run it by hand before and after a
refactor of dashboards/ or the pages and state the result in the closing note.

What varies from run to run and is therefore normalized or left out (``EXCLUSIONS``):

- Any text saying how long ago or how soon something happens ("hace 12 s", "3 min ago",
  "next refresh in ~12 s"): the number becomes ``N``. The clock keeps ticking while pages
  render.
- Times of day and timestamps (snapshot and detail-table times, "as of 10:31:07"):
  become ``HH:MM:SS`` / ``YYYY-MM-DD HH:MM``.
- Dataframe columns measured against the ticking clock (``VOLATILE_COLUMNS``: onboarding
  sessions' idle and elapsed time): only their name is recorded, not their values.
- ``VOLATILE_METRICS`` is empty: with the clock pinned and the console built once, every
  tile (refresh durations included, read from the stored runs) repeats exactly.
Found by dumping twice and comparing; ``compare`` applies the same rules again, so a
dump taken before a rule was added still compares.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
# A Wednesday mid-month, mid-morning: no holiday, no month or week edge, no midnight
# while the dump runs.
MOMENT = datetime(2026, 11, 11, 10, 30)
LANGS = ("es_AR", "en")
RENDER_TIMEOUT_S = 180

# Texts that depend on when the dump runs, not on the data: (pattern, replacement).
NORMALIZERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"), "YYYY-MM-DD HH:MM"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b"), "HH:MM:SS"),
    (re.compile(r"\bhace\s+\d+([.,]\d+)?\s*\w+", re.I), "hace N"),
    (re.compile(r"\b\d+([.,]\d+)?\s*\w+\s+ago\b", re.I), "N ago"),
    (re.compile(r"\b(in|en) ~\d+ \w+"), r"\1 ~N"),  # "next refresh in ~12 s"
)
# How long a session has been idle or running: measured against the ticking clock.
VOLATILE_COLUMNS = re.compile(r"^(idle_hours|idle_s|elapsed_min)$")
VOLATILE_METRICS = re.compile(r"^$")
EXCLUSIONS = {
    "normalized texts": [pattern.pattern for pattern, _ in NORMALIZERS],
    "dataframe columns recorded by name only": VOLATILE_COLUMNS.pattern,
    "metrics recorded by label only": VOLATILE_METRICS.pattern,
}


def normalize(text: Any) -> Any:
    """``text`` with run-dependent times and durations replaced by placeholders."""
    if not isinstance(text, str):
        return text
    for pattern, replacement in NORMALIZERS:
        text = pattern.sub(replacement, text)
    return text.strip()


def _column_hash(values: pd.Series) -> str:
    cells = [normalize(str(value)) for value in values.tolist()]
    return hashlib.sha256("\x1f".join(cells).encode()).hexdigest()[:16]


def frame_record(frame: pd.DataFrame) -> dict[str, Any]:
    """Shape, columns and one hash per column (volatile columns by name only)."""
    frame = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
    columns = [str(column) for column in frame.columns]
    hashes = {}
    for position, name in enumerate(columns):
        if VOLATILE_COLUMNS.search(name):
            hashes[name] = "volatile"
        else:
            hashes[name] = _column_hash(frame.iloc[:, position])
    return {"shape": list(frame.shape), "columns": columns, "hashes": hashes}


def metric_record(metric: Any) -> dict[str, Any]:
    label = str(metric.label)
    if VOLATILE_METRICS.search(label):
        return {"label": label, "volatile": True}
    return {"label": label, "value": normalize(metric.value), "delta": normalize(metric.delta)}


def page_record(app: Any) -> dict[str, Any]:
    """What one rendered page shows, in page order."""
    return {
        "title": [normalize(title.value) for title in app.title],
        "metrics": [metric_record(metric) for metric in app.metric],
        "dataframes": [frame_record(frame.value) for frame in app.dataframe],
        "tables": [frame_record(table.value) for table in app.table],
        "captions": [normalize(caption.value) for caption in app.caption],
        "exceptions": [str(error.value) for error in app.exception],
        "errors": [normalize(error.value) for error in app.error],
    }


def _pin_clock() -> None:
    from core import clock

    shift = clock.offset_to(MOMENT)
    clock.set_offset(shift)
    os.environ[clock.OFFSET_VARIABLE] = f"{shift.total_seconds():.6f}"


def _console(path: Path) -> str:
    """The console at ``path``, built first unless a complete build is there."""
    # A stamp, not the file itself: an interrupted build leaves a half-filled database.
    complete = path.with_name(path.name + ".complete")
    if path.exists() and complete.exists():
        return f"sqlite:///{path}"
    from tests.full_console import full_console

    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    url = full_console(path)
    complete.touch()
    return url


def _a_tenant(url: str) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from core.db import create_engine_for
    from core.schema import Tenant

    engine = create_engine_for(url)
    with Session(engine) as session:
        query = select(Tenant.id).where(Tenant.status == "active").order_by(Tenant.id)
        tenant = session.scalar(query.limit(1))
    engine.dispose()
    return int(tenant)


def _render(page_path: str, query: dict[str, str]) -> Any:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=RENDER_TIMEOUT_S)
    app.query_params.update(query)
    app.run()
    app.switch_page(page_path)
    app.query_params.update(query)
    app.run()
    return app


def dump(out: Path, console: Path | None, only: set[str] | None) -> dict[str, Any]:
    _pin_clock()
    with tempfile.TemporaryDirectory() as scratch:
        url = _console(console or Path(scratch) / "console.db")
        os.environ["BARBERPRO_DATABASE_URL"] = url
        os.environ["BARBERPRO_EMBEDDED_SCHEDULER"] = "false"
        os.environ["BARBERPRO_SIMULATOR"] = "false"
        os.environ.pop("BARBERPRO_REFRESH_INTERVAL_S", None)
        from page_registry import PAGES

        tenant = _a_tenant(url)
        pages: dict[str, Any] = {}
        for page in PAGES:
            if only and page.url_path not in only:
                continue
            for lang in LANGS:
                query = {"lang": lang}
                if page.url_path == "tenant-360":
                    query["tenant"] = str(tenant)
                started = time.monotonic()
                pages[f"{page.url_path}/{lang}"] = page_record(_render(page.path, query))
                print(f"{page.url_path}/{lang}: {time.monotonic() - started:.1f} s", flush=True)
    result = {"moment": MOMENT.isoformat(), "exclusions": EXCLUSIONS, "pages": pages}
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    return result


def _differences(old: Any, new: Any, where: str) -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                found.append(f"{where}.{key}: only in {'new' if key in new else 'old'}")
            else:
                found.extend(_differences(old[key], new[key], f"{where}.{key}"))
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        if len(old) != len(new):
            found.append(f"{where}: {len(old)} items -> {len(new)} items")
        for index, (left, right) in enumerate(zip(old, new, strict=False)):
            found.extend(_differences(left, right, f"{where}[{index}]"))
        return found
    return [] if old == new else [f"{where}: {old!r} -> {new!r}"]


def _clean(value: Any) -> Any:
    """A stored record with today's normalizers and volatile columns applied again."""
    if isinstance(value, dict):
        if "hashes" in value:
            hashes = {
                name: "volatile" if VOLATILE_COLUMNS.search(name) else digest
                for name, digest in value["hashes"].items()
            }
            return {**value, "hashes": hashes}
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return normalize(value)


def compare(old_path: Path, new_path: Path) -> list[str]:
    old = _clean(json.loads(old_path.read_text())["pages"])
    new = _clean(json.loads(new_path.read_text())["pages"])
    return _differences(old, new, "pages")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="render every page and write the numbers")
    dumping.add_argument("--out", type=Path, required=True)
    dumping.add_argument("--console", type=Path, help="keep/reuse the built console here")
    dumping.add_argument("--pages", help="comma-separated url paths (default: all)")
    comparing = commands.add_parser("compare", help="list what differs between two dumps")
    comparing.add_argument("old", type=Path)
    comparing.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        only = set(args.pages.split(",")) if args.pages else None
        result = dump(args.out, args.console, only)
        print(f"{len(result['pages'])} page renders written to {args.out}")
        return 0
    differences = compare(args.old, args.new)
    for line in differences:
        print(line)
    print("identical" if not differences else f"{len(differences)} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
