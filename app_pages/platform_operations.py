"""Platform Operations: refresh speed, snapshot age, scheduler, job failures, data quality."""

from datetime import timedelta

import streamlit as st

from core import formatting as fmt
from core.queries.platform_operations import job_summary, recent_failures, refresh_runs
from dashboards import platform_operations as ops
from dashboards import refresh_jobs
from ui.dashboard_page import dashboard_page
from ui.i18n import _
from ui.live import LiveContext
from ui.render import download_csv, show_figure, show_table, show_tiles


def _columns() -> dict:
    number = st.column_config.NumberColumn
    when = st.column_config.DatetimeColumn
    return {
        "job_id": _("Job"),
        "runs": number(_("Runs"), format="%d"),
        "success": number(_("Succeeded"), format="%d"),
        "failed": number(_("Failed"), format="%d"),
        "skipped": number(_("Skipped"), format="%d"),
        "success_rate": number(
            _("Success rate"), format="percent", help=_("Succeeded ÷ (succeeded + failed)")
        ),
        "last_run_at": when(_("Last run"), format="DD/MM/YYYY HH:mm:ss"),
        "run_id": number(_("Run"), format="%d", width="small"),
        "started_at": when(_("Started"), format="DD/MM/YYYY HH:mm:ss"),
        "finished_at": when(_("Finished"), format="DD/MM/YYYY HH:mm:ss"),
        "error": st.column_config.TextColumn(_("Error"), width="large"),
        "scheduler_id": _("Scheduler"),
        "provider": _("Provider"),
        "seconds": number(_("Seconds"), format="%.2f"),
        "status_title": _("Status"),
        "category_title": _("Check"),
        "table_name": _("Table"),
        "check_title": _("What is counted"),
        "count": number(_("Rows"), format="%d"),
        "stage": _("Stage"),
        "median_s": number(_("Median s"), format="%.4f"),
        "max_s": number(_("Max s"), format="%.4f"),
    }


def body(ctx: LiveContext) -> None:
    window = (
        st.segmented_control(
            _("Job history"),
            list(ops.WINDOWS),
            default="24h",
            format_func=lambda key: _(ops.WINDOWS[key][1]),
            key="platform_window",
        )
        or "24h"
    )
    since = ctx.at - timedelta(hours=ops.WINDOWS[window][0])
    with ctx.session() as session:  # console_job_runs only: small and indexed
        runs = refresh_runs(session=session)
        summary = job_summary(session=session, since=since)
        failures = recent_failures(session=session, since=since)
    runs = runs[runs["started_at"] >= since] if not runs.empty else runs
    quality = ctx.frame("platform_data_quality") if ctx.has_frame("platform_data_quality") else None

    status_tiles = refresh_jobs.status_tiles(
        ctx.status, at=ctx.at, interval_s=ctx.settings.refresh_interval_s, locale=ctx.locale
    )
    show_tiles(status_tiles, per_row=None)
    show_tiles(ops.refresh_tiles(runs, summary, quality, locale=ctx.locale), per_row=None)

    left, right = st.columns([3, 2])
    with left:
        show_figure(ops.refresh_figure(runs, locale=ctx.locale))
    with right:
        show_figure(ops.stage_figure(ops.stage_table(runs), locale=ctx.locale))

    st.subheader(_("Scheduled jobs"), divider="gray")
    if summary.empty:
        st.caption(_("No job has run yet."))
    else:
        show_table(summary, column_config=_columns())
    if not failures.empty:
        st.markdown("**" + _("Failures") + "**")
        show_table(failures, column_config=_columns())

    detail = ctx.detail
    providers = ops.provider_table(
        detail.kpis.get("_timings") if detail else None,  # type: ignore[arg-type]
        detail.kpis.get("_errors") if detail else None,  # type: ignore[arg-type]
    )
    st.subheader(_("Detail tables"), divider="gray")
    show_figure(ops.provider_figure(providers, locale=ctx.locale))
    broken = providers.dropna(subset=["error"])
    if not broken.empty:
        st.warning(
            _("{n} provider(s) failed; their previous tables are carried over.").format(
                n=len(broken)
            ),
            icon=":material/warning:",
        )
        show_table(broken, column_config=_columns())

    st.subheader(_("Data quality"), divider="gray")
    if quality is None:
        st.info(
            _("The data-quality checks have not run yet; they appear here by themselves."),
            icon=":material/hourglass_top:",
        )
        return
    checked = ops.checked_at(quality)
    st.caption(
        _(
            "Checked {when}. The checks scan the largest tables, so they run at most once an "
            "hour; in between, the last result is shown."
        ).format(when=fmt.format_datetime(checked, locale=ctx.locale))
    )
    only_problems = st.toggle(_("Only checks with warnings"), key="platform_quality_problems")
    table = ops.quality_table(quality, locale=ctx.locale, problems_only=only_problems)
    if table.empty:
        st.success(_("Every check passed."), icon=":material/check_circle:")
    else:
        download_csv(table.drop(columns=["status_title"]), "data_quality.csv")
        show_table(
            ops.style_quality(table, locale=ctx.locale),
            column_config=_columns(),
            column_order=["status_title", "category_title", "table_name", "check_title", "count"],
        )


dashboard_page(_("Platform Operations"), body)
