"""The restore drill: prove the newest backup restores and gives the console's numbers.

The newest backup is restored into a scratch database (a file in the backup folder for
SQLite; a temporary database on the same server for PostgreSQL, dropped afterwards), the
metrics are rebuilt from its raw rows with a full rebuild at the moment of the snapshot
stored in it, and the rebuilt KPIs are compared with the ones its manifest recorded.
Each drill appends one line to ``drills.jsonl`` in the backup folder.
"""

from __future__ import annotations

import math
import os
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from core.backup.backup import backend_of, parse_url, restore_backup
from core.backup.manifest import (
    STAMP_FORMAT,
    BackupError,
    DrillResult,
    Manifest,
    append_drill,
    newest_backup,
    remove_leftovers,
)
from core.clock import now
from core.db import DatabaseUnavailable, create_engine_for, read_session
from core.metrics import warm
from core.metrics.refresh import refresh_metrics
from core.metrics.snapshots import load_snapshot

# Equal within rounding: both sides are the same arithmetic on the same rows, only the
# order of float additions may differ between the incremental and the full path.
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-6


def kpis_equal(expected: float | None, got: float | None) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    return math.isclose(expected, got, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)


def run_drill(folder: Path, database_url: str) -> DrillResult:
    """Restore the newest backup in ``folder`` into a scratch database and check its KPIs.

    Parameters
    ----------
    folder
        The backup folder; the result is appended to its ``drills.jsonl``.
    database_url
        The console database: for PostgreSQL backups, the scratch database is created on
        its server (its role needs CREATEDB). Unused for SQLite backups.

    Returns
    -------
    DrillResult
        Passed when the restore worked and every KPI of the manifest was rebuilt equal.

    Raises
    ------
    BackupError
        When ``folder`` holds no backup (nothing is recorded then).
    """
    manifest = newest_backup(folder)
    if manifest is None:
        raise BackupError("no_backup", f"no backup to drill in {folder}")
    remove_leftovers(folder)
    started = time.perf_counter()
    at = now()
    kpis: dict[str, tuple[float | None, float | None]] = {}
    error = None
    try:
        kpis = _drill(manifest, folder, database_url, at.strftime(STAMP_FORMAT))
    except Exception as exc:  # any failure is a failed drill, recorded (a stop is not one)
        text_ = str(exc).strip()
        known = isinstance(exc, BackupError | DatabaseUnavailable | SQLAlchemyError | OSError)
        first = text_.splitlines()[0] if text_ else ""
        error = (first if known and first else f"{type(exc).__name__}: {first}")[:500]
    passed = error is None and all(kpis_equal(*pair) for pair in kpis.values())
    result = DrillResult(
        at=at,
        backup=manifest.file,
        passed=passed,
        kpis=kpis,
        seconds=time.perf_counter() - started,
        error=error,
    )
    append_drill(folder, result)
    return result


def _drill(
    manifest: Manifest, folder: Path, database_url: str, stamp: str
) -> dict[str, tuple[float | None, float | None]]:
    if manifest.backend == "sqlite":
        scratch = folder / f".drill-{stamp}-{os.getpid()}.sqlite3"
        try:
            return _restore_and_rebuild(manifest, f"sqlite:///{scratch}")
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    server = parse_url(database_url, option="the database URL")
    if backend_of(server) != "postgresql":
        raise BackupError(
            "backend_mismatch",
            f"{manifest.file} is a PostgreSQL backup: the drill needs a PostgreSQL server",
        )
    name = f"barberpro_drill_{stamp.lower()}_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            scratch_url: URL = server.set(database=name)
            return _restore_and_rebuild(manifest, scratch_url.render_as_string(hide_password=False))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _migrate(scratch_url: str) -> None:
    from core.db import get_engine
    from core.migrate import upgrade_database

    try:
        upgrade_database(scratch_url)
    finally:
        # Alembic opened it through the process-wide engine cache: close its
        # connections, or a long-running scheduler would keep the scratch file open.
        get_engine(scratch_url).dispose()


def _restore_and_rebuild(
    manifest: Manifest, scratch_url: str
) -> dict[str, tuple[float | None, float | None]]:
    result = restore_backup(manifest.backup_path, scratch_url, force=True)
    if result.revision != manifest.alembic_revision:
        raise BackupError(
            "revision",
            f"restored revision {result.revision} differs from the manifest's "
            f"{manifest.alembic_revision}",
        )
    if manifest.snapshot_version is None:
        return {}  # nothing to compare: the restore itself is what was drilled
    if not result.up_to_date:
        # What an operator does after restoring an older backup: this code's rebuild
        # needs this code's schema.
        _migrate(scratch_url)
    engine = create_engine_for(scratch_url)
    try:
        with read_session(engine) as session:
            stored = load_snapshot(session=session, version=manifest.snapshot_version)
        if stored is None:
            raise BackupError(
                "snapshot_missing",
                f"snapshot {manifest.snapshot_version} is not in the restored database",
            )
        rebuilt = refresh_metrics(engine, full=True, as_of=stored.as_of)
        with read_session(engine) as session:
            fresh = load_snapshot(session=session, version=rebuilt.version)
        assert fresh is not None
    finally:
        engine.dispose()
        # The refresh keeps warm state per URL for the next run; a scratch one has none.
        warm.state_for(scratch_url, latest_version=None, as_of_day=date.min)
    return {
        key: (expected, (fresh.kpis.get(key) or {}).get("value"))
        for key, expected in manifest.kpis.items()
    }
