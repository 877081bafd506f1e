"""Generated demo data sets built once per `make test` and copied to each test that asks.

``generated_copy(path, tenants=..., months=..., seed=..., today=...)`` leaves at ``path``
the database ``generate_demo_data`` gives for those arguments. The generator is
deterministic (same seed and day, same rows), so modules asking for the same set (the
churn-feature modules; the live browser consoles) share one generation: the first
process to need a set builds it into $BARBERPRO_TEST_CACHE, under a lock, and every
other process, on any xdist worker or in the browser run, copies that file. Without
$BARBERPRO_TEST_CACHE (a targeted run) the set is generated in place.

Only the raw generation is shared; each test runs its own refreshes and jobs on its copy.
"""

from __future__ import annotations

import fcntl
import os
from datetime import date
from pathlib import Path

from core.clock import today as console_today
from data.generate import generate_demo_data
from tests import db_templates
from tests.conftest import CACHE_VARIABLE


def generated_copy(
    path: Path, *, tenants: int, months: int, seed: int, today: date | None = None
) -> str:
    """Generate (or copy this run's generation of) a demo set at ``path``; its URL.

    ``today`` defaults to the console's today (the pinned clock of the clock tests),
    as ``python -m data.generate`` does.
    """
    today = today or console_today()
    if path.exists():
        raise FileExistsError(f"a generated copy goes to a new file, {path} exists")
    url = f"sqlite:///{path}"
    cache = os.environ.get(CACHE_VARIABLE)
    if not cache:
        generate_demo_data(url, tenants=tenants, months=months, seed=seed, today=today)
        return url
    name = f"generated-{tenants}t-{months}m-seed{seed}-{today.isoformat()}"
    cached = Path(cache) / f"{name}.db"
    with open(Path(cache) / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder; the others wait, then copy
        if not cached.exists():
            generate_demo_data(url, tenants=tenants, months=months, seed=seed, today=today)
            partial = cached.with_suffix(f".{os.getpid()}.part")
            db_templates.copy_sqlite(path, partial)
            partial.replace(cached)
            return url
    db_templates.copy_sqlite(cached, path)
    return url
