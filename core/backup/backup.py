"""Taking a backup and restoring one, on SQLite and on PostgreSQL.

SQLite is copied with its online backup API (one step, so the copy is one consistent
read of the database while the app, the scheduler and the simulator go on writing);
PostgreSQL with ``pg_dump --format=custom`` on a snapshot exported by the transaction
that reads the manifest's figures, so the manifest describes exactly what was dumped.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, create_engine, func, inspect, select, text
from sqlalchemy.engine import URL, make_url

from core.backup import pgtools
from core.backup.manifest import (
    MANIFEST_KPIS,
    BackupError,
    Manifest,
    backup_name,
    manifest_path_for,
    prune_backups,
    read_manifest,
    remove_leftovers,
    sha256_of,
    write_manifest,
)
from core.clock import now
from core.config import ConfigError, resolve_database_url
from core.db import check_connection, create_engine_for
from core.metrics.snapshots import DETAIL_KIND
from core.schema import MetricSnapshot


@dataclass(frozen=True)
class RestoreResult:
    """What a restore left: the schema revision it found against the code's."""

    target: str  # the URL, password hidden
    revision: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head

    def advice(self) -> str:
        if self.up_to_date:
            return f"the schema is at the code's revision ({self.head})"
        return (
            f"the schema is at revision {self.revision or 'none'}, the code's is {self.head}: "
            "run `python -m core.migrate` against this database before starting the console"
        )


def parse_url(raw: str, *, option: str = "--database-url") -> URL:
    """A validated database URL (relative SQLite paths under the project), or BackupError."""
    try:
        return make_url(resolve_database_url(raw))
    except ConfigError as exc:
        # The settings' message names the environment variable; here the URL came from
        # the command line (or the caller), so it names that instead.
        reason = str(exc).removeprefix("BARBERPRO_DATABASE_URL ")
        raise BackupError("bad_url", f"{option} {reason}") from None


def backend_of(url: URL) -> str:
    return "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"


def code_head() -> str:
    """The Alembic head(s) of this checkout, comma-separated when there are several."""
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    return ",".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return ",".join(sorted(rows)) or None


def _contents(connection: Connection) -> dict:
    """The manifest's figures: schema revision and the newest metrics snapshot's KPIs."""
    revision = _revision(connection)
    found: dict = {"alembic_revision": revision, "snapshot_version": None, "kpis": {}}
    if not inspect(connection).has_table(MetricSnapshot.__tablename__):
        return found
    version = connection.scalar(
        select(func.max(MetricSnapshot.version)).where(MetricSnapshot.kind != DETAIL_KIND)
    )
    if version is None:
        return found
    row = connection.execute(
        select(MetricSnapshot.created_at, MetricSnapshot.as_of, MetricSnapshot.kpis).where(
            MetricSnapshot.version == version
        )
    ).one()
    kpis = row.kpis or {}
    found.update(
        snapshot_version=int(version),
        snapshot_computed_at=row.created_at,
        snapshot_as_of=row.as_of,
        kpis={key: kpis[key].get("value") for key in MANIFEST_KPIS if key in kpis},
    )
    return found


def _free_name(folder: Path, backend: str, at: datetime) -> tuple[str, datetime]:
    # Names carry seconds: a second backup within the same second takes the next one,
    # so names stay unique and in order.
    while (
        manifest_path_for(folder / backup_name(backend, at)).exists()
        or (folder / backup_name(backend, at)).exists()
    ):
        at += timedelta(seconds=1)
    return backup_name(backend, at), at


