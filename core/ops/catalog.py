"""Every monitor, declared once (see ``core.ops.monitors`` for what a declaration holds).

Thresholds come from the console's own budgets where it has one (DESIGN.md: a page in
300 ms, a snapshot every 30 s; the SLOs in ``core.ops.uptime``), from the usual levels of
the field otherwise (PSI 0.1 / 0.25), and are meant to be tuned by admins per
deployment (``ops_monitor_overrides``).
"""

from __future__ import annotations

from core.i18n import N_, gettext
from core.jobs.registry import JOBS
from core.jobs.spec import JobSpec
from core.ops import measures as m
from core.ops.monitors import Monitor, threshold_text, window_text

HOUR = 3600.0
DAY = 86400.0


def _job_monitor(spec: JobSpec) -> Monitor:
    # The refresh interval of the defaults (30 s) for refresh-paced jobs; the page shows
    # the thresholds in force, and admins override them with the interval they run.
    interval = spec.interval_s(30.0)
    return Monitor(
        f"job.{spec.job_id}",
        "jobs",
        N_("Job {job}: last success"),
        N_("Seconds since the job's last successful run"),
        "s",
        "above",
        warning=2 * interval + spec.expected_s,
        critical=4 * interval + spec.expected_s,
        runbook=N_(
            "Open Refresh & jobs: read the job's last error; check the scheduler is running "
            "and holds the job's lease; run it again once the cause is fixed."
        ),
        measure=m.job_last_success(spec),
        window_s=4 * interval + spec.expected_s,
        title_params={"job": spec.job_id},
    )


