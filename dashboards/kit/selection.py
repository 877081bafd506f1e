"""Which tenants the filters keep, and why a view may have nothing to show."""

from __future__ import annotations

from datetime import date

import pandas as pd

from core.i18n import N_, translator
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