def create_backup(
    database_url: str, folder: Path, *, keep: int = 7, at: datetime | None = None
) -> Manifest:
    """Back up the database at ``database_url`` into ``folder``, then keep the ``keep`` newest.

    Parameters
    ----------
    database_url
        The console database (SQLite or PostgreSQL).
    folder
        The backup folder; created when missing.
    keep
        How many backups to keep (older files and their manifests are deleted).
    at
        The moment named in the file (default: now, the console's local time).

    Returns
    -------
    Manifest
        The new backup's manifest.

    Raises
    ------
    BackupError
        When the folder cannot be written, the database cannot be read or a tool fails.
    """
    url = parse_url(database_url, option="the database URL")
    backend = backend_of(url)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError("folder", f"cannot create the backup folder {folder}: {exc}") from None
    if not os.access(folder, os.W_OK):
        raise BackupError("folder", f"the backup folder {folder} is not writable")
    remove_leftovers(folder)
    created_at = at or now()
    name, created_at = _free_name(folder, backend, created_at)
    target = folder / name
    partial = folder / f".{name}.part"
    try:
        if backend == "sqlite":
            contents = _sqlite_backup(url, partial)
        else:
            contents = _postgres_backup(url, partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    manifest = Manifest(
        path=manifest_path_for(target),
        created_at=created_at,
        backend=backend,
        file=name,
        bytes=target.stat().st_size,
        sha256=sha256_of(target),
        alembic_revision=contents["alembic_revision"],
        snapshot_version=contents["snapshot_version"],
        snapshot_computed_at=contents.get("snapshot_computed_at"),
        snapshot_as_of=contents.get("snapshot_as_of"),
        kpis=contents["kpis"],
    )
    write_manifest(manifest)
    prune_backups(folder, keep)
    return manifest


def _sqlite_backup(url: URL, partial: Path) -> dict:
    source_path = Path(url.database or "")
    if not source_path.is_file():
        raise BackupError("no_database", f"the SQLite database does not exist: {source_path}")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        # pages=-1: the whole database in one step, under one read transaction (WAL lets
        # writers go on meanwhile); copying in several steps would restart on every write.
        source.backup(copy, pages=-1)
        # One self-contained file: no -wal beside it to lose when the file is moved.
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError("sqlite_backup", f"the SQLite backup failed: {exc}") from None
    finally:
        copy.close()
        source.close()
    engine = create_engine(f"sqlite:///{partial}")
    try:
        with engine.connect() as connection:
            return _contents(connection)
    finally:
        engine.dispose()


def _postgres_backup(url: URL, partial: Path) -> dict:
    engine = create_engine_for(url.render_as_string(hide_password=False))
    try:
        check_connection(engine)
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                # The dump sees this transaction's snapshot: the manifest's figures are
                # read from exactly the data that is dumped.
                snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
                contents = _contents(connection)
                pgtools.dump(url, partial, snapshot=str(snapshot))
        return contents
    finally:
        engine.dispose()


def _user_tables(url: URL) -> int:
    """How many tables the target holds (0 for a missing SQLite file)."""
    if backend_of(url) == "sqlite":
        path = Path(url.database or "")
        if not path.exists():
            if not path.parent.is_dir():
                raise BackupError("no_folder", f"the folder for the target does not exist: {path}")
            return 0
        with closing(sqlite3.connect(path, timeout=30)) as connection:
            return int(
                connection.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                ).fetchone()[0]
            )
    engine = create_engine_for(url.render_as_string(hide_password=False))
    try:
        check_connection(engine)
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema "
                        "NOT IN ('pg_catalog', 'information_schema')"
                    )
                )
                or 0
            )
    finally:
        engine.dispose()


def verify_backup(file: Path) -> Manifest:
    """The manifest of ``file`` once the file's size and SHA-256 match it.

    Raises
    ------
    BackupError
        When the file or its manifest is missing, or the file is not what was written.
    """
    if not file.is_file():
        raise BackupError("backup_missing", f"no such backup file: {file}")
    manifest = read_manifest(manifest_path_for(file))
    if manifest.file != file.name:
        raise BackupError(
            "manifest_mismatch", f"the manifest {manifest.path.name} describes {manifest.file}"
        )
    if file.stat().st_size != manifest.bytes or sha256_of(file) != manifest.sha256:
        raise BackupError(
            "checksum",
            f"{file.name} does not match its manifest's SHA-256: the file is damaged; "
            "nothing was restored",
        )
    return manifest


def restore_backup(file: Path, database_url: str, *, force: bool = False) -> RestoreResult:
    """Restore the backup ``file`` into the database at ``database_url``.

    The file's SHA-256 is checked against its manifest first. SQLite is restored with the
    backup API into the target file; PostgreSQL with ``pg_restore --clean --if-exists
    --no-owner`` in one transaction into an existing database.

    Parameters
    ----------
    file
        A backup file with its manifest beside it.
    database_url
        The target database (the same backend as the backup).
    force
        Replace a target that already holds tables; without it such a target is refused.

    Returns
    -------
    RestoreResult
        The schema revision found after the restore and the code's.

    Raises
    ------
    BackupError
        Bad URL, backend mismatch, damaged file, non-empty target without ``force``, or
        a failed restore; nothing is changed in each of these cases but the last (a
        PostgreSQL restore runs in one transaction and rolls back).
    """
    url = parse_url(database_url)
    manifest = verify_backup(file)
    backend = backend_of(url)
    if manifest.backend != backend:
        raise BackupError(
            "backend_mismatch",
            f"{file.name} is a {manifest.backend} backup; --database-url is {backend}",
        )
    tables = _user_tables(url)
    if tables and not force:
        raise BackupError(
            "not_empty",
            f"the target database is not empty ({tables} tables); add --force to replace it",
        )
    if backend == "sqlite":
        _sqlite_restore(file, Path(url.database or ""))
    else:
        pgtools.restore(url, file)
    raw = url.render_as_string(hide_password=False)
    engine = create_engine(raw) if backend == "sqlite" else create_engine_for(raw)
    try:
        with engine.connect() as connection:
            revision = _revision(connection)
    finally:
        engine.dispose()
    return RestoreResult(url.render_as_string(hide_password=True), revision, code_head())


def _sqlite_restore(file: Path, target: Path) -> None:
    source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    destination = sqlite3.connect(target, timeout=30)
    try:
        source.backup(destination, pages=-1)
    except sqlite3.Error as exc:
        raise BackupError("sqlite_restore", f"the SQLite restore failed: {exc}") from None
    finally:
        destination.close()
        source.close()