MONITORS: tuple[Monitor, ...] = (
    Monitor(
        "database.reachable",
        "database",
        N_("Database reachable"),
        N_("Round-trip time of SELECT 1 on a new connection (critical when it fails)"),
        "ms",
        "above",
        warning=None,
        critical=None,
        runbook=N_(
            "Check the database server is up and the console can reach it "
            "(BARBERPRO_DATABASE_URL, network, credentials); pages keep showing the last "
            "good snapshot meanwhile."
        ),
        measure=m.database_reachable,
        window_s=60.0,
    ),
    Monitor(
        "database.latency",
        "database",
        N_("Database round trip"),
        N_("Round-trip time of SELECT 1, in milliseconds"),
        "ms",
        "above",
        warning=100.0,
        critical=1000.0,
        runbook=N_(
            "Look for long-running queries and locks (pg_stat_activity), load on the "
            "database host and the network between the hosts."
        ),
        measure=m.database_latency,
        window_s=60.0,
        consecutive=3,
    ),
    Monitor(
        "database.size",
        "database",
        N_("Database size"),
        N_("Size of the database on disk (SQLite file with its WAL; pg_database_size)"),
        "MB",
        "above",
        warning=20_000.0,
        critical=50_000.0,
        runbook=N_(
            "Check which tables grew (job runs, monitor results and snapshots are pruned "
            "by jobs); plan more storage before the disk monitor fires."
        ),
        measure=m.database_size,
        window_s=300.0,
        every_s=300.0,
    ),
    Monitor(
        "database.growth",
        "database",
        N_("Database growth"),
        N_("Growth of the database size over the window, in MB per day"),
        "MB/d",
        "above",
        warning=1_000.0,
        critical=5_000.0,
        runbook=N_(
            "Find the table that grows (a pruning job failing, a runaway import) and fix "
            "its cause; then free the space."
        ),
        measure=m.database_growth,
        window_s=DAY,
        every_s=300.0,
    ),
    Monitor(
        "disk.free",
        "disk",
        N_("Free disk space"),
        N_("Free space on the file system of the data directory, in %"),
        "%",
        "below",
        warning=15.0,
        critical=5.0,
        runbook=N_(
            "Free space under the data directory (old backups beyond BARBERPRO_BACKUP_KEEP, "
            "logs) or grow the volume; writes fail when it is full."
        ),
        measure=m.disk_free,
        window_s=60.0,
    ),
    Monitor(
        "scheduler.heartbeat",
        "scheduler",
        N_("Scheduler heartbeat"),
        N_("Seconds since the newest scheduler heartbeat (one every 10 s)"),
        "s",
        "above",
        # Two missed beats warn, three are critical: with the flapping guard and a round
        # every 30 s, a stopped scheduler is critical within 80 s.
        warning=20.0,
        critical=30.0,
        runbook=N_(
            "Start the scheduler (python scheduler.py, or the barberpro-scheduler service) "
            "and read its log for why it stopped; pages go stale until it runs."
        ),
        measure=m.scheduler_heartbeat,
        window_s=60.0,
    ),
    Monitor(
        "scheduler.leases",
        "scheduler",
        N_("Lease holders alive"),
        N_("Job leases held by a scheduler whose heartbeat stopped"),
        "count",
        "above",
        warning=1.0,
        critical=None,
        runbook=N_(
            "A running scheduler frees a dead one's leases within a minute; if none runs, "
            "start one. The lease expires on its own otherwise."
        ),
        measure=m.lease_holders,
        window_s=60.0,
    ),
    Monitor(
        "jobs.failure_rate",
        "jobs",
        N_("Job failure rate"),
        N_("Share of job runs that failed in the window, in %"),
        "%",
        "above",
        warning=10.0,
        critical=50.0,
        runbook=N_(
            "Open Refresh & jobs, read the errors of the failed runs and fix the first "
            "cause (database, statement timeouts, bad data)."
        ),
        measure=m.job_failure_rate,
        window_s=HOUR,
    ),
    *(_job_monitor(spec) for spec in JOBS),
    Monitor(
        "refresh.duration",
        "refresh",
        N_("Refresh duration"),
        N_("p95 of the metrics refresh's duration over the window, in seconds"),
        "s",
        "above",
        warning=15.0,
        critical=30.0,
        runbook=N_(
            "A refresh near its interval falls behind: look at the slow statements on "
            "Platform operations and at the database's load."
        ),
        measure=m.refresh_duration,
        window_s=HOUR,
    ),
    Monitor(
        "refresh.snapshot_age",
        "refresh",
        N_("Snapshot age"),
        N_("Age of the newest metrics snapshot, in seconds"),
        "s",
        "above",
        warning=90.0,
        critical=300.0,
        runbook=N_(
            "Check the scheduler heartbeat and the refresh job's last error; dashboards "
            "show a stale notice meanwhile."
        ),
        measure=m.snapshot_age,
        window_s=60.0,
    ),
    Monitor(
        "refresh.detail_age",
        "refresh",
        N_("Detail tables age"),
        N_("Age of the newest detail tables (cohorts, mixes, data quality), in seconds"),
        "s",
        "above",
        warning=900.0,
        critical=3600.0,
        runbook=N_(
            "Open Refresh & jobs: the dashboard_frames job's last run and error; a failing "
            "provider keeps its previous tables."
        ),
        measure=m.detail_age,
        window_s=HOUR,
    ),
    Monitor(
        "ingestion.lag",
        "ingestion",
        N_("Ingestion lag"),
        N_("Seconds since the newest platform row (booking or payment) changed"),
        "s",
        "above",
        warning=600.0,
        critical=3600.0,
        runbook=N_(
            "Check the platform's feed into the database (the simulator in development); "
            "the console's numbers stop moving while it lags."
        ),
        measure=m.ingestion_lag,
        window_s=HOUR,
    ),
    Monitor(
        "notifications.backlog",
        "notifications",
        N_("Notification backlog"),
        N_("Messages overdue by five minutes or more in the CS and ops outboxes"),
        "count",
        "above",
        warning=10.0,
        critical=100.0,
        runbook=N_(
            "Check the alert-rules job (CS outbox) and the watchdog (ops outbox) are "
            "running, and that the SMTP relay and webhook hosts answer."
        ),
        measure=m.notification_backlog,
        window_s=HOUR,
    ),
    Monitor(
        "notifications.failures",
        "notifications",
        N_("Notification delivery failures"),
        N_("Deliveries that failed or are being retried, created in the window"),
        "count",
        "above",
        warning=1.0,
        critical=10.0,
        runbook=N_(
            "Read the server log for the delivery errors (users see only a fixed status); "
            "check BARBERPRO_WEBHOOK_HOSTS, the SMTP relay and the stored addresses."
        ),
        measure=m.notification_failures,
        window_s=DAY,
    ),
    Monitor(
        "churn.model_age",
        "models",
        N_("Churn model age"),
        N_("Days since the promoted churn model was trained"),
        "d",
        "above",
        warning=8.0,
        critical=30.0,
        runbook=N_(
            "The daily retrain promotes a model only when it is not worse: read its last "
            "run and the model card for why none was promoted."
        ),
        measure=m.churn_model_age,
        window_s=DAY,
        every_s=300.0,
    ),
    Monitor(
        "churn.score_coverage",
        "models",
        N_("Churn score coverage"),
        N_("Active tenants scored by the promoted model in the window, in %"),
        "%",
        "below",
        warning=95.0,
        critical=80.0,
        runbook=N_(
            "Check the churn_score job's last run; tenants without a score are missing "
            "from the triage queue."
        ),
        measure=m.churn_score_coverage,
        window_s=3 * HOUR,
        every_s=300.0,
    ),
    Monitor(
        "churn.score_drift",
        "models",
        N_("Churn score drift"),
        N_("Population stability index of the churn scores, this week against last"),
        "psi",
        "above",
        warning=0.1,
        critical=0.25,
        runbook=N_(
            "Scores moved as a population: check the feature drift and the data-quality "
            "monitors, then whether the backtest still holds on the model card."
        ),
        measure=m.churn_score_drift,
        window_s=14 * DAY,
        every_s=HOUR,
    ),
    Monitor(
        "churn.feature_drift",
        "models",
        N_("Churn feature drift"),
        N_(
            "Largest population stability index among the model's top five features, week over week"
        ),
        "psi",
        "above",
        warning=0.1,
        critical=0.25,
        runbook=N_(
            "A top input changed its distribution: find out whether the business changed "
            "or the data broke (data-quality monitor) before trusting the scores."
        ),
        measure=m.churn_feature_drift,
        window_s=14 * DAY,
        every_s=HOUR,
    ),
    Monitor(
        "health.coverage",
        "models",
        N_("Health score coverage"),
        N_("Active tenants with a health score for the newest day (0 when older than yesterday)"),
        "%",
        "below",
        warning=95.0,
        critical=80.0,
        runbook=N_("Check the health_scores job's last run and error."),
        measure=m.health_coverage,
        window_s=DAY,
        every_s=300.0,
    ),
    Monitor(
        "data_quality.checks",
        "data_quality",
        N_("Data-quality checks"),
        N_("Data-quality checks (orphans, missing values, future rows) that find rows"),
        "count",
        "above",
        warning=1.0,
        critical=None,
        runbook=N_(
            "Open Platform operations, data quality: find the import or fix that left the "
            "rows and repair them at the source."
        ),
        measure=m.data_quality,
        window_s=HOUR,
        every_s=300.0,
    ),
    Monitor(
        "data_quality.negative_amounts",
        "data_quality",
        N_("Negative payment amounts"),
        N_("Payments recorded with a negative amount"),
        "count",
        "above",
        warning=1.0,
        critical=100.0,
        runbook=N_(
            "Find the source that wrote them (refunds have their own status) and correct "
            "the rows; revenue figures include them meanwhile."
        ),
        measure=m.negative_amounts,
        window_s=HOUR,
        every_s=600.0,
    ),
    Monitor(
        "pages.render_p95",
        "pages",
        N_("Page render time"),
        N_("p95 of page render times on the server over the window, in milliseconds"),
        "ms",
        "above",
        # The design budget (300 ms warm) warns; the SLO's bound (500 ms) is critical.
        warning=300.0,
        critical=500.0,
        runbook=N_(
            "Find the slowest page in the evidence; check the snapshot and detail tables are "
            "fresh (a cold cache renders slowly) and the database latency monitor."
        ),
        measure=m.page_render_p95,
        window_s=HOUR,
        every_s=60.0,
    ),
    Monitor(
        "signin.failures",
        "sign_in",
        N_("Failed sign-ins"),
        N_("Failed sign-in attempts in the window"),
        "count",
        "above",
        warning=20.0,
        critical=100.0,
        runbook=N_(
            "Read the audit log for the addresses and accounts; many failures from one "
            "address are an attack the lockout slows down."
        ),
        measure=m.sign_in_failures,
        window_s=HOUR,
    ),
    Monitor(
        "signin.lockouts",
        "sign_in",
        N_("Locked-out accounts"),
        N_("Accounts locked now by too many failed sign-ins"),
        "count",
        "above",
        warning=1.0,
        critical=5.0,
        runbook=N_(
            "Tell the people concerned; an admin can reset a password on Users. Many "
            "locked accounts at once mean someone is guessing."
        ),
        measure=m.sign_in_lockouts,
        window_s=900.0,
    ),
    Monitor(
        "backup.age",
        "backups",
        N_("Backup age"),
        N_("Hours since the newest backup"),
        "h",
        "above",
        warning=26.0,
        critical=50.0,
        runbook=N_(
            "Run python -m core.backup create and read why the nightly job did not "
            "(BARBERPRO_BACKUP_DIR writable? pg_dump installed?)."
        ),
        measure=m.backup_age,
        window_s=DAY,
        every_s=300.0,
    ),
    Monitor(
        "backup.drill",
        "backups",
        N_("Restore drill"),
        N_("Days since the last restore drill passed (critical when it failed)"),
        "d",
        "above",
        warning=8.0,
        critical=15.0,
        runbook=N_(
            "Run python -m core.backup drill; a failed drill means the backups may not "
            "restore: fix that before anything else."
        ),
        measure=m.backup_drill,
        window_s=7 * DAY,
        every_s=300.0,
    ),
)

