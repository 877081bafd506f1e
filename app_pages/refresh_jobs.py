"""Refresh & jobs: snapshot freshness, scheduler heartbeat and the latest job runs."""

import streamlit as st

from core.jobs.registry import JOBS
from core.queries.operations import (
    overdue_runs,
    recent_job_runs,
    requested_runs,
    scheduler_heartbeats,
    snapshot_history,
)
from dashboards import refresh_jobs
from ui import db
from ui.i18n import _
from ui.live import LiveContext, live_page
from ui.render import show_table, show_tiles

st.title(_("Refresh & jobs"))


def run_columns() -> dict:
    return {
        "run_id": st.column_config.NumberColumn(_("Run"), format="%d", width="small"),
        "job_id": _("Job"),
        "status": _("Status"),
        "started_at": _("Started"),
        "finished_at": _("Finished"),
        "duration_s": _("Duration"),
        "rows_touched": _("Rows touched"),
        "error": st.column_config.TextColumn(_("Error"), width="large"),
        "scheduler_id": _("Scheduler"),
    }


def request_columns() -> dict:
    return {
        "execution_id": st.column_config.NumberColumn(_("Request"), format="%d", width="small"),
        "job": _("Job"),
        "status": _("Status"),
        "requested_by": _("Asked by"),
        "requested_at": _("Asked"),
        "started_at": _("Started"),
        "finished_at": _("Finished"),
        "duration_s": _("Duration"),
        "job_run_id": st.column_config.NumberColumn(_("Run"), format="%d"),
        "attached": st.column_config.CheckboxColumn(_("Joined a run in progress")),
        "outcome": st.column_config.TextColumn(_("Error or reason"), width="large"),
    }


def beat_columns() -> dict:
    return {
        "scheduler_id": _("Scheduler"),
        "hostname": _("Host"),
        "pid": st.column_config.NumberColumn(_("PID"), format="%d"),
        "mode": _("Mode"),
        "started_at": _("Started"),
        "beat_at": _("Last beat"),
    }


def snapshot_columns() -> dict:
    return {
        "version": st.column_config.NumberColumn(_("Version"), format="%d"),
        "created_at": _("Computed"),
        "as_of": _("Data as of"),
        "kind": _("Kind"),
        "job_run_id": st.column_config.NumberColumn(_("Run"), format="%d"),
    }


def show_status_tiles(ctx: LiveContext) -> None:
    tiles = refresh_jobs.status_tiles(
        ctx.status, at=ctx.at, interval_s=ctx.settings.refresh_interval_s, locale=ctx.locale
    )
    show_tiles(tiles, per_row=None)


def body(ctx: LiveContext) -> None:
    if ctx.status.stale:
        st.warning(
            _("**Stale**: {reason}.").format(reason=ctx.status.stale_reason),
            icon=":material/warning:",
        )
    show_status_tiles(ctx)

    with db.session() as session:
        runs = recent_job_runs(session=session, limit=50)
        declared = {spec.job_id: spec.expected_s for spec in JOBS}
        overdue = overdue_runs(session=session, at=ctx.at, declared=declared)
        beats = scheduler_heartbeats(session=session)
        snapshots = snapshot_history(session=session)
        requested = requested_runs(session=session, limit=20)

    st.subheader(_("Latest job runs"), divider="gray")
    for notice in refresh_jobs.overdue_notices(overdue, locale=ctx.locale):
        st.warning(notice, icon=":material/hourglass_top:")
    if runs.empty:
        st.caption(_("No job has run yet."))
    else:
        show_table(
            refresh_jobs.style_job_runs(runs, locale=ctx.locale),
            column_config=run_columns(),
        )

    if not requested.empty:
        st.subheader(_("Requested runs"), divider="gray")
        st.caption(
            _(
                "Runs administrators asked for through the API (POST /api/t11/execute); "
                "a scheduler runs each under the job's usual lease."
            )
        )
        show_table(
            refresh_jobs.style_times(
                requested, ["requested_at", "started_at", "finished_at"], locale=ctx.locale
            ),
            column_config=request_columns(),
        )

    left, right = st.columns(2)
    with left:
        st.subheader(_("Schedulers"), divider="gray")
        if beats.empty:
            st.caption(_("No scheduler has reported a heartbeat."))
        else:
            show_table(
                refresh_jobs.style_times(beats, ["started_at", "beat_at"], locale=ctx.locale),
                column_config=beat_columns(),
            )
    with right:
        st.subheader(_("Snapshots"), divider="gray")
        if snapshots.empty:
            st.caption(_("No snapshot yet."))
        else:
            show_table(
                refresh_jobs.style_times(snapshots, ["created_at", "as_of"], locale=ctx.locale),
                column_config=snapshot_columns(),
            )


live_page(body, needs_snapshot=False)
