"""Refresh & jobs: snapshot freshness, scheduler heartbeat and the latest job runs."""

import streamlit as st

from core.queries.operations import recent_job_runs, scheduler_heartbeats, snapshot_history
from dashboards import refresh_jobs
from ui.live import LiveContext, live_page
from ui.render import show_table

st.title("Refresh & jobs")

RUN_COLUMNS = {
    "run_id": st.column_config.NumberColumn("Run", format="%d", width="small"),
    "job_id": "Job",
    "status": "Status",
    "started_at": "Started",
    "finished_at": "Finished",
    "duration_s": "Duration",
    "rows_touched": "Rows touched",
    "error": st.column_config.TextColumn("Error", width="large"),
    "scheduler_id": "Scheduler",
}
BEAT_COLUMNS = {
    "scheduler_id": "Scheduler",
    "hostname": "Host",
    "pid": st.column_config.NumberColumn("PID", format="%d"),
    "mode": "Mode",
    "started_at": "Started",
    "beat_at": "Last beat",
}
SNAPSHOT_COLUMNS = {
    "version": st.column_config.NumberColumn("Version", format="%d"),
    "created_at": "Computed",
    "as_of": "Data as of",
    "kind": "Kind",
    "job_run_id": st.column_config.NumberColumn("Run", format="%d"),
}


def body(ctx: LiveContext) -> None:
    status = ctx.status
    if status.stale:
        st.warning(f"**Stale**: {status.stale_reason}.", icon=":material/warning:")
    tiles = refresh_jobs.status_tiles(
        status, at=ctx.at, interval_s=ctx.settings.refresh_interval_s, locale=ctx.locale
    )
    for column, tile in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(tile.label, tile.value, help=tile.help, icon=tile.icon, border=True)

    with ctx.session() as session:
        runs = recent_job_runs(session=session, limit=50)
        beats = scheduler_heartbeats(session=session)
        snapshots = snapshot_history(session=session)

    st.subheader("Latest job runs", divider="gray")
    if runs.empty:
        st.caption("No job has run yet.")
    else:
        show_table(
            refresh_jobs.style_job_runs(runs, locale=ctx.locale),
            column_config=RUN_COLUMNS,
        )

    left, right = st.columns(2)
    with left:
        st.subheader("Schedulers", divider="gray")
        if beats.empty:
            st.caption("No scheduler has reported a heartbeat.")
        else:
            show_table(
                refresh_jobs.style_times(beats, ["started_at", "beat_at"], locale=ctx.locale),
                column_config=BEAT_COLUMNS,
            )
    with right:
        st.subheader("Snapshots", divider="gray")
        if snapshots.empty:
            st.caption("No snapshot yet.")
        else:
            show_table(
                refresh_jobs.style_times(snapshots, ["created_at", "as_of"], locale=ctx.locale),
                column_config=SNAPSHOT_COLUMNS,
            )


live_page(body, needs_snapshot=False)
