"""What the monitors measure: one function per monitor, from a :class:`Probe`.

Every measure reads the database through the probe's short read session (or the file
system, for the disk and the backups) and returns a :class:`~core.ops.monitors.Reading`
with its evidence. Measures are cheap: index lookups and small counts, because the
watchdog runs all of them every 30 seconds; the heavier ones declare ``every_s`` in the
catalog. The drift measures use the population stability index (:func:`psi`).
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, or_, select, text
from sqlalchemy.orm import Session

from core.backup.manifest import last_drill, newest_backup
from core.config import Settings
from core.i18n import N_
from core.jobs.spec import JobSpec
from core.metrics.snapshots import DETAIL_KIND, frame_from_bytes
from core.ops.monitors import CRITICAL, UNKNOWN, WARNING, Reading
from core.ops.render_stats import page_render_stats
from core.schema import (
    Booking,
    ChurnFeatureSet,
    ChurnModelVersion,
    ChurnScore,
    ConsoleLock,
    CsNotification,
    HealthScore,
    JobRun,
    MetricSnapshot,
    OpsMonitorResult,
    OpsNotification,
    Payment,
    SchedulerHeartbeat,
    SignInAttempt,
    SnapshotFrame,
    Tenant,
)

MB = 1024 * 1024
# A scheduler whose heartbeat is older than this (six missed beats) holds its leases dead.
HEARTBEAT_STALE_S = 60.0
# Notifications waiting past their due time by more than this are a backlog.
BACKLOG_GRACE_S = 300.0
ACTIVE_TENANT_STATUSES = ("active",)
PSI_BINS = 10
PSI_FLOOR = 1e-4
DRIFT_TOP_FEATURES = 5
DATA_QUALITY_FRAME = "platform_data_quality"


@dataclass
class Probe:
    """What a measure may read: the database (a read session), the settings, the time.

    ``previous`` holds each monitor's readings from earlier evaluations that a measure
    needs (the database size series for the growth); the watchdog fills it.
    """

    engine: Engine
    session: Session
    settings: Settings
    at: datetime
    window_s: float = 3600.0
    cache: dict[str, Any] = field(default_factory=dict)

    def since(self) -> datetime:
        return self.at - timedelta(seconds=self.window_s)


def _age_s(at: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else max(0.0, (at - moment).total_seconds())


def _seconds_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


# ------------------------------------------------------------------------- database


def database_reachable(probe: Probe) -> Reading:
    """Round-trip time of ``SELECT 1`` on a fresh connection, in milliseconds."""
    started = time.monotonic()
    try:
        with probe.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not reachable"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return Reading(None, N_("the database did not answer: {error}"), {"error": first}, CRITICAL)
    elapsed = (time.monotonic() - started) * 1000
    probe.cache["round_trip_ms"] = elapsed
    return Reading(elapsed, N_("answered SELECT 1 in {ms} ms"), {"ms": f"{elapsed:.1f}"})


def database_latency(probe: Probe) -> Reading:
    elapsed = probe.cache.get("round_trip_ms")
    if elapsed is None:
        return database_reachable(probe)
    return Reading(elapsed, N_("round trip {ms} ms (SELECT 1)"), {"ms": f"{elapsed:.1f}"})


def database_size_mb(probe: Probe) -> float:
    url = probe.settings.database_url
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1]) if "///" in url else None
        if path is None or not path.exists():
            return 0.0
        total = 0
        for suffix in ("", "-wal", "-shm"):
            companion = Path(f"{path}{suffix}")
            if companion.exists():
                total += companion.stat().st_size
        return total / MB
    size = probe.session.scalar(text("SELECT pg_database_size(current_database())"))
    return float(size or 0) / MB


def database_size(probe: Probe) -> Reading:
    size = database_size_mb(probe)
    probe.cache["size_mb"] = size
    return Reading(size, N_("{size} MB on disk"), {"size": f"{size:,.1f}"})


def database_growth(probe: Probe) -> Reading:
    """MB per day, from the size readings of this monitor's window (first to now)."""
    size = probe.cache.get("size_mb")
    if size is None:
        size = database_size_mb(probe)
    first = probe.session.execute(
        select(OpsMonitorResult.checked_at, OpsMonitorResult.value)
        .where(
            OpsMonitorResult.monitor_id == "database.size",
            OpsMonitorResult.checked_at >= probe.since(),
            OpsMonitorResult.value.is_not(None),
        )
        .order_by(OpsMonitorResult.checked_at)
        .limit(1)
    ).first()
    if first is None or (probe.at - first.checked_at).total_seconds() < 600:
        return Reading(None, N_("not enough size history yet (needs 10 minutes of readings)"))
    days = (probe.at - first.checked_at).total_seconds() / 86400
    growth = (size - float(first.value)) / days
    return Reading(
        growth,
        N_("{growth} MB per day ({start} MB to {end} MB over {span})"),
        {
            "growth": f"{growth:,.1f}",
            "start": f"{float(first.value):,.1f}",
            "end": f"{size:,.1f}",
            "span": _seconds_text(days * 86400),
        },
    )


