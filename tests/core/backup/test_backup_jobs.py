"""The scheduler's backup jobs: due from the backup folder's files, skipped when it
cannot be written, and writing no console table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.backup import last_drill, list_backups
from core.backup.jobs import BACKUP_JOB_ID, DRILL_JOB_ID
from core.config import Settings, get_settings
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.jobs.spec import JobSpec
from core.schema import MetricSnapshot, RollupTenantDay
from tests.core.backup.conftest import seed_console


def spec(job_id: str) -> JobSpec:
    return next(spec for spec in JOBS if spec.job_id == job_id)


def settings_for(engine: Engine, folder: Path) -> Settings:
    return dataclasses.replace(
        get_settings(),
        database_url=engine.url.render_as_string(hide_password=False),
        backup_dir=folder,
        backup_keep=3,
    )


def table_counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(MetricSnapshot)) or 0,
            session.scalar(select(func.count()).select_from(RollupTenantDay)) or 0,
        )


def test_backup_and_drill_jobs_run_when_due(sqlite_engine: Engine, tmp_path: Path) -> None:
    seed_console(sqlite_engine)
    settings = settings_for(sqlite_engine, tmp_path / "backups")
    before = table_counts(sqlite_engine)
    first = run_recorded(sqlite_engine, spec(BACKUP_JOB_ID), "tests", settings)
    assert first is not None and first.status == "success", first and first.error
    assert first.detail and first.detail["snapshot_version"] == 2
    again = run_recorded(sqlite_engine, spec(BACKUP_JOB_ID), "tests", settings)
    assert again is not None and again.status == "skipped"
    assert again.detail and "less than an hour old" in again.detail["reason"]
    assert len(list_backups(settings.backups_dir)) == 1

    drill = run_recorded(sqlite_engine, spec(DRILL_JOB_ID), "tests", settings)
    assert drill is not None and drill.status == "success", drill and drill.error
    assert drill.detail and drill.detail["passed"] is True
    recorded = last_drill(settings.backups_dir)
    assert recorded is not None and recorded.passed
    again = run_recorded(sqlite_engine, spec(DRILL_JOB_ID), "tests", settings)
    assert again is not None and again.status == "skipped"
    assert table_counts(sqlite_engine) == before  # neither job writes the console's tables


def test_an_unwritable_backup_folder_is_a_recorded_skip(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    settings = settings_for(sqlite_engine, blocker / "backups")
    for job_id in (BACKUP_JOB_ID, DRILL_JOB_ID):
        run = run_recorded(sqlite_engine, spec(job_id), "tests", settings)
        assert run is not None and run.status == "skipped", run and run.error
        assert run.detail and "cannot be created" in run.detail["reason"]
        assert str(blocker / "backups") in run.detail["reason"]


def test_development_takes_no_backup_unless_a_folder_is_chosen(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    # A demo database is gigabytes and the tests' servers run the scheduler: nothing is
    # written outside production until BARBERPRO_BACKUP_DIR asks for it.
    settings = dataclasses.replace(
        settings_for(sqlite_engine, tmp_path / "backups"), backup_dir=None, data_dir=tmp_path
    )
    assert not settings.is_production
    for job_id in (BACKUP_JOB_ID, DRILL_JOB_ID):
        run = run_recorded(sqlite_engine, spec(job_id), "tests", settings)
        assert run is not None and run.status == "skipped", run and run.error
        assert run.detail and "BARBERPRO_BACKUP_DIR" in run.detail["reason"]
    assert not (tmp_path / "backups").exists()


def test_the_backup_jobs_wait_for_the_warmup_and_run_daily() -> None:
    for job_id in (BACKUP_JOB_ID, DRILL_JOB_ID):
        declared = spec(job_id)
        assert declared.every_s == 24 * 3600 and declared.waits_for_warmup
        assert declared.record_skips


def test_the_hardening_audit_reads_what_the_jobs_write(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    from core.ops.snapshot import read_backups

    seed_console(sqlite_engine)
    settings = settings_for(sqlite_engine, tmp_path / "backups")
    for job_id in (BACKUP_JOB_ID, DRILL_JOB_ID):
        run = run_recorded(sqlite_engine, spec(job_id), "tests", settings)
        assert run is not None and run.status == "success", run and run.error
    state = read_backups(settings.backups_dir)
    newest = list_backups(settings.backups_dir)[-1]
    assert state.newest_name == newest.path.name and state.newest_file_present
    assert state.unreadable == () and state.drill_error is None
    assert state.drill is not None and state.drill["passed"] is True
    assert state.drill["backup"] == newest.file
