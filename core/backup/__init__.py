"""Backups, restores and the restore drill (``python -m core.backup``).

``core.backup.manifest`` (no database) is what monitors and audits read:
:func:`newest_backup` and :func:`last_drill`. Taking and restoring backups is in
``core.backup.backup``, the drill in ``core.backup.drill``; the scheduler's two jobs in
``core.backup.jobs``.
"""

from __future__ import annotations

from core.backup.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_KPIS,
    BackupError,
    DrillResult,
    Manifest,
    last_drill,
    list_backups,
    newest_backup,
    prune_backups,
)

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_KPIS",
    "BackupError",
    "DrillResult",
    "Manifest",
    "last_drill",
    "list_backups",
    "newest_backup",
    "prune_backups",
]