def disk_free(probe: Probe) -> Reading:
    """Free space on the file system holding the data directory, in % of its size."""
    folder = probe.settings.data_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    percent = 100.0 * usage.free / usage.total if usage.total else 0.0
    return Reading(
        percent,
        N_("{free} GB free of {total} GB ({percent} %) under {folder}"),
        {
            "free": f"{usage.free / 1024**3:,.1f}",
            "total": f"{usage.total / 1024**3:,.1f}",
            "percent": f"{percent:.1f}",
            "folder": str(probe.settings.data_dir),
        },
    )


# ------------------------------------------------------------------------ scheduler


def scheduler_heartbeat(probe: Probe) -> Reading:
    newest = probe.session.execute(
        select(SchedulerHeartbeat.scheduler_id, SchedulerHeartbeat.beat_at)
        .order_by(SchedulerHeartbeat.beat_at.desc())
        .limit(1)
    ).first()
    if newest is None:
        return Reading(None, N_("no scheduler has ever sent a heartbeat"), state=CRITICAL)
    age = _age_s(probe.at, newest.beat_at) or 0.0
    return Reading(
        age,
        N_("newest heartbeat {age} ago, from {scheduler}"),
        {"age": _seconds_text(age), "scheduler": newest.scheduler_id},
    )


def lease_holders(probe: Probe) -> Reading:
    """Leases held (unexpired) by a scheduler whose heartbeat is stale or missing."""
    held = probe.session.execute(
        select(ConsoleLock.name, ConsoleLock.holder).where(
            ConsoleLock.holder.is_not(None), ConsoleLock.expires_at > probe.at
        )
    ).all()
    beats = dict(
        probe.session.execute(
            select(SchedulerHeartbeat.scheduler_id, SchedulerHeartbeat.beat_at)
        ).all()
    )
    dead = []
    for name, holder in held:
        parts = (holder or "").split(":")
        if len(parts) != 3 or not parts[1].isdigit():
            continue  # not a scheduler's id (host:pid:token): the watchdog's lease, a tool's
        beat = beats.get(str(holder))
        if beat is None or (probe.at - beat).total_seconds() > HEARTBEAT_STALE_S:
            dead.append(name)
    if not dead:
        return Reading(0, N_("{held} leases held, every holder alive"), {"held": len(held)})
    return Reading(
        len(dead),
        N_("leases held by a silent scheduler: {names}"),
        {"names": ", ".join(sorted(dead))},
    )


def job_failure_rate(probe: Probe) -> Reading:
    rows = dict(
        probe.session.execute(
            select(JobRun.status, func.count())
            .where(JobRun.finished_at >= probe.since(), JobRun.status.in_(("success", "failed")))
            .group_by(JobRun.status)
        ).all()
    )
    failed, succeeded = int(rows.get("failed", 0)), int(rows.get("success", 0))
    if failed + succeeded == 0:
        return Reading(None, N_("no job run finished in the window"))
    rate = 100.0 * failed / (failed + succeeded)
    return Reading(
        rate,
        N_("{failed} of {total} runs failed ({rate} %)"),
        {"failed": failed, "total": failed + succeeded, "rate": f"{rate:.1f}"},
    )


