"""Every scheduled job, declared once: id, description, body, schedule, lease and limits.

``scheduler.py`` schedules these; the Operations pages read their descriptions and
expected durations from here.
"""

from __future__ import annotations

import os

from core.backup.jobs import BACKUP_JOB_ID, DRILL_JOB_ID, backup_drill_job, backup_nightly_job
from core.config import Settings
from core.jobs.alerts import alert_rules_job
from core.jobs.maintenance import JOB_RUNS_KEPT_DAYS, prune_job_runs, slow_statement_job
from core.jobs.models import churn_retrain_job, churn_score_job, health_scores_job
from core.jobs.refresh import DETAIL_JOB_ID, dashboard_frames_job, metrics_refresh_job
from core.jobs.spec import JobSpec, refresh_lease_s
from core.metrics.status import REFRESH_JOB_ID

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S

JOBS: list[JobSpec] = [
    JobSpec(
        REFRESH_JOB_ID,
        "Read new platform activity, update the rollups and write a metrics snapshot",
        metrics_refresh_job,
        lease_s=refresh_lease_s,
        statement_timeout_s=120.0,  # the refresh lease's own bound (refresh_lease_s)
        expected_s=30.0,
    ),
    JobSpec(
        DETAIL_JOB_ID,
        "Update the dashboards' detail tables from the changed tenant-days (providers that "
        "cannot be incremental: every BARBERPRO_DETAIL_REFRESH_S)",
        dashboard_frames_job,
        record_skips=False,
        # After the metrics refresh of the same tick, whose rollup changes it folds in:
        # started together, it could win the refresh lease and see them a tick late.
        tick_offset_s=3.0,
        statement_timeout_s=300.0,  # the data-quality scans: 16 s at the default scale
        expected_s=180.0,
    ),
    JobSpec(
        "alert_rules",
        "Run the churn-intervention alert rules and deliver due notifications",
        alert_rules_job,
        lease_s=refresh_lease_s,
        statement_timeout_s=120.0,
        expected_s=30.0,
    ),
    JobSpec(
        "health_scores",
        "Compute and store today's tenant health scores (and the missing history)",
        health_scores_job,
        every_s=HOUR_S,
        lease_s=3 * HOUR_S,  # a first run with the whole backfill takes minutes, not hours
        waits_for_warmup=True,
        statement_timeout_s=600.0,
        expected_s=600.0,
    ),
    JobSpec(
        "churn_retrain",
        "Retrain the churn model, backtest it, promote it only if not worse, score tenants",
        churn_retrain_job,
        every_s=DAY_S,
        lease_s=3 * HOUR_S,  # a first retrain computes a year of weekly feature sets
        waits_for_warmup=True,
        statement_timeout_s=900.0,
        expected_s=1800.0,
    ),
    JobSpec(
        "churn_score",
        "Score every active tenant's churn risk with the promoted model",
        churn_score_job,
        every_s=HOUR_S,
        lease_s=1800.0,
        waits_for_warmup=True,
        statement_timeout_s=300.0,
        expected_s=300.0,
    ),
    JobSpec(
        "prune_job_runs",
        f"Delete job-run records older than {JOB_RUNS_KEPT_DAYS} days and expired API "
        "idempotency keys",
        prune_job_runs,
        every_s=DAY_S,
        statement_timeout_s=120.0,
        expected_s=60.0,
    ),
    # Wake at start (after the warm-up) and daily, and act when due (judged from the
    # backup folder's files): a backup unless one is under an hour old, a restore drill
    # when the last is a week old. They write no console table; an unwritable
    # BARBERPRO_BACKUP_DIR is a recorded skip.
    JobSpec(
        BACKUP_JOB_ID,
        "Back up the database into BARBERPRO_BACKUP_DIR (daily), keeping the "
        "BARBERPRO_BACKUP_KEEP newest",
        backup_nightly_job,
        every_s=DAY_S,
        lease_s=2 * HOUR_S,
        waits_for_warmup=True,  # after the first snapshot, which the manifest records
        statement_timeout_s=600.0,
        expected_s=300.0,
    ),
    JobSpec(
        DRILL_JOB_ID,
        "Weekly restore drill: restore the newest backup into a scratch database, rebuild "
        "the metrics and compare the KPIs with its manifest",
        backup_drill_job,
        every_s=DAY_S,
        lease_s=3 * HOUR_S,
        waits_for_warmup=True,
        statement_timeout_s=900.0,
        expected_s=900.0,
    ),
]

# ---------------------------------------------------------------------------- test probe

SLOW_STATEMENT_VARIABLE = "BARBERPRO_TEST_SLOW_STATEMENT_S"
SLOW_STATEMENT_JOB_ID = "test_slow_statement"


def scheduled_jobs(settings: Settings) -> list[JobSpec]:
    """The registry, plus the slow-statement probe in tests that ask for it."""
    seconds = os.environ.get(SLOW_STATEMENT_VARIABLE) if settings.environment == "test" else None
    if not seconds:
        return list(JOBS)
    probe = JobSpec(
        SLOW_STATEMENT_JOB_ID,
        "Test only: one slow statement under a lease",
        slow_statement_job(float(seconds)),
        every_s=HOUR_S,
        lease_s=HOUR_S,
        statement_timeout_s=None,
        expected_s=1.0,
    )
    return [*JOBS, probe]
