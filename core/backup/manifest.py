"""Backup files and what is known about them: names, manifests, retention, drill records.

Pure file handling, no database: the monitors and the hardening audit read a backup
folder through :func:`newest_backup` and :func:`last_drill` without opening a connection.

A backup is two files in the backup folder: ``barberpro-<YYYYmmddTHHMMSS>.sqlite3`` (or
``.pgdump``) and its manifest ``barberpro-<YYYYmmddTHHMMSS>.json`` (format
``barberpro-backup/1``). Both are written under a temporary name and renamed, the
manifest last: a backup without its manifest is not finished and is never "the newest".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core.errors import DomainError

MANIFEST_FORMAT = "barberpro-backup/1"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
DRILLS_FILE = "drills.jsonl"
# A temporary file this old is a leftover of a killed run (a backup or a drill of the
# default demo data takes about a minute).
LEFTOVER_AGE_S = 12 * 3600.0
STAMP_FORMAT = "%Y%m%dT%H%M%S"
_NAME = re.compile(r"barberpro-(\d{8}T\d{6})\.(sqlite3|pgdump|json)")
# The KPIs a manifest records from the newest snapshot and a drill compares: the
# platform's headline figures, points (MRR, tenants) and window sums and ratios
# (bookings, GMV, no-shows, cancellations), all computed from the rollups.
MANIFEST_KPIS = (
    "mrr",
    "active_tenants",
    "bookings",
    "gmv",
    "no_show_rate",
    "cancellation_rate",
)


class BackupError(DomainError):
    """A backup, restore or drill that cannot go on; the message says why in one line."""

    rendered = True

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass(frozen=True)
class Manifest:
    """One backup's sidecar manifest (``barberpro-backup/1``), and where it lies."""

    path: Path  # the manifest file
    created_at: datetime
    backend: str
    file: str
    bytes: int
    sha256: str
    alembic_revision: str | None
    snapshot_version: int | None
    snapshot_computed_at: datetime | None
    kpis: dict[str, float | None] = field(default_factory=dict)
    snapshot_as_of: datetime | None = None

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.file)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "created_at": self.created_at.isoformat(),
            "backend": self.backend,
            "file": self.file,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "alembic_revision": self.alembic_revision,
            "snapshot_version": self.snapshot_version,
            "snapshot_computed_at": _iso(self.snapshot_computed_at),
            "snapshot_as_of": _iso(self.snapshot_as_of),
            "kpis": self.kpis,
        }


@dataclass(frozen=True)
class DrillResult:
    """One restore drill, as appended to ``drills.jsonl``."""

    at: datetime
    backup: str
    passed: bool
    kpis: dict[str, tuple[float | None, float | None]]
    seconds: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "at": self.at.isoformat(),
            "backup": self.backup,
            "passed": self.passed,
            "kpis": {name: list(pair) for name, pair in self.kpis.items()},
            "seconds": round(self.seconds, 3),
        }
        if self.error:
            record["error"] = self.error
        return record


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(raw: object) -> datetime | None:
    return datetime.fromisoformat(raw) if isinstance(raw, str) and raw else None


def backup_name(backend: str, at: datetime) -> str:
    """``barberpro-<stamp>.sqlite3`` or ``.pgdump`` for a backup taken ``at``."""
    return f"barberpro-{at.strftime(STAMP_FORMAT)}{SUFFIXES[backend]}"


def manifest_path_for(backup: Path) -> Path:
    """The manifest beside a backup file (same name, ``.json``)."""
    return backup.with_suffix(".json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a hidden temporary name beside ``path``, then rename it."""
    partial = path.with_name(f".{path.name}.part")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def read_manifest(path: Path) -> Manifest:
    """Parse one manifest file.

    Raises
    ------
    BackupError
        When the file is missing, is not JSON, or is not a ``barberpro-backup/1`` manifest.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError("manifest_missing", f"no manifest beside the backup: {path}") from None
    except (OSError, ValueError) as exc:
        raise BackupError(
            "manifest_unreadable", f"cannot read the manifest {path}: {exc}"
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
        raise BackupError("manifest_format", f"{path} is not a {MANIFEST_FORMAT} manifest")
    try:
        return Manifest(
            path=path,
            created_at=datetime.fromisoformat(raw["created_at"]),
            backend=str(raw["backend"]),
            file=str(raw["file"]),
            bytes=int(raw["bytes"]),
            sha256=str(raw["sha256"]),
            alembic_revision=raw.get("alembic_revision"),
            snapshot_version=raw.get("snapshot_version"),
            snapshot_computed_at=_moment(raw.get("snapshot_computed_at")),
            snapshot_as_of=_moment(raw.get("snapshot_as_of")),
            kpis=dict(raw.get("kpis") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError("manifest_format", f"{path} is missing or mangles {exc}") from None


def write_manifest(manifest: Manifest) -> None:
    text = json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n"
    write_atomically(manifest.path, text.encode("utf-8"))


def list_backups(folder: Path) -> list[Manifest]:
    """Every finished backup in ``folder`` (manifest and file present), oldest first.

    Manifests that cannot be read are left out, so one damaged file does not hide the rest.
    """
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("barberpro-*.json")):
        if not _NAME.fullmatch(path.name):
            continue
        try:
            manifest = read_manifest(path)
        except BackupError:
            continue
        if manifest.backup_path.is_file():
            found.append(manifest)
    return found


def newest_backup(folder: Path) -> Manifest | None:
    """The newest finished backup in ``folder``, or None when it holds none.

    Parameters
    ----------
    folder
        A backup folder (``Settings.backups_dir``).

    Returns
    -------
    Manifest or None
        Its manifest; ``manifest.backup_path`` is the backup file.
    """
    backups = list_backups(folder)
    return backups[-1] if backups else None


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups (each file with its manifest).

    Returns
    -------
    list of Path
        The files deleted.
    """
    stamps: dict[str, list[Path]] = {}
    for path in folder.glob("barberpro-*"):
        match = _NAME.fullmatch(path.name)
        if match:
            stamps.setdefault(match.group(1), []).append(path)
    deleted = []
    for stamp in sorted(stamps)[: max(0, len(stamps) - keep)]:
        for path in stamps[stamp]:
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted


def remove_leftovers(folder: Path, *, older_than_s: float = LEFTOVER_AGE_S) -> list[Path]:
    """Delete what a killed backup or drill left behind: ``.*.part`` files and drill
    scratch databases (``.drill-*``) older than ``older_than_s``.

    Old enough that no running backup or drill still writes them; each can be the size
    of the whole database.
    """
    cutoff = time.time() - older_than_s
    removed = []
    for pattern in (".barberpro-*.part", ".drill-*"):
        for path in folder.glob(pattern):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:
                continue
    return removed


def append_drill(folder: Path, result: DrillResult) -> None:
    with (folder / DRILLS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(result.to_json(), sort_keys=True) + "\n")


def last_drill(folder: Path) -> DrillResult | None:
    """The most recent restore drill recorded in ``folder``'s ``drills.jsonl``, or None.

    Parameters
    ----------
    folder
        A backup folder (``Settings.backups_dir``).
    """
    path = folder / DRILLS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            raw = json.loads(line)
            return DrillResult(
                at=datetime.fromisoformat(raw["at"]),
                backup=str(raw["backup"]),
                passed=bool(raw["passed"]),
                kpis={name: (pair[0], pair[1]) for name, pair in raw["kpis"].items()},
                seconds=float(raw["seconds"]),
                error=raw.get("error"),
            )
        except (KeyError, TypeError, ValueError, IndexError):
            continue  # a line cut short by a crash: the one before it still counts
    return None
