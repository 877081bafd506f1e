"""Refresh & jobs: snapshot freshness, scheduler heartbeat and the latest job runs."""

import streamlit as st

from core.queries.operations import recent_job_runs, scheduler_heartbeats, snapshot_history
from dashboards import refresh_jobs
from ui.live import LiveContext, live_page

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


def body(ctx: LiveContext) -> None:
    status = ctx.status
    if status.stale:
        st.warning(f"**Stale**: {status.stale_reason}.", icon=":material/warning:")
    tiles = refresh_jobs.status_tiles(
        status, at=ctx.at, interval_s=ctx.settings.refresh_interval_s, locale=ctx.locale
    )
    for column, tile in zip(st.columns(len(tiles)), tiles, strict=True):
        column.metric(tile.label, tile.value, help=tile.help, border=True)

    with ctx.session() as session:
        runs = recent_job_runs(session=session, limit=50)
        beats = scheduler_heartbeats(session=session)
        snapshots = snapshot_history(session=session)

    st.subheader("Latest job runs", divider="gray")
    if runs.empty:
        st.caption("No job has run yet.")
    else:
        st.dataframe(
            refresh_jobs.style_job_runs(runs, locale=ctx.locale),
            hide_index=True,
            column_config=RUN_COLUMNS,
        )

    left, right = st.columns(2)
    with left:
        st.subheader("Schedulers", divider="gray")
        if beats.empty:
            st.caption("No scheduler has reported a heartbeat.")
        else:
            st.dataframe(
                refresh_jobs.style_times(beats, ["started_at", "beat_at"], locale=ctx.locale),
                hide_index=True,
            )
    with right:
        st.subheader("Snapshots", divider="gray")
        if snapshots.empty:
            st.caption("No snapshot yet.")
        else:
            st.dataframe(
                refresh_jobs.style_times(snapshots, ["created_at", "as_of"], locale=ctx.locale),
                hide_index=True,
            )


live_page(body, needs_snapshot=False)