COMPONENTS = (
    ("database", N_("Database")),
    ("disk", N_("Disk")),
    ("scheduler", N_("Scheduler")),
    ("jobs", N_("Jobs")),
    ("refresh", N_("Metrics refresh")),
    ("ingestion", N_("Ingestion")),
    ("notifications", N_("Notifications")),
    ("models", N_("Models")),
    ("data_quality", N_("Data quality")),
    ("pages", N_("Pages")),
    ("sign_in", N_("Sign-in")),
    ("backups", N_("Backups")),
)


def monitor_by_id(monitor_id: str) -> Monitor | None:
    return next((m for m in MONITORS if m.monitor_id == monitor_id), None)


def monitors_markdown(locale: str = "en") -> str:
    """The README's monitors table: id, what, thresholds (warning / critical), runbook."""
    lines = [
        "| Monitor | What it measures | Warning / critical | Window | Runbook |",
        "| --- | --- | --- | --- | --- |",
    ]
    for monitor in MONITORS:
        lines.append(
            f"| `{monitor.monitor_id}` | **{monitor.title_text(locale)}**: "
            f"{gettext(monitor.measures, locale)} | "
            f"{threshold_text(monitor, monitor.declared_limits(), locale)} | "
            f"{window_text(monitor.window_s)} | {gettext(monitor.runbook, locale)} |"
        )
    return "\n".join(lines)
