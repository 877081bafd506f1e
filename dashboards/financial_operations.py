"""Financial Operations: invoices, payment failures, dunning, DSO, reconciliation, jobs.

Pure functions of the ``finance_*`` detail frames (core/metrics/frames/finance.py), the
snapshot's ``tenants`` frame and the filters. Invoices are counted by the day they were
issued; payment outcomes by the month the payment was created; reconciliation by the
month the booking started (a date range covers every month it touches). Tier, vertical,
province and partner filters select tenants by their current profile. The Partnerships
and Regional pages reuse ``make_tile`` and ``DayRange`` from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.inflation.deflate import to_constant_ars
from core.metrics.registry import METRICS
from dashboards.filters import Filters
from dashboards.kit import (
    NO_DATA,
    DayRange,
    Tile,
    day_range,
    legend_below,
    mark_month_to_date,
)
from dashboards.kit import definition_tile as make_tile
from dashboards.theme import Colors, empty_figure, new_figure

FAILED_INVOICE = ("failed", "written_off")
JOB_TILE_DAYS = 7

TILES = (
    "invoices_issued",
    "invoices_paid",
    "invoices_failed",
    "dso",
    "payment_failure_rate",
    "dunning_recovery",
    "reconciled",
    "job_success",
)
MISMATCH_KINDS = {
    "unpaid": N_("Completed, no approved payment"),
    "paid_not_completed": N_("Payment on a booking not completed"),
    "amount_differs": N_("Paid amount differs from price"),
}
INVOICE_OUTCOMES = {  # outcome -> label, colour
    "paid_first": (N_("Paid at first attempt"), Colors.PRIMARY),
    "recovered": (N_("Paid after retries"), Colors.POSITIVE),
    "open": (N_("Open (not charged yet)"), Colors.FUTURE),
    "failed": (N_("Failed, being retried"), Colors.ACCENT),
    "written_off": (N_("Written off"), Colors.NEGATIVE),
}


# ------------------------------------------------------------------------ tiles
def _in_months(frame: pd.DataFrame, period: DayRange) -> pd.DataFrame:
    return frame[frame["month"].isin(period.months())]


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else float(numerator) / float(denominator)


# ---------------------------------------------------------------------- figures
def invoice_outcome(invoices: pd.DataFrame) -> pd.Series:
    """paid_first, recovered, open, failed or written_off for each invoice."""
    failed_once = (invoices["attempts"] > 1) | invoices["status"].isin(("retried", *FAILED_INVOICE))
    paid = invoices["paid_on"].notna()
    return pd.Series(
        np.select(
            [paid & ~failed_once, paid, invoices["status"] == "written_off", failed_once],
            ["paid_first", "recovered", "written_off", "failed"],
            default="open",
        ),
        index=invoices.index,
    )


def receivables(invoices: pd.DataFrame, day: date) -> float:
    """ARS invoiced on or before ``day`` and not paid by then (write-offs excluded)."""
    moment = pd.Timestamp(day)
    open_then = (
        (invoices["issued_on"] <= moment)
        & (invoices["status"] != "written_off")
        & (invoices["paid_on"].isna() | (invoices["paid_on"] > moment))
    )
    return float(invoices.loc[open_then, "amount_ars"].sum())


def invoice_figures(invoices: pd.DataFrame, period: DayRange) -> dict[str, float | None]:
    issued = invoices[period.mask(invoices["issued_on"])]
    outcome = invoice_outcome(issued)
    failed_once = outcome.isin(("recovered", "failed", "written_off"))
    billed = float(issued["amount_ars"].sum())
    ar = receivables(invoices, period.end)
    return {
        "invoices_issued": float(len(issued)),
        "invoices_paid": float(outcome.isin(("paid_first", "recovered")).sum()),
        "invoices_failed": float(outcome.isin(("failed", "written_off")).sum()),
        "dunning_recovery": _ratio((outcome == "recovered").sum(), failed_once.sum()),
        "in_dunning": float((outcome == "failed").sum()),
        "recovered": float((outcome == "recovered").sum()),
        "failed_once": float(failed_once.sum()),
        "billed_ars": billed,
        "receivables_ars": ar,
        "dso": None if billed == 0 else ar / billed * period.days,
    }


def payment_figures(payments: pd.DataFrame) -> dict[str, float | None]:
    settled = float((payments["payments"] - payments["pending"]).sum())
    return {"payment_failure_rate": _ratio(payments["failed"].sum(), settled)}


def reconciliation_figures(recon: pd.DataFrame) -> dict[str, float | None]:
    completed = float(recon["completed"].sum())
    mismatched = float((recon["unpaid"] + recon["amount_differs"]).sum())
    return {
        "reconciled": _ratio(completed - mismatched, completed),
        "mismatches": mismatched + float(recon["paid_not_completed"].sum()),
    }


def job_figures(daily: pd.DataFrame, as_of: date) -> tuple[float | None, float | None]:
    """Job success rate of the last 7 days (to ``as_of``) and of the 7 days before."""
    now = DayRange(as_of - timedelta(days=JOB_TILE_DAYS - 1), as_of)
    rates = []
    for period in (now, now.previous):
        rows = daily[period.mask(daily["day"])] if len(daily) else daily
        ok = float(rows.loc[rows["status"] == "success", "runs"].sum()) if len(rows) else 0.0
        bad = float(rows.loc[rows["status"] == "failed", "runs"].sum()) if len(rows) else 0.0
        rates.append(_ratio(ok, ok + bad))
    return rates[0], rates[1]


def _month_axis(figure: go.Figure) -> None:
    figure.update_xaxes(tickformat="%m/%Y", hoverformat="%m/%Y", dtick="M1")


def invoices_figure(invoices: pd.DataFrame, period: DayRange, *, locale: str) -> go.Figure:
    """Invoices by issue month, stacked by outcome; a click on a month filters the page."""
    _ = translator(locale)
    title = _("Invoices by issue month and outcome")
    issued = invoices[period.mask(invoices["issued_on"])]
    if issued.empty:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    month = issued["issued_on"].dt.to_period("M").dt.to_timestamp()
    counts = issued.groupby([month, invoice_outcome(issued)]).size().unstack(fill_value=0)
    figure = new_figure(title=title, locale=locale)
    for outcome, (label, colour) in INVOICE_OUTCOMES.items():
        if outcome in counts:
            figure.add_bar(
                x=counts.index,
                y=counts[outcome],
                name=_(label),
                marker={"color": colour},
                hovertemplate="%{y:,.0f}<extra>" + _(label) + "</extra>",
            )
    figure.update_layout(barmode="stack")
    legend_below(figure)
    _month_axis(figure)
    return figure


def failure_by_method(payments: pd.DataFrame) -> pd.DataFrame:
    """Per payment method: payments, failed, settled and the failure rate."""
    by = payments.groupby("method")[["payments", "failed", "pending", "approved"]].sum()
    by["settled"] = by["payments"] - by["pending"]
    by["failure_rate"] = by["failed"] / by["settled"].where(by["settled"] > 0)
    return by.reset_index().sort_values("failure_rate", ascending=False)


def failure_figure(by_method: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Payment failure rate by method")
    if by_method.empty or by_method["settled"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=[_(m) for m in by_method["method"]],
        y=by_method["failure_rate"],
        marker={"color": Colors.NEGATIVE},
        customdata=np.column_stack([by_method["failed"], by_method["settled"]]),
        hovertemplate="%{y:.2%} · %{customdata[0]:,.0f} / %{customdata[1]:,.0f}<extra></extra>",
    )
    figure.update_yaxes(tickformat=".1%", rangemode="tozero")
    figure.update_layout(showlegend=False, hovermode="closest")
    return figure


def reconciliation_monthly(recon: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "completed",
        "completed_ars",
        "paid_ars",
        "unpaid",
        "amount_differs",
        "paid_not_completed",
        "paid_not_completed_ars",
    ]
    return recon.groupby("month", as_index=False)[columns].sum().sort_values("month")


def reconciliation_figure(monthly: pd.DataFrame, *, locale: str) -> go.Figure:
    """Completed bookings' value vs approved payments on them, per month."""
    _ = translator(locale)
    title = _("Completed bookings vs approved payments")
    if monthly.empty or monthly["completed"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    mismatches = monthly["unpaid"] + monthly["amount_differs"] + monthly["paid_not_completed"]
    for column, label, colour in (
        ("completed_ars", N_("Completed bookings (ARS)"), Colors.PRIMARY_LIGHT),
        ("paid_ars", N_("Approved payments on them (ARS)"), Colors.SECONDARY),
    ):
        figure.add_bar(
            x=monthly["month"],
            y=monthly[column],
            name=_(label),
            marker={"color": colour},
            customdata=mismatches,
            hovertemplate="$ %{y:,.0f} · "
            + _("mismatches")
            + ": %{customdata:,.0f}"
            + "<extra>"
            + _(label)
            + "</extra>",
        )
    figure.update_layout(barmode="group")
    legend_below(figure)
    figure.update_yaxes(tickprefix="$ ", tickformat="~s")
    _month_axis(figure)
    return figure


def jobs_figure(daily: pd.DataFrame, *, locale: str) -> go.Figure:
    """Scheduler runs per day, stacked by status."""
    _ = translator(locale)
    title = _("Scheduler job runs per day")
    if daily.empty:
        return empty_figure(title=title, locale=locale, message=_("No job has run yet."))
    by = daily.groupby(["day", "status"])["runs"].sum().unstack(fill_value=0)
    figure = new_figure(title=title, locale=locale)
    colours = {
        "success": Colors.POSITIVE,
        "failed": Colors.NEGATIVE,
        "skipped": Colors.FUTURE,
        "running": Colors.ACCENT,
    }
    for status, colour in colours.items():
        if status in by:
            figure.add_bar(
                x=by.index,
                y=by[status],
                name=_(status),
                marker={"color": colour},
                hovertemplate="%{y:,.0f}<extra>" + _(status) + "</extra>",
            )
    figure.update_layout(barmode="stack")
    legend_below(figure)
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    return figure


# ----------------------------------------------------------------------- tables
TENANT_COLUMNS = [
    "tenant_id",
    "trade_name",
    "tier",
    "vertical",
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
]


def tenant_table(
    invoices: pd.DataFrame,
    payments: pd.DataFrame,
    recon: pd.DataFrame,
    tenants: pd.DataFrame,
    period: DayRange,
) -> pd.DataFrame:
    """One row per filtered tenant with activity in the period."""
    issued = invoices[period.mask(invoices["issued_on"])]
    inv = issued.assign(bad=invoice_outcome(issued).isin(("failed", "written_off")))
    inv = inv.groupby("tenant_id").agg(
        invoices=("invoice_id", "size"), invoices_failed=("bad", "sum")
    )
    moment = pd.Timestamp(period.end)
    open_then = (
        (invoices["issued_on"] <= moment)
        & (invoices["status"] != "written_off")
        & (invoices["paid_on"].isna() | (invoices["paid_on"] > moment))
    )
    ar = invoices[open_then].groupby("tenant_id")["amount_ars"].sum().rename("receivables_ars")
    pay = payments.groupby("tenant_id")[["payments", "failed", "pending"]].sum()
    pay["payment_failure_rate"] = pay["failed"] / (pay["payments"] - pay["pending"]).where(
        pay["payments"] > pay["pending"]
    )
    rec = recon.groupby("tenant_id")[
        ["completed_ars", "paid_ars", "unpaid", "amount_differs", "paid_not_completed"]
    ].sum()
    rec["difference_ars"] = rec["paid_ars"] - rec["completed_ars"]
    rec["mismatches"] = rec["unpaid"] + rec["amount_differs"] + rec["paid_not_completed"]
    out = tenants.set_index("tenant_id")[["trade_name", "tier", "vertical", "province"]].join(
        [
            inv,
            ar,
            pay[["payments", "payment_failure_rate"]],
            rec[["completed_ars", "paid_ars", "difference_ars", "mismatches"]],
        ],
        how="left",
    )
    counts = ["invoices", "invoices_failed", "payments", "mismatches"]
    out[counts] = out[counts].fillna(0).astype("int64")
    money = ["receivables_ars", "completed_ars", "paid_ars", "difference_ars"]
    out[money] = out[money].fillna(0.0)
    out = out[(out["invoices"] > 0) | (out["payments"] > 0) | (out["completed_ars"] > 0)]
    out = out.reset_index().sort_values(["mismatches", "receivables_ars"], ascending=False)
    return out[TENANT_COLUMNS].reset_index(drop=True)


def mismatch_table(
    mismatches: pd.DataFrame, tenants: pd.DataFrame, period: DayRange, *, locale: str
) -> pd.DataFrame:
    _ = translator(locale)
    rows = mismatches[
        period.mask(mismatches["day"]) & mismatches["tenant_id"].isin(tenants["tenant_id"])
    ]
    names = tenants.set_index("tenant_id")["trade_name"]
    return rows.assign(
        trade_name=rows["tenant_id"].map(names),
        # translated once per distinct value: the list can hold thousands of rows
        kind=rows["kind"].map({k: _(v) for k, v in MISMATCH_KINDS.items()}),
        booking_status=rows["booking_status"].map(
            {s: _(s) for s in rows["booking_status"].unique()}
        ),
    ).reset_index(drop=True)


# ------------------------------------------------------------------------ the view
@dataclass
class FinanceView:
    """Everything the Financial Operations page shows, or ``message`` when nothing."""

    message: str | None = None
    tiles: list[Tile] | None = None
    invoices: go.Figure | None = None
    failures: go.Figure | None = None
    reconciliation: go.Figure | None = None
    jobs_chart: go.Figure | None = None
    jobs: pd.DataFrame | None = None
    detail: pd.DataFrame | None = None
    mismatches: pd.DataFrame | None = None
    notes: list[str] | None = None


def _restate(
    frame: pd.DataFrame,
    columns: list[str],
    month: pd.Series,
    filters: Filters,
    cpi: pd.DataFrame | None,
) -> pd.DataFrame:
    if filters.constant_ars_month is None or cpi is None or frame.empty:
        return frame
    restated = to_constant_ars(
        frame.assign(_month=month),
        columns,
        month_column="_month",
        base_month=filters.constant_ars_month,
        cpi=cpi,
    )
    return restated.drop(columns="_month")


def build_view(
    frames: dict[str, pd.DataFrame],
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
    cpi: pd.DataFrame | None = None,
) -> FinanceView:
    """The Financial Operations page for these filters.

    ``frames`` holds the provider's ``finance_*`` frames by name.
    """
    _ = translator(locale)
    problem = filters.problem(today=as_of, locale=locale)
    if problem:
        return FinanceView(message=problem)
    chosen = filters.filter_tenants(tenants)
    if chosen.empty:
        return FinanceView(
            message=_("No tenant matches these filters (tier, vertical, province, partner).")
        )
    invoices = frames["finance_invoices"]
    earliest = invoices["issued_on"].min().date() if len(invoices) else None
    period = day_range(filters, as_of=as_of, earliest=earliest)
    if period is None:
        return FinanceView(message=_(NO_DATA))
    ids = chosen["tenant_id"]
    invoices = invoices[invoices["tenant_id"].isin(ids)]
    invoices = _restate(invoices, ["amount_ars"], invoices["issued_on"], filters, cpi)
    payments = frames["finance_payments_monthly"]
    payments = payments[payments["tenant_id"].isin(ids)]
    recon = frames["finance_reconciliation_monthly"]
    recon = recon[recon["tenant_id"].isin(ids)]
    recon = _restate(
        recon, ["completed_ars", "paid_ars", "paid_not_completed_ars"], recon["month"], filters, cpi
    )
    mismatches = frames["finance_mismatches"]
    mismatches = _restate(
        mismatches, ["booking_ars", "paid_ars", "difference_ars"], mismatches["day"], filters, cpi
    )
    pay_now, pay_before = _in_months(payments, period), _in_months(payments, period.month_range())
    rec_now, rec_before = _in_months(recon, period), _in_months(recon, period.month_range())
    if invoices[period.mask(invoices["issued_on"])].empty and pay_now.empty and rec_now.empty:
        return FinanceView(message=_(NO_DATA))

    now = {
        **invoice_figures(invoices, period),
        **payment_figures(pay_now),
        **reconciliation_figures(rec_now),
    }
    before = {
        **invoice_figures(invoices, period.previous),
        **payment_figures(pay_before),
        **reconciliation_figures(rec_before),
    }
    now["job_success"], before["job_success"] = job_figures(frames["finance_job_runs_daily"], as_of)
    notes = {
        "dso": _("Receivables {ar} at the end of the period; invoiced {billed}.").format(
            ar=fmt.format_money(now["receivables_ars"], locale=locale),
            billed=fmt.format_money(now["billed_ars"], locale=locale),
        ),
        "dunning_recovery": _(
            "{recovered} of {failed} recovered; {open} still being retried."
        ).format(
            recovered=fmt.format_count(now["recovered"], locale=locale),
            failed=fmt.format_count(now["failed_once"], locale=locale),
            open=fmt.format_count(now["in_dunning"], locale=locale),
        ),
        "reconciled": _("{n} mismatches in the period's months.").format(
            n=fmt.format_count(now["mismatches"], locale=locale)
        ),
    }
    jobs_week = DayRange(as_of - timedelta(days=JOB_TILE_DAYS - 1), as_of)
    months = period.month_span()
    periods = {"payment_failure_rate": months, "reconciled": months, "job_success": jobs_week}
    tiles = [
        make_tile(
            METRICS[k],
            now[k],
            before[k],
            locale=locale,
            note=notes.get(k, ""),
            period=periods.get(k, period),
        )
        for k in TILES
    ]
    partial = {"month": months.month_to_date, "through": months.through, "locale": locale}
    coverage = frames["finance_coverage"]
    notes_out = []
    if len(coverage) and not bool(coverage["complete"].iloc[0]):
        notes_out.append(
            _(
                "Payments and reconciliation are computed from {day} on; older history is still "
                "being computed in the background and appears within minutes."
            ).format(day=fmt.format_date(coverage["covered_from"].iloc[0].date(), locale=locale))
        )
    jobs = frames["finance_jobs"].copy()
    return FinanceView(
        tiles=tiles,
        invoices=mark_month_to_date(invoices_figure(invoices, period, locale=locale), **partial),
        failures=failure_figure(failure_by_method(pay_now), locale=locale),
        reconciliation=mark_month_to_date(
            reconciliation_figure(reconciliation_monthly(rec_now), locale=locale), **partial
        ),
        jobs_chart=jobs_figure(frames["finance_job_runs_daily"], locale=locale),
        jobs=jobs,
        detail=tenant_table(invoices, pay_now, rec_now, chosen, period),
        mismatches=mismatch_table(mismatches, chosen, period, locale=locale),
        notes=notes_out,
    )
