"""The metric registry: every metric the console shows is declared here, once.

A metric's computation reads the platform-level daily frame of a snapshot (one row per
local day) and returns its value for a window ending on ``end`` (inclusive). The same
entry gives the label, the unit and the definition shown to users on hover.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.i18n import N_
from core.reference.holiday_calendar import holidays_between

Window = tuple[date, date]  # inclusive start and end day


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # the kit's units (dashboards/kit/tiles.py): ars, ratio, count, score, ...
    definition: str
    # point (at a moment), window or period (over the page's period of days), today (so
    # far) or status (of the console's own machinery)
    grain: str
    # Reads a snapshot's daily frame; None for the "today so far" figures, which the
    # refresh counts from raw rows (core/metrics/today.py).
    compute: Callable[[pd.DataFrame, Window], float | None] | None
    # Which way a change is good; None when neither (the change is shown uncoloured).
    higher_is_better: bool | None = True
    # Compared like for like (``comparable_days``): the volume of a day depends on the
    # calendar, so a holiday entering the window must not read as a trend.
    by_calendar: bool = False
    # Where the figure is computed when ``compute`` is None: the dashboard builder (or
    # core module) whose function returns it, for readers of the Definitions page.
    source: str = "core.metrics.registry"


class DailyColumns(dict):
    """A daily frame as plain numpy columns: metrics slice it many times per refresh."""

    def __init__(self, daily: pd.DataFrame | dict) -> None:
        if isinstance(daily, pd.DataFrame):
            super().__init__({name: daily[name].to_numpy() for name in daily.columns})
        else:
            super().__init__(daily)

    @property
    def empty(self) -> bool:
        return len(self["day"]) == 0


def _rows(daily: pd.DataFrame | DailyColumns, window: Window) -> DailyColumns:
    # ``daily`` is sorted by day, so a window is a slice found by binary search.
    columns = daily if isinstance(daily, DailyColumns) else DailyColumns(daily)
    start, end = window
    days = columns["day"]
    first = int(np.searchsorted(days, start, side="left"))  # type: ignore[call-overload]
    last = int(np.searchsorted(days, end, side="right"))  # type: ignore[call-overload]
    return DailyColumns({name: values[first:last] for name, values in columns.items()})


def _point(column: str) -> Callable[[pd.DataFrame, Window], float | None]:
    def compute(daily: pd.DataFrame, window: Window) -> float | None:
        rows = _rows(daily, (window[1], window[1]))
        return None if rows.empty else float(rows[column][0])

    return compute


def _window_sum(column: str) -> Callable[[pd.DataFrame, Window], float | None]:
    def compute(daily: pd.DataFrame, window: Window) -> float | None:
        rows = _rows(daily, window)
        return None if rows.empty else float(rows[column].sum())

    return compute


def _window_ratio(
    numerator: str, denominator: str
) -> Callable[[pd.DataFrame, Window], float | None]:
    def compute(daily: pd.DataFrame, window: Window) -> float | None:
        rows = _rows(daily, window)
        total = float(rows[denominator].sum()) if not rows.empty else 0.0
        return None if total == 0 else float(rows[numerator].sum()) / total

    return compute


def _arr(daily: pd.DataFrame, window: Window) -> float | None:
    mrr = _point("mrr_ars")(daily, window)
    return None if mrr is None else 12 * mrr


def _logo_churn(daily: pd.DataFrame, window: Window) -> float | None:
    # Tenants churned during the window over tenants active the day before it began.
    start = window[0]
    before = _rows(daily, (start - timedelta(days=1), start - timedelta(days=1)))
    if before.empty or float(before["active_tenants"][0]) == 0:
        return None
    churned = float(_rows(daily, window)["churned_tenants"].sum())
    return churned / float(before["active_tenants"][0])


def _no_show_rate(daily: pd.DataFrame, window: Window) -> float | None:
    # Of the appointments that were due and not cancelled, the share nobody came to.
    rows = _rows(daily, window)
    decided = float((rows["completed"] + rows["no_show"]).sum()) if not rows.empty else 0.0
    return None if decided == 0 else float(rows["no_show"].sum()) / decided


def _register(metrics: list[Metric]) -> dict[str, Metric]:
    """Metrics by key; two with one key or one label are a mistake caught at import."""
    by_key: dict[str, Metric] = {}
    for metric in metrics:
        if metric.key in by_key:
            raise ValueError(f"metric {metric.key!r} is declared twice")
        by_key[metric.key] = metric
    labels = [metric.label for metric in metrics]
    if len(set(labels)) != len(labels):
        raise ValueError(f"two metrics share a label: {sorted(labels)}")
    return by_key


# Every metric the console shows, once: the platform's headline metrics first (computed
# here from the daily frame), then each domain's (computed by the module in ``source``).
METRICS: dict[str, Metric] = _register(
    [
        Metric(
            "mrr",
            N_("MRR"),
            "ars",
            N_(
                "Monthly recurring revenue: the sum of the monthly plan prices (ARS) of every "
                "subscription period open at the close of the period's last day; for a period "
                "of months, the last day of its last month (the latest refresh for the month "
                "in progress)."
            ),
            "point",
            _point("mrr_ars"),
        ),
        Metric(
            "arr",
            N_("ARR"),
            "ars",
            N_("Annual recurring revenue: 12 × MRR at the close of the period."),
            "point",
            _arr,
        ),
        Metric(
            "active_tenants",
            N_("Active tenants"),
            "count",
            N_("Businesses signed up by the close of the period and not churned by then."),
            "point",
            _point("active_tenants"),
        ),
        Metric(
            "bookings",
            N_("Bookings"),
            "count",
            N_(
                "Appointments starting in the period, whatever their status "
                "(completed, cancelled, no-show or still scheduled)."
            ),
            "window",
            _window_sum("bookings"),
            by_calendar=True,
        ),
        Metric(
            "gmv",
            N_("GMV"),
            "ars",
            N_(
                "Gross merchandise value: the price (ARS) of the appointments completed in "
                "the period, as charged by the business to its clients."
            ),
            "window",
            _window_sum("gmv_ars"),
            by_calendar=True,
        ),
        Metric(
            "logo_churn",
            N_("Logo churn"),
            "ratio",
            N_(
                "Tenants that churned in the period divided by the tenants active the day "
                "before the period began."
            ),
            "window",
            _logo_churn,
            higher_is_better=False,
        ),
        Metric(
            "no_show_rate",
            N_("No-show rate"),
            "ratio",
            N_(
                "No-shows divided by appointments that came due and were not cancelled "
                "(completed + no-show), over appointments starting in the period."
            ),
            "window",
            _no_show_rate,
            higher_is_better=False,
            by_calendar=True,
        ),
        Metric(
            "cancellation_rate",
            N_("Cancellation rate"),
            "ratio",
            N_("Cancelled appointments divided by all appointments starting in the period."),
            "window",
            _window_ratio("cancelled", "bookings"),
            higher_is_better=False,
            by_calendar=True,
        ),
        # Revenue, churn and lifetime value (computed by dashboards/revenue_subscriptions.py)
        Metric(
            "arpa",
            N_("ARPA"),
            "ars",
            N_(
                "Average revenue per account: MRR divided by the tenants paying at the end of "
                "the period."
            ),
            "period",
            None,
            source="dashboards.revenue_subscriptions",
        ),
        Metric(
            "nrr",
            N_("NRR (12 m)"),
            "ratio",
            N_(
                "Net revenue retention over 12 months, in nominal pesos: the MRR in the "
                "period's last month of the tenants that were paying 12 months before, over "
                "their MRR then (price updates, expansion, contraction and churn count; new "
                "tenants do not). Always 12 months, whatever the date range."
            ),
            "period",
            None,
            source="core.metrics.revenue_figures",
        ),
        Metric(
            "grr",
            N_("GRR (12 m)"),
            "ratio",
            N_(
                "Gross revenue retention over 12 months, in nominal pesos: like NRR (12 m) but "
                "each tenant counts at most its MRR of 12 months before, so only contraction "
                "and churn move it."
            ),
            "period",
            None,
            source="core.metrics.revenue_figures",
        ),
        Metric(
            "quick_ratio",
            N_("Quick ratio"),
            "multiple",
            N_(
                "(New + expansion MRR) / (contraction + churned MRR) over the period; above 1 "
                "the business grows. Reactivations are not counted."
            ),
            "period",
            None,
            source="dashboards.revenue_subscriptions",
        ),
        Metric(
            "gross_mrr_churn",
            N_("Gross MRR churn"),
            "ratio",
            N_("(Churned + contraction MRR) in the period / MRR at its start."),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.revenue_subscriptions",
        ),
        Metric(
            "net_mrr_churn",
            N_("Net MRR churn"),
            "ratio",
            N_(
                "(Churned + contraction − expansion MRR) in the period / MRR at its start; "
                "negative when expansion outgrows losses."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.revenue_subscriptions",
        ),
        Metric(
            "movements",
            N_("MRR movements"),
            "ars",
            N_(
                "Each tenant's month-over-month MRR change: new (first payment), "
                "reactivation (back from zero), churn (to zero) and, for a tenant paying both "
                "months, list-price updates (the change on the days a new list price took "
                "effect) and plan/seat changes (the rest: upgrades, downgrades, locations). "
                "Expansion and contraction are the rises and falls of those two parts; all "
                "the parts add up to the change of MRR."
            ),
            "period",
            None,
            source="core.metrics.revenue_figures",
        ),
        Metric(
            "paying_logo_churn",
            N_("Paying-tenant churn"),
            "ratio",
            N_(
                "Tenants whose MRR went to zero in the period over the tenants paying at its "
                "start (a tenant that later came back still counts as a churn)."
            ),
            "period",
            None,
            higher_is_better=False,
            source="core.metrics.revenue_figures",
        ),
        Metric(
            "churned_tenants",
            N_("Churned tenants"),
            "count",
            N_("Churn events in the period (MRR from > 0 to 0)."),
            "period",
            None,
            higher_is_better=False,
            source="core.metrics.revenue_figures",
        ),
        Metric(
            "churned_mrr",
            N_("Churned MRR"),
            "ars",
            N_("MRR the churned tenants paid the month before they left."),
            "period",
            None,
            higher_is_better=False,
            source="core.metrics.revenue_figures",
        ),
        Metric(
            "mrr_at_risk",
            N_("MRR at risk"),
            "ars",
            N_(
                "MRR of paying tenants the churn model gives a probability of churning of 30 % "
                "or more (or, until the model has scored them, whose bookings of the last 28 "
                "complete days fell by 30 % or more from the 28 days before, from at least 10)."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.churn_retention",
        ),
        Metric(
            "ltv",
            N_("LTV"),
            "ars",
            N_(
                "Lifetime value in today's pesos: ARPA × gross margin × discounted expected "
                "lifetime (sBG fitted on monthly survival by tier and signup year; trailing "
                "6-month churn where it cannot be fitted)."
            ),
            "period",
            None,
            source="dashboards.lifetime_value",
        ),
        Metric(
            "lifetime",
            N_("Expected lifetime"),
            "months",
            N_("Discounted expected lifetime of a new tenant in months (10-year horizon)."),
            "period",
            None,
            source="dashboards.lifetime_value",
        ),
        Metric(
            "trailing_churn",
            N_("Monthly churn (6 m)"),
            "ratio",
            N_(
                "Churn events of the last 6 complete months over the tenants paying at the "
                "start of each month."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.lifetime_value",
        ),
        Metric(
            "nrr_constant",
            N_("NRR (12 m, constant ARS)"),
            "ratio",
            N_(
                "NRR (12 m) with the MRR of both months restated in constant pesos by the CPI: "
                "below 100 % when the retained tenants' MRR did not keep up with inflation. "
                "Any base month gives the same ratio."
            ),
            "period",
            None,
            source="core.metrics.revenue_figures",
        ),
        Metric(
            "grr_constant",
            N_("GRR (12 m, constant ARS)"),
            "ratio",
            N_(
                "GRR (12 m) in constant pesos: a tenant whose MRR rose less than inflation "
                "counts as contraction."
            ),
            "period",
            None,
            source="core.metrics.revenue_figures",
        ),
        # Bookings and demand (computed by dashboards/bookings_demand.py)
        Metric(
            "average_ticket",
            N_("Average ticket"),
            "ars",
            N_("GMV divided by the completed appointments of the period."),
            "period",
            None,
            source="dashboards.bookings_demand",
        ),
        Metric(
            "lead_time",
            N_("Lead time"),
            "count",
            N_(
                "Calendar days from the day a booking was made to the day of the appointment "
                "(walk-ins are same day), over the months the period touches."
            ),
            "period",
            None,
            source="dashboards.bookings_demand",
        ),
        Metric(
            "holiday_effect",
            N_("Holiday effect"),
            "ratio",
            N_(
                "Bookings on an Argentine national holiday (the `holidays` package, as the "
                "forecast uses it) over the mean of the same weekday on the non-holiday days "
                "within four weeks before and after it, minus one."
            ),
            "period",
            None,
            source="dashboards.bookings_demand",
        ),
        # Operational efficiency (computed by dashboards/operational_efficiency.py)
        Metric(
            "utilization",
            N_("Utilization"),
            "ratio",
            N_(
                "Booked minutes (every appointment not cancelled; no-shows held the chair) "
                "divided by the staff minutes available: each active staff member's working "
                "hours on each day's weekday (weekly minutes / 7 a day where none are stored), "
                "from their hire date, on the days the business was live; over the whole weeks "
                "(Monday to Sunday) that start in the period."
            ),
            "period",
            None,
            source="dashboards.operational_efficiency",
        ),
        Metric(
            "rebooking_rate",
            N_("Rebooking rate"),
            "ratio",
            N_(
                "Share of completed appointments after which the same client's next booking "
                "at the same business (not cancelled) starts within 45 calendar days. Counted "
                "only for appointments at least 45 days old, so every one had its full window."
            ),
            "period",
            None,
            source="dashboards.operational_efficiency",
        ),
        Metric(
            "revenue_per_staff_hour",
            N_("Revenue per staff hour"),
            "ars",
            N_(
                "GMV of completed appointments divided by the staff hours available (as for "
                "Utilization), over the whole weeks that start in the period."
            ),
            "period",
            None,
            source="dashboards.operational_efficiency",
        ),
        Metric(
            "returning_share",
            N_("Returning clients"),
            "ratio",
            N_(
                "Clients with a completed appointment in a month who were already clients "
                "before it (the business registered them in an earlier month), over all "
                "clients served that month; summed over the months of the period."
            ),
            "period",
            None,
            source="dashboards.operational_efficiency",
        ),
        # Financial operations (computed by dashboards/financial_operations.py)
        Metric(
            "invoices_issued",
            N_("Invoices issued"),
            "count",
            N_("Subscription invoices issued in the period (one per tenant per month)."),
            "period",
            None,
            source="dashboards.financial_operations",
        ),
        Metric(
            "invoices_paid",
            N_("Invoices paid"),
            "count",
            N_(
                "Invoices issued in the period that have been paid (at the first attempt or "
                "after retries)."
            ),
            "period",
            None,
            source="dashboards.financial_operations",
        ),
        Metric(
            "invoices_failed",
            N_("Invoices failed"),
            "count",
            N_(
                "Invoices issued in the period whose charge failed and that are unpaid: still "
                "being retried (failed) or written off."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.financial_operations",
        ),
        Metric(
            "dso",
            N_("DSO (days)"),
            "days",
            N_(
                "Days sales outstanding = receivables at the end of the period ÷ amount invoiced "
                "in the period × days in the period. Receivables are invoices issued by then and "
                "not paid by then; written-off invoices are not receivables."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.financial_operations",
        ),
        Metric(
            "payment_failure_rate",
            N_("Payment failure rate"),
            "ratio",
            N_(
                "Payments (by clients to tenants) that ended rejected, cancelled or charged back, "
                "over all payments with a final status (pending and in-process left out), by "
                "the month the payment was created."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.financial_operations",
        ),
        Metric(
            "dunning_recovery",
            N_("Dunning recovery rate"),
            "ratio",
            N_(
                "Of the invoices issued in the period whose charge failed at least once (more "
                "than one attempt, or status retried, failed or written off), the share that was "
                "eventually paid. Invoices still being retried count as not recovered yet."
            ),
            "period",
            None,
            source="dashboards.financial_operations",
        ),
        Metric(
            "reconciled",
            N_("Bookings reconciled"),
            "ratio",
            N_(
                "Completed bookings (by the month they started) whose approved payments, linked "
                "by booking, add up to the booking's price, over all completed bookings. Today's "
                "bookings are not reconciled yet."
            ),
            "period",
            None,
            source="dashboards.financial_operations",
        ),
        Metric(
            "job_success",
            N_("Job success rate (7 d)"),
            "ratio",
            N_(
                "Scheduler job runs of the last 7 days that succeeded, over those that finished "
                "(succeeded or failed); skipped runs are left out. Compared with the 7 days before."
            ),
            "period",
            None,
            source="dashboards.financial_operations",
        ),
        # Regions (computed by dashboards/regional_performance.py)
        Metric(
            "provinces",
            N_("Provinces with tenants"),
            "count",
            N_("Provinces (and CABA) with at least one tenant active at the end of the period."),
            "period",
            None,
            source="dashboards.regional_performance",
        ),
        Metric(
            "cities",
            N_("Cities with tenants"),
            "count",
            N_("Cities with at least one tenant active at the end of the period."),
            "period",
            None,
            source="dashboards.regional_performance",
        ),
        Metric(
            "growth",
            N_("GMV growth"),
            "ratio",
            N_(
                "GMV of the period over the GMV of the period of the same length just before "
                "it, minus one (by default the 13 weeks up to yesterday vs the 13 weeks before)."
            ),
            "period",
            None,
            source="dashboards.regional_performance",
        ),
        Metric(
            "new_tenants",
            N_("New tenants"),
            "count",
            N_("Tenants that signed up during the period."),
            "period",
            None,
            source="dashboards.regional_performance",
        ),
        Metric(
            "top_share",
            N_("Top province's GMV share"),
            "ratio",
            N_("Share of the period's GMV made in the province with the most GMV."),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.regional_performance",
        ),
        # Partnerships (computed by dashboards/partnerships.py)
        Metric(
            "referred_tenants",
            N_("Partner-referred tenants"),
            "count",
            N_(
                "Tenants attributed to a partner (the partner whose claim won, i.e. the last "
                "touch before signup) and active at the end of the period."
            ),
            "period",
            None,
            source="dashboards.partnerships",
        ),
        Metric(
            "new_referred",
            N_("New referred tenants"),
            "count",
            N_("Partner-referred tenants that signed up during the period."),
            "period",
            None,
            source="dashboards.partnerships",
        ),
        Metric(
            "referred_mrr",
            N_("Referred MRR"),
            "ars",
            N_(
                "MRR of partner-referred tenants at the end of the period's last month (today "
                "for the current month)."
            ),
            "period",
            None,
            source="dashboards.partnerships",
        ),
        Metric(
            "referred_gmv",
            N_("Referred GMV"),
            "ars",
            N_("GMV (completed appointments) of partner-referred tenants in the period."),
            "period",
            None,
            source="dashboards.partnerships",
        ),
        Metric(
            "payouts",
            N_("Revenue-share payouts"),
            "ars",
            N_(
                "What partners earn: each partner's revenue share (%) × the subscription "
                "revenue collected from the tenants it referred (invoices paid), per month, "
                "over the months the period touches."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.partnerships",
        ),
        Metric(
            "referred_churn",
            N_("Logo churn, referred"),
            "ratio",
            N_(
                "Of the partner-referred tenants active the day before the period began, the "
                "share that churned during it."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.partnerships",
        ),
        Metric(
            "organic_churn",
            N_("Logo churn, organic"),
            "ratio",
            N_(
                "Of the organic tenants (no partner) active the day before the period began, "
                "the share that churned during it."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.partnerships",
        ),
        Metric(
            "partners_active",
            N_("Partners with referred tenants"),
            "count",
            N_("Partners with at least one referred tenant active at the end of the period."),
            "period",
            None,
            source="dashboards.partnerships",
        ),
        # Customer health (computed by dashboards/customer_health.py from the stored scores)
        Metric(
            "green_tenants",
            N_("Green tenants"),
            "count",
            N_(
                "Scored tenants whose latest health score is in the green band, the healthy "
                "one; the change compares with 7 days ago."
            ),
            "point",
            None,
            source="dashboards.customer_health",
        ),
        Metric(
            "yellow_tenants",
            N_("Yellow tenants"),
            "count",
            N_(
                "Scored tenants whose latest health score is in the yellow band, between red "
                "and green; the change compares with 7 days ago."
            ),
            "point",
            None,
            higher_is_better=None,  # more yellow is neither better nor worse
            source="dashboards.customer_health",
        ),
        Metric(
            "red_tenants",
            N_("Red tenants"),
            "count",
            N_(
                "Scored tenants whose latest health score is in the red band, at risk; the "
                "change compares with 7 days ago."
            ),
            "point",
            None,
            higher_is_better=False,
            source="dashboards.customer_health",
        ),
        Metric(
            "mean_health_score",
            N_("Average health score"),
            "score",
            N_(
                "Mean health score (0-100) of the scored tenants; the change compares with "
                "the mean 7 days ago."
            ),
            "point",
            None,
            source="dashboards.customer_health",
        ),
        # Onboarding funnel (computed by dashboards/onboarding_funnel.py, by start-day cohort)
        Metric(
            "sessions_started",
            N_("Sessions started"),
            "count",
            N_("Onboarding wizard sessions started in the period (any outcome)."),
            "period",
            None,
            source="dashboards.onboarding_funnel",
        ),
        Metric(
            "activated",
            N_("Activated tenants"),
            "count",
            N_("Sessions started in the period that ended with a live tenant."),
            "period",
            None,
            source="dashboards.onboarding_funnel",
        ),
        Metric(
            "success_rate",
            N_("Success rate"),
            "ratio",
            N_(
                "Activated ÷ finished sessions (activated, abandoned or rejected) among those "
                "started in the period; sessions still in progress are left out."
            ),
            "period",
            None,
            source="dashboards.onboarding_funnel",
        ),
        Metric(
            "median_time_to_activate",
            N_("Median time to activate"),
            "minutes",
            N_("Median time from the start of the wizard to activation, over activated sessions."),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.onboarding_funnel",
        ),
        Metric(
            "auto_verification_rate",
            N_("Automated verification"),
            "ratio",
            N_(
                "Auto-approved ÷ verified: the share of approved businesses that verification "
                "approved with no manual review."
            ),
            "period",
            None,
            source="dashboards.onboarding_funnel",
        ),
        Metric(
            "median_time_to_first_booking",
            N_("Time to first booking"),
            "hours",
            N_(
                "Median time from activation to the tenant's first booking (when a client "
                "booked), over activated tenants that have one."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.onboarding_funnel",
        ),
        Metric(
            "stalled",
            N_("Stalled sessions"),
            "count",
            N_(
                "Sessions in progress, whatever day they started, with no step entered or "
                "completed for longer than the stall threshold."
            ),
            "point",
            None,
            higher_is_better=False,
            source="dashboards.onboarding_funnel",
        ),
        # Onboarding sessions (computed by dashboards/onboarding_sessions.py over the sessions
        # in progress and those touched in the last 7 days)
        Metric(
            "sessions_in_progress",
            N_("Sessions in progress"),
            "count",
            N_("Onboarding wizard sessions not yet activated, abandoned or rejected."),
            "point",
            None,
            higher_is_better=None,
            source="dashboards.onboarding_sessions",
        ),
        Metric(
            "idle_sessions",
            N_("Idle > 15 min"),
            "count",
            N_("In-progress sessions with no step or save for 15 min"),
            "point",
            None,
            higher_is_better=False,
            source="dashboards.onboarding_sessions",
        ),
        Metric(
            "went_live_7d",
            N_("Went live (7 d)"),
            "count",
            N_("Onboarding sessions that went live (activated) in the last 7 days."),
            "period",
            None,
            source="dashboards.onboarding_sessions",
        ),
        Metric(
            "median_time_to_live",
            N_("Median time to live"),
            "minutes",
            N_(
                "Median time from the start of the wizard to going live, over the sessions "
                "that went live in the last 7 days."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.onboarding_sessions",
        ),
        # One tenant (Tenant 360's signals, computed by core/queries/tenant_360.py; the
        # triage card's alert figures, computed when the alert fires)
        Metric(
            "health_score",
            N_("Health score"),
            "score",
            N_(
                "Latest stored health score (0-100) and its band; the change is against 7 days "
                "earlier."
            ),
            "point",
            None,
            source="core.models.health.score",
        ),
        Metric(
            "churn_probability",
            N_("Churn probability"),
            "ratio",
            N_("Probability of churning within the model's horizon, from the newest scoring run."),
            "point",
            None,
            higher_is_better=False,
            source="core.workflows.alerts.engine",
        ),
        Metric(
            "bookings_28d",
            N_("Bookings (28 d)"),
            "count",
            N_(
                "Bookings of the 28 days ending yesterday, the last complete day (the console's "
                "KPI window); the change is against the 28 days before."
            ),
            "period",
            None,
            source="core.queries.tenant_360",
        ),
        Metric(
            "logins_30d",
            N_("Admin logins (30 d)"),
            "count",
            N_("Logins of the tenant's staff to the BarberPro admin in the last 30 days."),
            "period",
            None,
            source="core.queries.tenant_360",
        ),
        Metric(
            "failed_invoices_90d",
            N_("Failed invoices (90 d)"),
            "count",
            N_("BarberPro invoices of the last 90 days that failed, were retried or written off."),
            "period",
            None,
            higher_is_better=False,
            source="core.queries.tenant_360",
        ),
        Metric(
            "open_tickets",
            N_("Open tickets"),
            "count",
            N_("Support tickets not closed yet."),
            "point",
            None,
            higher_is_better=False,
            source="core.queries.tenant_360",
        ),
        Metric(
            "last_nps",
            N_("Last NPS answer"),
            "score",
            N_("The tenant's most recent NPS score (0-10)."),
            "point",
            None,
            source="core.queries.tenant_360",
        ),
        Metric(
            "priority",
            N_("Priority"),
            "ars",
            N_("MRR at risk × churn probability: monthly revenue expected to be lost."),
            "point",
            None,
            higher_is_better=False,
            source="core.workflows.alerts.engine",
        ),
        Metric(
            "alert_mrr_at_risk",
            N_("Tenant MRR at risk"),
            "ars",
            N_(
                "The tenant's MRR when its alert last fired: the monthly revenue lost if it churns."
            ),
            "point",
            None,
            higher_is_better=False,
            source="dashboards.triage",
        ),
        Metric(
            "signal_count",
            N_("Signals"),
            "count",
            N_(
                "Rule signals that fired for this alert while it was open: the first, and each "
                "new signal that differed from the one before."
            ),
            "point",
            None,
            higher_is_better=False,
            source="core.workflows.alerts.engine",
        ),
        # Triage queue (computed by dashboards/triage.py over the alerts the filters show)
        Metric(
            "open_alerts",
            N_("Open alerts"),
            "count",
            N_("Alerts shown that are open: fired and waiting for the CS team."),
            "point",
            None,
            higher_is_better=False,
            source="dashboards.triage",
        ),
        Metric(
            "snoozed_alerts",
            N_("Snoozed alerts"),
            "count",
            N_("Alerts shown that are snoozed until a chosen day (a new signal reopens them)."),
            "point",
            None,
            higher_is_better=None,
            source="dashboards.triage",
        ),
        Metric(
            "escalated_alerts",
            N_("Escalated alerts"),
            "count",
            N_("Alerts shown that have been escalated to a manager or admin."),
            "point",
            None,
            higher_is_better=False,
            source="dashboards.triage",
        ),
        Metric(
            "priority_in_queue",
            N_("Priority in queue"),
            "ars",
            N_("Sum of MRR at risk × churn probability over the alerts shown."),
            "point",
            None,
            higher_is_better=False,
            source="dashboards.triage",
        ),
        # Intervention outcomes (computed by core/workflows/alerts/outcomes.py: treated vs
        # randomized holdout, at the chosen follow-up horizon)
        Metric(
            "holdout_churn",
            N_("Holdout churn"),
            "ratio",
            N_(
                "Share of the held-out alerts (no outreach) whose tenant churned within the "
                "follow-up window, among those whose window has ended."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.intervention_outcomes",
        ),
        Metric(
            "treated_churn",
            N_("Treated churn"),
            "ratio",
            N_(
                "Share of the treated alerts (worked by CS, whether or not they were) whose "
                "tenant churned within the follow-up window, among those whose window has ended."
            ),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.intervention_outcomes",
        ),
        Metric(
            "churn_reduction",
            N_("Churn reduction"),
            "ratio",
            N_("Holdout minus treated churn rate"),
            "period",
            None,
            source="dashboards.intervention_outcomes",
        ),
        Metric(
            "alerts_scored",
            N_("Alerts scored"),
            "count",
            N_("Alerts whose follow-up window has ended"),
            "period",
            None,
            source="dashboards.intervention_outcomes",
        ),
        # The console's machinery (computed by dashboards/platform_operations.py from job
        # runs and data-quality checks, and dashboards/refresh_jobs.py from the refresh status)
        Metric(
            "refresh_duration",
            N_("Refresh duration"),
            "seconds",
            N_("Median wall time of the successful metrics refreshes in the chosen window."),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.platform_operations",
        ),
        Metric(
            "rows_touched",
            N_("Rows touched"),
            "count",
            N_("Rows the last refresh read, rollup cells it recomputed and days it refolded."),
            "point",
            None,
            higher_is_better=None,
            source="dashboards.platform_operations",
        ),
        Metric(
            "job_failures",
            N_("Job failures"),
            "count",
            N_("Failed runs of any scheduled job in the chosen window."),
            "period",
            None,
            higher_is_better=False,
            source="dashboards.platform_operations",
        ),
        Metric(
            "quality_warnings",
            N_("Data-quality warnings"),
            "count",
            N_(
                "Checks with offending rows: orphans, missing required values, "
                "future-dated rows, empty tables."
            ),
            "point",
            None,
            higher_is_better=False,
            source="dashboards.platform_operations",
        ),
        Metric(
            "snapshot_version",
            N_("Snapshot"),
            "text",
            N_("The newest metric snapshot the pages read."),
            "status",
            None,
            source="dashboards.refresh_jobs",
        ),
        Metric(
            "snapshot_age",
            N_("Snapshot age"),
            "seconds",
            N_("How long ago the newest metric snapshot was computed."),
            "status",
            None,
            higher_is_better=False,
            source="dashboards.refresh_jobs",
        ),
        Metric(
            "last_refresh",
            N_("Last refresh"),
            "text",
            N_("How the latest run of the metrics refresh ended."),
            "status",
            None,
            source="dashboards.refresh_jobs",
        ),
        Metric(
            "heartbeat",
            N_("Scheduler heartbeat"),
            "seconds",
            N_("The newest beat of any scheduler (embedded or standalone)."),
            "status",
            None,
            higher_is_better=False,
            source="dashboards.refresh_jobs",
        ),
    ]
)

# Today's activity up to the refresh, against the same time a week earlier; computed by
# core/metrics/today.py into the snapshot's "today_so_far" table, in display order.
TODAY_SO_FAR: dict[str, Metric] = _register(
    [
        Metric(
            "today_bookings_made",
            N_("Bookings made today"),
            "count",
            N_(
                "Appointments booked since midnight, for any day (walk-ins included), up to the "
                "last refresh; compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
        ),
        Metric(
            "today_completed",
            N_("Visits completed today"),
            "count",
            N_(
                "Appointments that started since midnight and were completed, up to the last "
                "refresh; compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
        ),
        Metric(
            "today_no_shows",
            N_("No-shows today"),
            "count",
            N_(
                "Appointments that started since midnight and nobody came to, up to the last "
                "refresh; compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
            higher_is_better=False,
        ),
        Metric(
            "today_gmv",
            N_("GMV today"),
            "ars",
            N_(
                "The price (ARS) of the visits completed since midnight, up to the last refresh; "
                "compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
        ),
        Metric(
            "today_signups",
            N_("New signups today"),
            "count",
            N_(
                "Businesses that signed up (their tenant went live) since midnight, up to the "
                "last refresh; compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
        ),
        Metric(
            "today_onboardings_activated",
            N_("Onboardings activated today"),
            "count",
            N_(
                "Onboarding wizard sessions activated since midnight, up to the last refresh; "
                "compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
        ),
    ]
)

# The Executive Overview's headline tiles, in display order.
HEADLINE_KPIS = ("mrr", "active_tenants", "bookings", "gmv", "logo_churn", "no_show_rate")

# The KPI window: whole weeks (every weekday counted equally: Saturday carries a quarter of
# the bookings, Sunday 2 %) ending with the last complete day, whose appointments are
# resolved. A 30-day window ending today swung the bookings delta by 5 points from one
# day to the next on the same data; this one moves it by a fraction of a point. Today's
# activity is the "today so far" strip's job.
KPI_WINDOW_DAYS = 28
# The same weekdays a year earlier: 52 whole weeks back.
YEAR_AGO_DAYS = 364


def kpi_windows(as_of: date, days: int = KPI_WINDOW_DAYS) -> tuple[Window, Window]:
    """The window of ``days`` whole days ending the day before ``as_of`` (the last complete
    day), and the one of the same length just before it."""
    end = as_of - timedelta(days=1)
    current = (end - timedelta(days=days - 1), end)
    previous = (current[0] - timedelta(days=days), current[0] - timedelta(days=1))
    return current, previous


def year_ago(window: Window) -> Window:
    """``window`` 52 weeks earlier: the same weekdays, a year before."""
    shift = timedelta(days=YEAR_AGO_DAYS)
    return window[0] - shift, window[1] - shift


def comparable_days(window: Window, other: Window) -> tuple[frozenset[date], frozenset[date]]:
    """The days of ``window`` and of ``other`` (as long, whole weeks apart) to leave out of
    a like-for-like comparison: each public holiday in either window with the day of the
    other window in the same position (the same weekday). A closed Monday then compares
    with nothing instead of with an open one, so a holiday entering or leaving a window
    does not read as a trend."""
    holidays = holidays_between(min(window[0], other[0]), max(window[1], other[1]))
    shift = window[0] - other[0]
    positions = {day - window[0] for day in holidays if window[0] <= day <= window[1]}
    positions |= {day - other[0] for day in holidays if other[0] <= day <= other[1]}
    left_out = frozenset(window[0] + position for position in positions)
    return left_out, frozenset(day - shift for day in left_out)


def _without(columns: DailyColumns, days: frozenset[date]) -> DailyColumns:
    if not days:
        return columns
    keep = ~np.isin(columns["day"], np.array(sorted(days), dtype=object))
    return DailyColumns({name: values[keep] for name, values in columns.items()})


def compare(
    metric: Metric, columns: DailyColumns, window: Window, other: Window
) -> dict[str, float | None]:
    """``metric`` over ``window`` (``value``) and ``other`` (``base``), and the pair a
    change is computed from: like for like for calendar-driven metrics
    (``comparable_days``), the same pair otherwise."""
    assert metric.compute is not None
    value, base = metric.compute(columns, window), metric.compute(columns, other)
    if not metric.by_calendar:
        return {"value": value, "base": base, "value_like": value, "base_like": base}
    left_out, other_left_out = comparable_days(window, other)
    kept = _without(columns, left_out | other_left_out)
    return {
        "value": value,
        "base": base,
        "value_like": metric.compute(kept, window),
        "base_like": metric.compute(kept, other),
        "days_left_out": float(len(left_out)),
    }


def compute_kpis(daily: pd.DataFrame, as_of: date) -> dict[str, dict[str, float | None]]:
    """Every registered metric for the current KPI window, the one before it and the same
    window a year earlier (None where the history does not reach back that far).

    ``value``, ``previous`` and ``year_ago`` are each window's own figure; the changes a
    tile shows compare ``value_like`` with ``previous_like`` (and ``year_ago_like``), like
    for like (``compare``). ``daily`` has one row per day, sorted by its ``day`` column
    (date objects).
    """
    current, previous = kpi_windows(as_of)
    columns = DailyColumns(daily)
    reaches_year_ago = not columns.empty and columns["day"][0] <= year_ago(current)[0]
    kpis: dict[str, dict[str, float | None]] = {}
    for key, metric in METRICS.items():
        if metric.compute is None:  # only today's figures lack it
            continue
        before = compare(metric, columns, current, previous)
        kpi = {
            "value": before["value"],
            "previous": before["base"],
            "value_like": before["value_like"],
            "previous_like": before["base_like"],
            "days_left_out": before.get("days_left_out", 0.0),
            "year_ago": None,
            "year_ago_value_like": None,
            "year_ago_like": None,
        }
        if reaches_year_ago:
            then = compare(metric, columns, current, year_ago(current))
            kpi["year_ago"] = then["base"]
            kpi["year_ago_value_like"] = then["value_like"]
            kpi["year_ago_like"] = then["base_like"]
        kpis[key] = kpi
    return kpis
