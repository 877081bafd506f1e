"""The raw platform tables of a generated console, read with pandas, and the plain-pandas
helpers the recomputations share (MRR on a day, month-end MRR per tenant, windows).

Nothing here imports the console's computations: these are the textbook definitions of
the registry's text, written again from the raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import pandas as pd
from sqlalchemy import Engine

TABLES = (
    "tenants",
    "subscriptions",
    "bookings",
    "payments",
    "invoices",
    "staff",
    "staff_working_hours",
    "customers",
    "partners",
    "referrals",
    "onboarding_sessions",
    "onboarding_step_events",
    "support_tickets",
    "nps_responses",
    "admin_activity",
    "console_cpi_monthly",
    "console_job_runs",
)
DATES = {
    "tenants": ["signup_date", "churned_on"],
    "subscriptions": ["started_on", "ended_on"],
    "invoices": ["period_start", "issued_on", "due_on", "paid_on"],
    "staff": ["hired_on"],
    "console_cpi_monthly": ["month"],
}
TIMES = {
    "bookings": ["created_at", "start_at"],
    "payments": ["created_at"],
    "customers": ["created_at"],
    "referrals": ["referred_at"],
    "onboarding_sessions": ["started_at", "activated_at", "updated_at"],
    "onboarding_step_events": ["entered_at", "completed_at"],
    "support_tickets": ["opened_at", "closed_at"],
    "nps_responses": ["responded_at"],
    "admin_activity": ["occurred_at"],
    "console_job_runs": ["started_at", "finished_at"],
}


def read_tables(engine: Engine) -> dict[str, pd.DataFrame]:
    with engine.connect() as connection:
        tables = {name: pd.read_sql(f"SELECT * FROM {name}", connection) for name in TABLES}
    for name, columns in DATES.items():
        for column in columns:
            tables[name][column] = pd.to_datetime(tables[name][column], format="ISO8601")
    for name, columns in TIMES.items():
        for column in columns:
            if column in tables[name]:
                tables[name][column] = pd.to_datetime(tables[name][column], format="ISO8601")
    return tables


def day(value: date) -> pd.Timestamp:
    return pd.Timestamp(value)


def month_end(year: int, month: int) -> date:
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


@dataclass
class Raw:
    """The raw tables, the console's "today" and the page's period (whole months)."""

    tables: dict[str, pd.DataFrame]
    today: date
    start: date
    end: date
    cache: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month of the period."""
        return [(p.year, p.month) for p in pd.period_range(self.start, self.end, freq="M")]

    @property
    def previous(self) -> tuple[date, date]:
        """The period of as many days just before (day-based pages)."""
        days = (self.end - self.start).days + 1
        return self.start - timedelta(days=days), self.start - timedelta(days=1)

    @property
    def previous_months(self) -> tuple[date, date]:
        """As many whole months just before (month-based pages)."""
        year, month = add_months(self.start.year, self.start.month, -len(self.months))
        return date(year, month, 1), self.start - timedelta(days=1)

    # ------------------------------------------------------------------ subscriptions
    def mrr_by_tenant(self, on: date) -> pd.Series:
        """tenant -> the monthly price of its subscription periods open at the close of
        ``on`` (started by then, ended after it; ``ended_on`` is exclusive)."""
        key = ("mrr", on)
        if key not in self.cache:
            subs = self["subscriptions"]
            open_ = (subs["started_on"] <= day(on)) & (
                subs["ended_on"].isna() | (subs["ended_on"] > day(on))
            )
            self.cache[key] = subs[open_].groupby("tenant_id")["mrr_ars"].sum()
        return self.cache[key]

    def month_mrr(self, year: int, month: int) -> pd.Series:
        """tenant -> MRR at the close of the month's last day (today, for this month),
        every tenant listed (0 when not paying)."""
        last = min(month_end(year, month), self.today)
        mrr = self.mrr_by_tenant(last)
        return mrr.reindex(self["tenants"]["id"], fill_value=0.0).rename_axis("tenant_id")

    def paid_before(self, year: int, month: int) -> pd.Series:
        """tenant -> whether it had MRR at any month end before (year, month)."""
        subs = self["subscriptions"]
        first = subs.groupby("tenant_id")["started_on"].min()
        start = pd.Timestamp(year=year, month=month, day=1)
        ever = self["tenants"]["id"].map(lambda t: t in first.index and first[t] < start)
        return pd.Series(ever.to_numpy(), index=self["tenants"]["id"].to_numpy())

    # ------------------------------------------------------------------------- tenants
    def active_on(self, on: date) -> pd.DataFrame:
        tenants = self["tenants"]
        return tenants[
            (tenants["signup_date"] <= day(on))
            & (tenants["churned_on"].isna() | (tenants["churned_on"] > day(on)))
        ]

    # ------------------------------------------------------------------------ bookings
    @cached_property
    def bookings(self) -> pd.DataFrame:
        """Bookings with their local start day."""
        rows = self["bookings"].copy()
        rows["day"] = rows["start_at"].dt.normalize()
        return rows

    def bookings_in(self, start: date, end: date) -> pd.DataFrame:
        rows = self.bookings
        return rows[(rows["day"] >= day(start)) & (rows["day"] <= day(end))]
