"""Data-quality checks of the platform tables, for the Platform Operations dashboard.

Four kinds of check, each a count of offending rows with a status (``ok`` when zero,
``warning`` otherwise):

* ``rows``: row count per table (a warning only when a table the console cannot do
  without, tenants or bookings, is empty);
* ``orphans``: rows whose parent is missing (a booking whose tenant, location, staff
  member, service or customer does not exist; a payment whose booking is gone...).
  PostgreSQL's foreign keys prevent most of them; SQLite only enforces them on
  connections that ask, so a bulk load or a manual fix can leave some behind;
* ``nulls``: required values that the schema cannot enforce because they depend on the
  row's state (a payment without its booking, a churned tenant without a churn date,
  a paid invoice without a payment date, an activation without its tenant);
* ``future``: rows stamped after the end of the snapshot's day (clock or import bugs).

Each orphan check is its own ``NOT EXISTS`` count, which both backends run as an
anti-join (PostgreSQL: a hash anti join, one pass over each table). ``NOT IN (SELECT ...)``
is never used: PostgreSQL cannot turn it into an anti-join (NULL semantics), and once the
parent's keys do not fit in ``work_mem`` (4 MB by default; 730k customers) it re-scans the
parent for every child row: EXPLAIN cost 1.6e10 for bookings, hours of run time. The
other checks of a table are folded into one aggregate. The whole set still scans
bookings and payments several times (seconds on the 250-tenant demo), so the checks run
at most every ``CHECK_EVERY_S`` (an hour); in the detail refreshes between, the previous
result is carried over with its ``checked_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.clock import now
from core.i18n import N_
from core.metrics.detail import FrameProvider
from core.metrics.snapshots import frame_from_bytes, latest_detail_version
from core.schema import (
    AdminActivity,
    Booking,
    CsIntervention,
    Customer,
    Invoice,
    Location,
    NpsResponse,
    OnboardingSession,
    Partner,
    Payment,
    Service,
    SnapshotFrame,
    Staff,
    Subscription,
    SupportTicket,
    Tenant,
)

CHECK_EVERY_S = 3600.0
FRAME = "platform_data_quality"
COLUMNS = ["check_id", "category", "table_name", "check", "count", "status", "checked_at"]
ESSENTIAL_TABLES = ("tenants", "bookings")


@dataclass(frozen=True)
class Check:
    check_id: str
    category: str  # rows, orphans, nulls, future (an orphan check is an anti-join)
    table: Any  # ORM class
    label: str  # English msgid (translated by the page)
    condition: ColumnElement[bool] | None  # None: the row count itself


def _missing(column: Any, parent: Any) -> ColumnElement[bool]:
    # NOT EXISTS, never NOT IN over a subquery (see the module docstring). Only valid in
    # a WHERE clause, where the planner makes it an anti-join; inside a CASE it would be
    # a per-row subplan again, so orphan checks are counted by their own query.
    return and_(column.is_not(None), ~exists().where(parent.id == column))


def checks(cutoff: datetime) -> list[Check]:
    """Every check, with ``cutoff`` the first moment that counts as "in the future"."""
    day = cutoff.date()
    b, p = Booking, Payment
    return [
        Check(
            "bookings.tenant",
            "orphans",
            b,
            N_("Bookings whose tenant is missing"),
            _missing(b.tenant_id, Tenant),
        ),
        Check(
            "bookings.location",
            "orphans",
            b,
            N_("Bookings whose location is missing"),
            _missing(b.location_id, Location),
        ),
        Check(
            "bookings.staff",
            "orphans",
            b,
            N_("Bookings whose staff member is missing"),
            _missing(b.staff_id, Staff),
        ),
        Check(
            "bookings.service",
            "orphans",
            b,
            N_("Bookings whose service is missing"),
            _missing(b.service_id, Service),
        ),
        Check(
            "bookings.customer",
            "orphans",
            b,
            N_("Bookings whose customer is missing"),
            _missing(b.customer_id, Customer),
        ),
        Check(
            "bookings.future",
            "future",
            b,
            N_("Bookings created in the future"),
            b.created_at >= cutoff,
        ),
        Check(
            "payments.tenant",
            "orphans",
            p,
            N_("Payments whose tenant is missing"),
            _missing(p.tenant_id, Tenant),
        ),
        Check(
            "payments.booking",
            "orphans",
            p,
            N_("Payments whose booking is missing"),
            _missing(p.booking_id, Booking),
        ),
        Check(
            "payments.no_booking",
            "nulls",
            p,
            N_("Payments without a booking"),
            p.booking_id.is_(None),
        ),
        Check(
            "payments.future",
            "future",
            p,
            N_("Payments dated in the future"),
            p.created_at >= cutoff,
        ),
        Check(
            "customers.tenant",
            "orphans",
            Customer,
            N_("Customers whose tenant is missing"),
            _missing(Customer.tenant_id, Tenant),
        ),
        Check(
            "customers.future",
            "future",
            Customer,
            N_("Customers created in the future"),
            Customer.created_at >= cutoff,
        ),
        Check(
            "admin_activity.tenant",
            "orphans",
            AdminActivity,
            N_("Admin activity of a missing tenant"),
            _missing(AdminActivity.tenant_id, Tenant),
        ),
        Check(
            "admin_activity.future",
            "future",
            AdminActivity,
            N_("Admin activity in the future"),
            AdminActivity.occurred_at >= cutoff,
        ),
        Check(
            "tenants.partner",
            "orphans",
            Tenant,
            N_("Tenants whose partner is missing"),
            _missing(Tenant.partner_id, Partner),
        ),
        Check(
            "tenants.churn_date",
            "nulls",
            Tenant,
            N_("Churned tenants without a churn date"),
            and_(Tenant.status == "churned", Tenant.churned_on.is_(None)),
        ),
        Check(
            "tenants.blank",
            "nulls",
            Tenant,
            N_("Tenants with a blank name or CUIT"),
            (func.trim(Tenant.trade_name) == "") | (func.trim(Tenant.cuit) == ""),
        ),
        Check(
            "tenants.future",
            "future",
            Tenant,
            N_("Tenants signed up in the future"),
            Tenant.signup_date > day,
        ),
        Check(
            "locations.tenant",
            "orphans",
            Location,
            N_("Locations whose tenant is missing"),
            _missing(Location.tenant_id, Tenant),
        ),
        Check(
            "staff.tenant",
            "orphans",
            Staff,
            N_("Staff whose tenant is missing"),
            _missing(Staff.tenant_id, Tenant),
        ),
        Check(
            "services.tenant",
            "orphans",
            Service,
            N_("Services whose tenant is missing"),
            _missing(Service.tenant_id, Tenant),
        ),
        Check(
            "subscriptions.tenant",
            "orphans",
            Subscription,
            N_("Subscriptions whose tenant is missing"),
            _missing(Subscription.tenant_id, Tenant),
        ),
        Check(
            "invoices.tenant",
            "orphans",
            Invoice,
            N_("Invoices whose tenant is missing"),
            _missing(Invoice.tenant_id, Tenant),
        ),
        Check(
            "invoices.subscription",
            "orphans",
            Invoice,
            N_("Invoices whose subscription is missing"),
            _missing(Invoice.subscription_id, Subscription),
        ),
        Check(
            "invoices.paid_on",
            "nulls",
            Invoice,
            N_("Paid invoices without a payment date"),
            and_(Invoice.status == "paid", Invoice.paid_on.is_(None)),
        ),
        Check(
            "invoices.future",
            "future",
            Invoice,
            N_("Invoices issued in the future"),
            Invoice.issued_on > day,
        ),
        Check(
            "support_tickets.tenant",
            "orphans",
            SupportTicket,
            N_("Tickets whose tenant is missing"),
            _missing(SupportTicket.tenant_id, Tenant),
        ),
        Check(
            "support_tickets.future",
            "future",
            SupportTicket,
            N_("Tickets opened in the future"),
            SupportTicket.opened_at >= cutoff,
        ),
        Check(
            "nps_responses.tenant",
            "orphans",
            NpsResponse,
            N_("NPS answers whose tenant is missing"),
            _missing(NpsResponse.tenant_id, Tenant),
        ),
        Check(
            "nps_responses.future",
            "future",
            NpsResponse,
            N_("NPS answers in the future"),
            NpsResponse.responded_at >= cutoff,
        ),
        Check(
            "onboarding.tenant",
            "orphans",
            OnboardingSession,
            N_("Onboardings whose tenant is missing"),
            _missing(OnboardingSession.tenant_id, Tenant),
        ),
        Check(
            "onboarding.activation",
            "nulls",
            OnboardingSession,
            N_("Activated onboardings without tenant or time"),
            and_(
                OnboardingSession.status == "activated",
                OnboardingSession.tenant_id.is_(None) | OnboardingSession.activated_at.is_(None),
            ),
        ),
        Check(
            "onboarding.future",
            "future",
            OnboardingSession,
            N_("Onboardings started in the future"),
            OnboardingSession.started_at >= cutoff,
        ),
        Check(
            "interventions.tenant",
            "orphans",
            CsIntervention,
            N_("Interventions whose tenant is missing"),
            _missing(CsIntervention.tenant_id, Tenant),
        ),
    ]


ROW_COUNT_LABEL = N_("Rows in the table")


def run_checks(session: Session, *, cutoff: datetime, checked_at: datetime) -> pd.DataFrame:
    """Every check: per table one aggregate, plus one anti-join count per orphan check.

    Returns the ``platform_data_quality`` frame.
    """
    by_table: dict[Any, list[Check]] = {}
    for check in checks(cutoff):
        by_table.setdefault(check.table, []).append(check)
    records = []
    for table, table_checks in by_table.items():
        name = table.__tablename__
        rows, counts = _count_table(session, table, table_checks)
        essential_empty = rows == 0 and name in ESSENTIAL_TABLES
        records.append((f"{name}.rows", "rows", name, ROW_COUNT_LABEL, rows, essential_empty))
        for check in table_checks:
            count = counts[check.check_id]
            records.append((check.check_id, check.category, name, check.label, count, count > 0))
    frame = pd.DataFrame(
        records, columns=["check_id", "category", "table_name", "check", "count", "warn"]
    )
    frame["status"] = frame.pop("warn").map({True: "warning", False: "ok"})
    frame["checked_at"] = pd.Timestamp(checked_at)
    return frame[COLUMNS]


def _count_table(session: Session, table: Any, table_checks: list[Check]) -> tuple[int, dict]:
    """(row count, offending rows per check id) for one table."""
    folded = [c for c in table_checks if c.category != "orphans"]
    columns: list[Any] = [func.count()]
    columns += [func.coalesce(func.sum(case((c.condition, 1), else_=0)), 0) for c in folded]  # type: ignore[arg-type]
    result = session.execute(select(*columns).select_from(table)).one()
    counts = {c.check_id: int(n) for c, n in zip(folded, result[1:], strict=True)}
    for check in table_checks:
        if check.category == "orphans":
            query = select(func.count()).select_from(table).where(check.condition)  # type: ignore[arg-type]
            counts[check.check_id] = int(session.scalar(query) or 0)
    return int(result[0]), counts


def _previous(session: Session) -> pd.DataFrame | None:
    version = latest_detail_version(session=session)
    if version is None:
        return None
    data = session.scalar(
        select(SnapshotFrame.data).where(
            SnapshotFrame.version == version, SnapshotFrame.name == FRAME
        )
    )
    return None if data is None else frame_from_bytes(data)


def compute_platform(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    at = now()
    previous = _previous(session)
    if previous is not None and not previous.empty and list(previous.columns) == COLUMNS:
        age = (at - pd.Timestamp(previous["checked_at"].iloc[0]).to_pydatetime()).total_seconds()
        if 0 <= age < CHECK_EVERY_S:
            return {FRAME: previous}
    cutoff = datetime.combine(as_of + timedelta(days=1), time())
    return {FRAME: run_checks(session, cutoff=cutoff, checked_at=at)}


PROVIDERS = [
    FrameProvider(
        name="platform",
        frames=(FRAME,),
        compute=compute_platform,
        description="Data-quality checks: row counts, orphans, missing values, future rows",
    )
]
