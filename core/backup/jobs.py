"""The scheduler's backup jobs: a backup a day, a restore drill a week.

Both wake at the scheduler's start (after the warm-up) and then once a day, and do their
work only when it is due, judged from the files in the backup folder. Neither writes to
the console's tables. A folder that cannot be written is a recorded skip that says so,
not a failure: development machines run the same scheduler.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from core.backup.backup import create_backup
from core.backup.drill import run_drill
from core.backup.manifest import last_drill, newest_backup
from core.clock import now
from core.config import Settings
from core.jobs.spec import JobContext, JobOutcome

BACKUP_JOB_ID = "backup_nightly"
DRILL_JOB_ID = "backup_drill"
# The job runs at the scheduler's start (after the warm-up) and every 24 h: a backup is
# then at most a day old, within the hardening audit's 26 h. Only a backup younger than
# this skips a run, so a restart loop does not take one backup per start; a larger value
# could push the next one past 26 h (a restart just before it, then a whole interval).
BACKUP_DUE_AFTER = timedelta(hours=1)
# Woken daily, a drill a week after the last stays within the audit's 8 days.
DRILL_DUE_AFTER = timedelta(days=7) - timedelta(hours=4)


def _unwritable(folder: Path) -> str | None:
    """Why ``folder`` cannot take backups, or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"the backup folder {folder} cannot be created: {exc.strerror or exc}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the backup folder {folder} is not writable by this process"
    return None


def _not_configured(settings: Settings) -> str | None:
    """Why this machine takes no backups: development without a backup folder chosen.

    A demo database is gigabytes, and the tests' servers run this scheduler too: outside
    production a backup folder must be asked for, not filled by default.
    """
    if settings.is_production or settings.backup_dir is not None:
        return None
    return "backups are off in development: set BARBERPRO_BACKUP_DIR to take them here"


def _skip(reason: str, **detail: object) -> JobOutcome:
    return JobOutcome(rows_touched=0, detail={"reason": reason, **detail}, skipped=True)


def backup_nightly_job(context: JobContext) -> JobOutcome:
    settings = context.settings
    folder = settings.backups_dir
    problem = _not_configured(settings) or _unwritable(folder)
    if problem:
        return _skip(problem)
    newest = newest_backup(folder)
    if newest is not None and now() - newest.created_at < BACKUP_DUE_AFTER:
        return _skip(f"the newest backup ({newest.file}) is less than an hour old")
    manifest = create_backup(settings.database_url, folder, keep=settings.backup_keep)
    return JobOutcome(
        rows_touched=0,
        detail={
            "file": manifest.file,
            "bytes": manifest.bytes,
            "snapshot_version": manifest.snapshot_version,
        },
    )


def backup_drill_job(context: JobContext) -> JobOutcome:
    settings = context.settings
    folder = settings.backups_dir
    problem = _not_configured(settings) or _unwritable(folder)
    if problem:
        return _skip(problem)
    newest = newest_backup(folder)
    if newest is None:
        return _skip(f"no backup in {folder} yet")
    previous = last_drill(folder)
    if previous is not None and (
        previous.backup == newest.file or now() - previous.at < DRILL_DUE_AFTER
    ):
        return _skip(f"the last drill ({previous.at:%Y-%m-%d %H:%M}) is recent")
    result = run_drill(folder, settings.database_url)
    detail = {
        "backup": result.backup,
        "passed": result.passed,
        "seconds": round(result.seconds, 1),
        "kpis": {name: list(pair) for name, pair in result.kpis.items()},
    }
    if not result.passed:
        reason = result.error or "the rebuilt KPIs differ from the backup's manifest"
        raise RuntimeError(f"restore drill of {result.backup} failed: {reason}")
    return JobOutcome(rows_touched=0, detail=detail)