def job_last_success(spec: JobSpec) -> Any:
    """A measure: seconds since ``spec``'s last successful (or recorded skipped) run."""

    def measure(probe: Probe) -> Reading:
        last = probe.session.scalar(
            select(func.max(JobRun.finished_at)).where(
                JobRun.job_id == spec.job_id, JobRun.status.in_(("success", "skipped"))
            )
        )
        if last is not None:
            age = _age_s(probe.at, last) or 0.0
            return Reading(age, N_("last successful run {age} ago"), {"age": _seconds_text(age)})
        # Never ran: judged from how long a scheduler has been up to run it.
        started = probe.session.scalar(
            select(func.min(SchedulerHeartbeat.started_at)).where(
                SchedulerHeartbeat.beat_at >= probe.at - timedelta(seconds=HEARTBEAT_STALE_S)
            )
        )
        if started is None:
            return Reading(None, N_("never ran, and no scheduler is running"), state=UNKNOWN)
        up = _age_s(probe.at, started) or 0.0
        return Reading(
            up, N_("never ran; a scheduler has been up {age}"), {"age": _seconds_text(up)}
        )

    return measure


# -------------------------------------------------------------------------- refresh


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def refresh_duration(probe: Probe) -> Reading:
    """p95 (and p50) of the metrics refresh's successful runs in the window, seconds."""
    rows = probe.session.execute(
        select(JobRun.started_at, JobRun.finished_at).where(
            JobRun.job_id == "metrics_refresh",
            JobRun.status == "success",
            JobRun.finished_at >= probe.since(),
        )
    ).all()
    durations = [(f - s).total_seconds() for s, f in rows if f is not None]
    if not durations:
        return Reading(None, N_("no refresh finished in the window"))
    p50, p95 = _percentile(durations, 0.5), _percentile(durations, 0.95)
    return Reading(
        p95,
        N_("p95 {p95} s, p50 {p50} s over {runs} runs"),
        {"p95": f"{p95:.2f}", "p50": f"{p50:.2f}", "runs": len(durations)},
    )


def _newest_snapshot(probe: Probe, *, detail: bool) -> datetime | None:
    kind = MetricSnapshot.kind == DETAIL_KIND if detail else MetricSnapshot.kind != DETAIL_KIND
    return probe.session.scalar(select(func.max(MetricSnapshot.created_at)).where(kind))


def snapshot_age(probe: Probe) -> Reading:
    created = _newest_snapshot(probe, detail=False)
    if created is None:
        return Reading(None, N_("no metrics snapshot yet"), state=CRITICAL)
    age = _age_s(probe.at, created) or 0.0
    probe.cache["snapshot_age_s"] = age
    return Reading(age, N_("newest snapshot {age} old"), {"age": _seconds_text(age)})


def detail_age(probe: Probe) -> Reading:
    created = _newest_snapshot(probe, detail=True)
    if created is None:
        return Reading(None, N_("no detail tables yet"), state=WARNING)
    age = _age_s(probe.at, created) or 0.0
    return Reading(age, N_("detail tables {age} old"), {"age": _seconds_text(age)})


def ingestion_lag(probe: Probe) -> Reading:
    """Seconds since the newest platform row (booking or payment) changed."""
    settings = probe.settings
    if not (settings.is_production or settings.simulator_enabled):
        return Reading(None, N_("no live ingestion expected here (simulator off, not production)"))
    newest = max(
        (
            moment
            for moment in (
                probe.session.scalar(select(func.max(Booking.updated_at))),
                probe.session.scalar(select(func.max(Payment.updated_at))),
            )
            if moment is not None
        ),
        default=None,
    )
    if newest is None:
        return Reading(None, N_("no platform rows yet"), state=WARNING)
    lag = _age_s(probe.at, newest) or 0.0
    return Reading(lag, N_("newest platform row changed {age} ago"), {"age": _seconds_text(lag)})


# -------------------------------------------------------------------- notifications


def notification_backlog(probe: Probe) -> Reading:
    due = probe.at - timedelta(seconds=BACKLOG_GRACE_S)
    counts = [
        probe.session.scalar(
            select(func.count()).where(table.status == "pending", table.next_attempt_at < due)
        )
        or 0
        for table in (CsNotification, OpsNotification)
    ]
    total = sum(counts)
    return Reading(
        total,
        N_("{total} messages overdue by 5 minutes or more (CS {cs}, ops {ops})"),
        {"total": total, "cs": counts[0], "ops": counts[1]},
    )


def notification_failures(probe: Probe) -> Reading:
    since = probe.since()
    failed = 0
    for table in (CsNotification, OpsNotification):
        failed += (
            probe.session.scalar(
                select(func.count()).where(
                    table.created_at >= since,
                    or_(
                        table.status == "failed", (table.status == "pending") & (table.attempts > 0)
                    ),
                )
            )
            or 0
        )
    return Reading(
        failed, N_("{failed} deliveries failed or retrying in the window"), {"failed": failed}
    )


