"""Which tenants the filters keep, and why a view may have nothing to show."""

from __future__ import annotations

from datetime import date

import pandas as pd

from core.i18n import N_, translator
from core.metrics.revenue_figures import restate_tenant_months
from dashboards.filters import Filters


def tenant_ids(tenants: pd.DataFrame, filters: Filters) -> set[int] | None:
    """The ids the tier/vertical/province/partner filters keep; None = every tenant."""
    if not filters.narrows_tenants:
        return None
    return set(filters.filter_tenants(tenants)["tenant_id"].astype(int))


def keep_tenants(frame: pd.DataFrame, ids: set[int] | None) -> pd.DataFrame:
    return frame if ids is None else frame[frame["tenant_id"].isin(ids)]


def no_data_reason(
    tenants: pd.DataFrame, filters: Filters, *, as_of: date, locale: str
) -> str | None:
    """Why these filters cannot show anything (bad range, no tenant), or None."""
    _ = translator(locale)
    problem = filters.problem(today=as_of, locale=locale)
    if problem:
        return problem
    if filters.narrows_tenants and filters.filter_tenants(tenants).empty:
        return _("No tenant matches these filters (tier, vertical, province, partner).")
    return None


NO_DATA = N_("No data for these filters")


def active_on(tenants: pd.DataFrame, day: date) -> pd.Series:
    """Tenants signed up on or before ``day`` and not churned by it."""
    signup = pd.to_datetime(tenants["signup_date"])
    churned = pd.to_datetime(tenants["churned_on"])
    moment = pd.Timestamp(day)
    return (signup <= moment) & (churned.isna() | (churned > moment))


def tenant_months_for(
    tenant_months: pd.DataFrame,
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    cpi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The tenant-months of the tenants ``filters`` keep, with ``month_index``; in
    constant ARS of the filters' base month when one is chosen."""
    return restate_tenant_months(
        tenant_months,
        filters.filter_tenants(tenants)["tenant_id"],
        constant_ars_month=filters.constant_ars_month,
        cpi=cpi,
    )


def no_tenant_month_data(
    tenant_months: pd.DataFrame,
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
) -> str | None:
    """Why the filters leave nothing to show (bad range, no tenant, no month), or None."""
    _ = translator(locale)
    problem = filters.problem(today=as_of, locale=locale)
    if problem:
        return problem
    if filters.filter_tenants(tenants).empty:
        return _("No tenant matches these filters (tier, vertical, province, partner).")
    if tenant_months.empty:
        return _(NO_DATA)
    return None
