"""Financial Operations: invoices, payment failures, dunning, DSO, reconciliation, jobs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import financial_operations as finance
from dashboards.filters import Filters
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.filters import cross_filter, filter_bar
from ui.i18n import _
from ui.live import LiveContext, live_page
from ui.render import (
    cpi_for,
    detail_as_of,
    download_csv,
    selectable_figure,
    show_figure,
    show_table,
    show_tiles,
    snapshot_versions,
)

PAGE = "finance"
FRAMES = (
    "finance_invoices",
    "finance_payments_monthly",
    "finance_reconciliation_monthly",
    "finance_mismatches",
    "finance_coverage",
    "finance_jobs",
    "finance_job_runs_daily",
)
st.title(_("Financial Operations"))


@st.cache_resource(max_entries=12, show_spinner=False)
def _view(
    versions: tuple[int, int],
    filters: Filters,
    as_of: Any,
    locale: str,
    _frames: dict[str, pd.DataFrame],
    _tenants: pd.DataFrame,
    _cpi: pd.DataFrame | None,
) -> finance.FinanceView:
    # One view per snapshot versions and filters: reruns within a refresh reuse it.
    return finance.build_view(_frames, _tenants, filters, as_of=as_of, locale=locale, cpi=_cpi)


def _month_chart(figure: Any, key: str) -> None:
    """A chart whose clicked month filters the page to that month."""
    for point in selectable_figure(figure, key=key):
        if point.get("x"):
            cross_filter(PAGE, "month", point["x"])


def _download(frame: pd.DataFrame, name: str) -> None:
    download_csv(frame, f"{name}.csv", key=f"{PAGE}_{name}_csv", bom=False, rerun=True)


MISMATCHES_SHOWN = 500  # tens of thousands of rows would cost every rerun


def _money(label: str) -> Any:
    return st.column_config.NumberColumn(_(label), format="%.0f")


def body(ctx: LiveContext) -> None:
    filters = filter_bar(ctx, page=PAGE)
    frames = {name: ctx.frame(name) for name in FRAMES}
    view = _view(
        snapshot_versions(ctx),
        filters,
        detail_as_of(ctx),
        ctx.locale,
        frames,
        ctx.frame("tenants"),
        cpi_for(ctx, filters),
    )
    if view.message:
        st.info(view.message, icon=":material/filter_alt_off:")
        return
    show_tiles(view.tiles or [], per_row=4)
    st.caption(
        _(
            "Changes compare the period with the one of the same length just before it "
            "(payments and reconciliation: as many whole months). Click a month in a chart to "
            "filter the page to it."
        )
    )
    for note in view.notes or []:
        st.info(note, icon=":material/hourglass_top:")

    left, right = st.columns([3, 2])
    with left:
        _month_chart(view.invoices, f"{PAGE}_invoices")
    with right:
        show_figure(view.failures)
    _month_chart(view.reconciliation, f"{PAGE}_reconciliation")

    st.subheader(_("Reconciliation mismatches"), divider="gray")
    st.caption(_(finance.DEFINITIONS["reconciled"].definition))
    mismatches = view.mismatches
    if mismatches is None or mismatches.empty:
        st.info(_("No mismatch for these filters in the last 45 days."), icon=":material/task_alt:")
    else:
        show_table(
            # The newest rows on screen; the CSV below has every listed mismatch.
            with_tenant_links(mismatches.head(MISMATCHES_SHOWN), locale=ctx.locale),
            column_order=[
                "day",
                "tenant",
                "booking_id",
                "kind",
                "booking_status",
                "booking_ars",
                "paid_ars",
                "difference_ars",
            ],
            column_config={
                "day": st.column_config.DateColumn(_("Day"), format="DD/MM/YYYY"),
                "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
                "booking_id": st.column_config.NumberColumn(_("Booking"), format="%d"),
                "kind": _("Mismatch"),
                "booking_status": _("Booking status"),
                "booking_ars": _money("Price"),
                "paid_ars": _money("Approved payments"),
                "difference_ars": _money("Difference"),
            },
        )
        st.caption(
            _(
                "Listed: bookings of the last 45 days (newest 20,000); the monthly counts above "
                "cover the whole history."
            )
            + " "
            + _("On screen: the newest {n}; the CSV has them all.").format(n=MISMATCHES_SHOWN)
        )
        _download(mismatches, "reconciliation_mismatches")

    st.subheader(_("Tenants in the period"), divider="gray")
    detail = view.detail
    if detail is None or detail.empty:
        st.info(_("No data for these filters"), icon=":material/filter_alt_off:")
    else:
        show_table(
            with_tenant_links(detail, locale=ctx.locale),
            column_order=[
                "tenant",
                "tier",
                "province",
                "invoices",
                "invoices_failed",
                "receivables_ars",
                "payments",
                "payment_failure_rate",
                "completed_ars",
                "paid_ars",
                "difference_ars",
                "mismatches",
            ],
            column_config={
                "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
                "tier": _("Tier"),
                "province": _("Province"),
                "invoices": _("Invoices"),
                "invoices_failed": _("Failed"),
                "receivables_ars": _money("Receivables"),
                "payments": _("Payments"),
                "payment_failure_rate": st.column_config.NumberColumn(
                    _("Failure rate"), format="percent"
                ),
                "completed_ars": _money("Completed bookings"),
                "paid_ars": _money("Approved payments"),
                "difference_ars": _money("Difference"),
                "mismatches": _("Mismatches"),
            },
        )
        _download(detail, "finance_tenants")

    st.subheader(_("Scheduler jobs"), divider="gray")
    show_figure(view.jobs_chart)
    jobs = view.jobs
    if jobs is not None and not jobs.empty:
        show_table(
            jobs,
            column_order=[
                "job_id",
                "description",
                "runs",
                "success",
                "failed",
                "skipped",
                "success_rate",
                "median_duration_s",
                "last_started_at",
                "last_status",
                "last_error",
            ],
            column_config={
                "job_id": _("Job"),
                "description": _("What it does"),
                "runs": _("Runs (30 d)"),
                "success": _("Succeeded"),
                "failed": _("Failed"),
                "skipped": _("Skipped"),
                "success_rate": st.column_config.NumberColumn(_("Success rate"), format="percent"),
                "median_duration_s": st.column_config.NumberColumn(
                    _("Median duration (s)"), format="%.2f"
                ),
                "last_started_at": st.column_config.DatetimeColumn(
                    _("Last run"), format="DD/MM/YYYY HH:mm:ss"
                ),
                "last_status": _("Last status"),
                "last_error": _("Last error"),
            },
        )
        _download(jobs, "scheduler_jobs")


live_page(body)