# --------------------------------------------------------------------------- models


def _active_tenants(probe: Probe) -> int:
    if "active_tenants" not in probe.cache:
        probe.cache["active_tenants"] = int(
            probe.session.scalar(
                select(func.count()).where(Tenant.status.in_(ACTIVE_TENANT_STATUSES))
            )
            or 0
        )
    return int(probe.cache["active_tenants"])


def _promoted(probe: Probe) -> Any:
    return probe.session.execute(
        select(ChurnModelVersion.version, ChurnModelVersion.trained_at, ChurnModelVersion.metrics)
        .where(ChurnModelVersion.promoted.is_(True))
        .order_by(ChurnModelVersion.version.desc())
        .limit(1)
    ).first()


def churn_model_age(probe: Probe) -> Reading:
    model = _promoted(probe)
    if model is None:
        return Reading(None, N_("no churn model has been promoted yet"), state=WARNING)
    days = (_age_s(probe.at, model.trained_at) or 0.0) / 86400
    return Reading(
        days,
        N_("model v{version} trained {age} ago"),
        {"version": model.version, "age": _seconds_text(days * 86400)},
    )


def churn_score_coverage(probe: Probe) -> Reading:
    model = _promoted(probe)
    active = _active_tenants(probe)
    if model is None or active == 0:
        return Reading(None, N_("no promoted model or no active tenant to score"))
    scored = (
        probe.session.scalar(
            select(func.count(func.distinct(ChurnScore.tenant_id))).where(
                ChurnScore.model_version == model.version,
                ChurnScore.scored_at >= probe.since(),
                ChurnScore.tenant_id.in_(
                    select(Tenant.id).where(Tenant.status.in_(ACTIVE_TENANT_STATUSES))
                ),
            )
        )
        or 0
    )
    percent = 100.0 * scored / active
    return Reading(
        percent,
        N_("{scored} of {active} active tenants scored by v{version} in the window ({percent} %)"),
        {"scored": scored, "active": active, "version": model.version, "percent": f"{percent:.1f}"},
    )


