"""Financial Operations: invoices, payment failures, dunning, DSO, reconciliation, jobs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.metrics.registry import METRICS
from dashboards import financial_operations as finance
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.dashboard_page import (
    Csv,
    DashboardContext,
    FilteredDashboard,
    dashboard_builder,
    dashboard_page,
    filtering_chart,
    money_column,
    tenant_table,
)
from ui.i18n import _
from ui.render import show_figure, show_table, show_tiles

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


build = dashboard_builder(finance.build_view, FRAMES, "tenants")


def _month_chart(figure: Any, key: str) -> None:
    filtering_chart(figure, page=PAGE, key=key, dimension="month")


def _download(frame: pd.DataFrame, name: str) -> None:
    Csv.named(PAGE, name).offer(frame)


MISMATCHES_SHOWN = 500  # tens of thousands of rows would cost every rerun


def draw(ctx: DashboardContext, view: finance.FinanceView) -> None:
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
    st.caption(_(METRICS["reconciled"].definition))
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
                "booking_ars": money_column("Price"),
                "paid_ars": money_column("Approved payments"),
                "difference_ars": money_column("Difference"),
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

    tenant_table(
        ctx,
        view.detail,
        title=_("Tenants in the period"),
        csv=Csv.named(PAGE, "finance_tenants"),
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
            "invoices": _("Invoices"),
            "invoices_failed": _("Failed"),
            "receivables_ars": money_column("Receivables"),
            "payments": _("Payments"),
            "payment_failure_rate": st.column_config.NumberColumn(
                _("Failure rate"), format="percent"
            ),
            "completed_ars": money_column("Completed bookings"),
            "paid_ars": money_column("Approved payments"),
            "difference_ars": money_column("Difference"),
            "mismatches": _("Mismatches"),
        },
    )

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


dashboard_page(_("Financial Operations"), FilteredDashboard(page=PAGE, build=build, draw=draw))