def psi(expected: Sequence[float], actual: Sequence[float], *, bins: int = PSI_BINS) -> float:
    """Population stability index of ``actual`` against ``expected``.

    Bins are the quantiles of ``expected`` (at most ``bins``, fewer when values repeat);
    PSI = Σ (a − e) · ln(a / e) over the bins' shares, each share floored at 1e-4 so an
    empty bin counts as very different rather than infinite. 0.1 and 0.25 are the usual
    "watch" and "act" levels.
    """
    if not expected or not actual:
        return float("nan")
    ordered = sorted(expected)
    edges = sorted(
        {ordered[min(len(ordered) - 1, (len(ordered) * i) // bins)] for i in range(1, bins)}
    )

    def shares(values: Sequence[float]) -> list[float]:
        counts = [0] * (len(edges) + 1)
        for value in values:
            index = sum(1 for edge in edges if value >= edge)
            counts[index] += 1
        return [max(count / len(values), PSI_FLOOR) for count in counts]

    return float(
        sum(
            (a - e) * math.log(a / e) for e, a in zip(shares(expected), shares(actual), strict=True)
        )
    )


def _latest_scores(probe: Probe, start: datetime, end: datetime) -> list[float]:
    newest = (
        select(ChurnScore.tenant_id, func.max(ChurnScore.scored_at).label("scored_at"))
        .where(ChurnScore.scored_at >= start, ChurnScore.scored_at < end)
        .group_by(ChurnScore.tenant_id)
        .subquery()
    )
    return [
        float(p)
        for p in probe.session.scalars(
            select(ChurnScore.probability).join(
                newest,
                (ChurnScore.tenant_id == newest.c.tenant_id)
                & (ChurnScore.scored_at == newest.c.scored_at),
            )
        )
    ]


def churn_score_drift(probe: Probe) -> Reading:
    """PSI of this week's churn scores (each tenant's newest) against last week's."""
    week = timedelta(days=7)
    this_week = _latest_scores(probe, probe.at - week, probe.at)
    last_week = _latest_scores(probe, probe.at - 2 * week, probe.at - week)
    if len(this_week) < 20 or len(last_week) < 20:
        return Reading(
            None,
            N_("not enough scores to compare weeks ({now} this week, {before} the week before)"),
            {"now": len(this_week), "before": len(last_week)},
        )
    value = psi(last_week, this_week)
    return Reading(
        value,
        N_(
            "PSI {psi} between the scores of the last 7 days ({now} tenants) and the 7 before "
            "({before})"
        ),
        {"psi": f"{value:.3f}", "now": len(this_week), "before": len(last_week)},
    )


def churn_feature_drift(probe: Probe) -> Reading:
    """The largest PSI among the promoted model's top features, week over week."""
    model = _promoted(probe)
    if model is None:
        return Reading(None, N_("no promoted model: no top features to watch"))
    importance = (model.metrics or {}).get("importance") or []
    sets = probe.session.execute(
        select(ChurnFeatureSet.as_of, ChurnFeatureSet.frame)
        .where(ChurnFeatureSet.as_of <= probe.at)
        .order_by(ChurnFeatureSet.as_of.desc())
        .limit(1)
    ).first()
    if sets is None:
        return Reading(None, N_("no feature sets stored yet"))
    before = probe.session.execute(
        select(ChurnFeatureSet.as_of, ChurnFeatureSet.frame)
        .where(ChurnFeatureSet.as_of <= sets.as_of - timedelta(days=7))
        .order_by(ChurnFeatureSet.as_of.desc())
        .limit(1)
    ).first()
    if before is None:
        return Reading(None, N_("no feature set a week before the newest one"))
    newest, older = _columns(sets.frame), _columns(before.frame)
    worst_name, worst = "", -1.0
    watched = 0
    for item in importance:
        name = str(item.get("feature", ""))
        if name not in newest or name not in older:
            continue
        value = psi(older[name], newest[name])
        watched += 1
        if not math.isnan(value) and value > worst:
            worst_name, worst = name, value
        if watched >= DRIFT_TOP_FEATURES:
            break
    if watched == 0:
        return Reading(None, N_("the model's top features are not in the stored feature sets"))
    return Reading(
        worst,
        N_(
            "largest PSI {psi} ({feature}) among the top {count} features, {newest} against {older}"
        ),
        {
            "psi": f"{worst:.3f}",
            "feature": worst_name,
            "count": watched,
            "newest": sets.as_of.date().isoformat(),
            "older": before.as_of.date().isoformat(),
        },
    )


def _columns(frame: dict[str, Any]) -> dict[str, list[float]]:
    columns = list(frame.get("columns") or [])
    values: dict[str, list[float]] = {name: [] for name in columns}
    for row in frame.get("data") or []:
        for name, value in zip(columns, row, strict=False):
            if isinstance(value, int | float) and not (
                isinstance(value, float) and math.isnan(value)
            ):
                values[name].append(float(value))
    return values


def health_coverage(probe: Probe) -> Reading:
    active = _active_tenants(probe)
    if active == 0:
        return Reading(None, N_("no active tenant"))
    newest: date | None = probe.session.scalar(select(func.max(HealthScore.day)))
    if newest is None:
        return Reading(0.0, N_("no health score computed yet"), {})
    scored = (
        probe.session.scalar(
            select(func.count()).where(
                HealthScore.day == newest,
                HealthScore.score.is_not(None),
                HealthScore.tenant_id.in_(
                    select(Tenant.id).where(Tenant.status.in_(ACTIVE_TENANT_STATUSES))
                ),
            )
        )
        or 0
    )
    percent = 100.0 * scored / active
    stale = (probe.at.date() - newest).days
    return Reading(
        percent if stale <= 1 else 0.0,
        N_("{scored} of {active} active tenants scored on {day} ({percent} %)"),
        {
            "scored": scored,
            "active": active,
            "day": newest.isoformat(),
            "percent": f"{percent:.1f}",
        },
    )


# --------------------------------------------------------------------- data quality


def data_quality(probe: Probe) -> Reading:
    """Checks of the newest detail tables' data-quality frame that are not ``ok``."""
    version = probe.session.scalar(
        select(func.max(MetricSnapshot.version)).where(MetricSnapshot.kind == DETAIL_KIND)
    )
    data = None
    if version is not None:
        data = probe.session.scalar(
            select(SnapshotFrame.data).where(
                SnapshotFrame.version == version, SnapshotFrame.name == DATA_QUALITY_FRAME
            )
        )
    if data is None:
        return Reading(None, N_("no data-quality results yet (the detail tables compute them)"))
    frame = frame_from_bytes(data)
    failing = frame[frame["status"] != "ok"]
    if failing.empty:
        return Reading(0, N_("all {checks} data-quality checks pass"), {"checks": len(frame)})
    names = ", ".join(
        f"{row.check_id} ({int(row['count'])})" for _, row in failing.head(6).iterrows()
    )
    return Reading(
        len(failing),
        N_("{count} of {checks} data-quality checks find rows: {names}"),
        {"count": len(failing), "checks": len(frame), "names": names},
    )


def negative_amounts(probe: Probe) -> Reading:
    """Payments with a negative amount (refunds are their own status, never negative)."""
    count = probe.session.scalar(select(func.count()).where(Payment.amount_ars < 0)) or 0
    return Reading(count, N_("{count} payments with a negative amount"), {"count": count})


# --------------------------------------------------------------------------- pages


def page_render_p95(probe: Probe) -> Reading:
    """p95 of page render times in the window, from the minutes each console wrote."""
    stats = page_render_stats(probe.session, since=probe.since(), until=probe.at)
    if stats.renders == 0 or stats.p95_ms is None:
        return Reading(None, N_("no page rendered in the window"))
    slowest = stats.pages[0] if stats.pages else None
    return Reading(
        stats.p95_ms,
        N_(
            "p95 {p95} ms, p50 {p50} ms over {renders} renders ({slow} over 500 ms); slowest "
            "page {page} (p95 {page_p95} ms)"
        ),
        {
            "p95": f"{stats.p95_ms:.0f}",
            "p50": f"{(stats.p50_ms or 0):.0f}",
            "renders": stats.renders,
            "slow": stats.slow_renders,
            "page": slowest.page if slowest else "-",
            "page_p95": f"{(slowest.p95_ms or 0) if slowest else 0:.0f}",
        },
    )


# ------------------------------------------------------------------------- sign-in


def sign_in_failures(probe: Probe) -> Reading:
    failures = (
        probe.session.scalar(
            select(func.count()).where(
                SignInAttempt.attempted_at >= probe.since(), SignInAttempt.succeeded.is_(False)
            )
        )
        or 0
    )
    return Reading(failures, N_("{count} failed sign-ins in the window"), {"count": failures})


def sign_in_lockouts(probe: Probe) -> Reading:
    """Accounts locked now: as many failures in the lock window as lock an account."""
    settings = probe.settings
    start = probe.at - timedelta(seconds=settings.lockout_window_s)
    locked = probe.session.execute(
        select(SignInAttempt.account_key)
        .where(SignInAttempt.attempted_at >= start, SignInAttempt.succeeded.is_(False))
        .group_by(SignInAttempt.account_key)
        .having(func.count() >= settings.lockout_failures)
    ).all()
    return Reading(len(locked), N_("{count} accounts locked out now"), {"count": len(locked)})


# ------------------------------------------------------------------------- backups


def _backups_folder(probe: Probe) -> Path:
    return probe.settings.backups_dir


def backup_age(probe: Probe) -> Reading:
    folder = _backups_folder(probe)
    newest = newest_backup(folder) if folder.is_dir() else None
    if newest is None:
        return Reading(
            None,
            N_("no backup in {folder} (python -m core.backup create)"),
            {"folder": str(folder)},
            CRITICAL,
        )
    hours = (_age_s(probe.at, newest.created_at) or 0.0) / 3600
    return Reading(
        hours,
        N_("newest backup {file} taken {age} ago ({size} MB)"),
        {
            "file": newest.file,
            "age": _seconds_text(hours * 3600),
            "size": f"{newest.bytes / MB:,.1f}",
        },
    )


def backup_drill(probe: Probe) -> Reading:
    folder = _backups_folder(probe)
    drill = last_drill(folder) if folder.is_dir() else None
    if drill is None:
        return Reading(
            None, N_("no restore drill recorded (python -m core.backup drill)"), state=CRITICAL
        )
    days = (_age_s(probe.at, drill.at) or 0.0) / 86400
    if not drill.passed:
        return Reading(
            days,
            N_("the last restore drill ({age} ago) failed: {error}"),
            {"age": _seconds_text(days * 86400), "error": (drill.error or "KPIs differ")[:200]},
            CRITICAL,
        )
    return Reading(
        days,
        N_("last restore drill passed {age} ago ({backup})"),
        {"age": _seconds_text(days * 86400), "backup": drill.backup},
    )


def process_id() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"
