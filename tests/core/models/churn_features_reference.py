"""The churn feature builder as it was before issue 18's bulk rewrite: the reference.

Kept ONLY here, in the tests, so that ``test_features_bulk.py`` can assert that the bulk
computation in ``core.models.features`` gives the same features for every tenant and
every as-of date of a generated database. It is the code of ``core.models.features``
(commit b23d158) and ``core.models.churn.data._extra_features``, unchanged but for the
function names: one as-of date at a time, one aggregate query per table. Do not "fix"
it; it is the yardstick. See the original module docstring for the point-in-time rules.
"""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from core.schema import (
    AdminActivity,
    Booking,
    CsIntervention,
    Invoice,
    NpsResponse,
    Payment,
    Subscription,
    SupportTicket,
    Tenant,
)
from core.vocabulary import TIERS, VERTICALS
from core.schema import Staff


ONLINE_CHANNELS = ("web", "app", "whatsapp", "instagram")
FAILED_INVOICE_STATUSES = ("failed", "retried", "written_off")
HIGH_SEVERITIES = ("high", "urgent")
#: Weeks of the "own baseline": the 26 weeks before the last 28 days.
BASELINE_WEEKS = 26
#: Fewer days of history than this in the baseline window and the baseline is NaN.
MIN_BASELINE_DAYS = 28
#: Above this many rows changed since as_of, look for them tenant by tenant.
LATE_ROWS_SEEK = 100_000

FEATURE_COLUMNS = (
    "tenure_days",
    "vertical",
    "tier",
    "plan",
    "mrr_ars",
    "bookings_last_28d",
    "bookings_prev_28d",
    "bookings_trend",
    "bookings_vs_own_baseline",
    "no_show_rate_90d",
    "cancellation_rate_90d",
    "completed_gmv_28d",
    "online_booking_share_90d",
    "payment_rejection_rate_90d",
    "logins_last_28d",
    "logins_prev_28d",
    "logins_trend",
    "days_since_last_login",
    "distinct_features_used_90d",
    "failed_invoices_180d",
    "days_since_last_failed_invoice",
    "open_tickets",
    "high_severity_tickets_90d",
    "mean_csat_180d",
    "last_nps",
    "days_since_last_nps",
    "days_since_last_cs_touch",
)

_COUNT_COLUMNS = (
    "bookings_last_28d",
    "bookings_prev_28d",
    "logins_last_28d",
    "logins_prev_28d",
    "distinct_features_used_90d",
    "failed_invoices_180d",
    "open_tickets",
    "high_severity_tickets_90d",
)


def _between(column: Any, start: datetime | date, end: datetime | date) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _sum_if(condition: ColumnElement[bool], value: Any) -> Any:
    return func.sum(case((condition, value), else_=0))


def _frame(rows: Iterable[Any], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(row) for row in rows], columns=columns)
    return frame.set_index("tenant_id")


def _days_since(as_of: datetime, moments: pd.Series) -> pd.Series:
    """Fractional days from each moment to ``as_of``; NaN where there is no moment."""
    values = pd.to_datetime(moments, errors="coerce")
    return (pd.Timestamp(as_of) - values) / pd.Timedelta(days=1)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator``, NaN where the denominator is zero (nothing to rate)."""
    den = denominator.astype(float)
    return numerator.astype(float) / den.where(den > 0)


def reference_churn_features(
    *, session: Session, as_of: datetime, tenant_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Features of every live tenant as of ``as_of``, from rows before ``as_of`` only.

    Parameters
    ----------
    session : Session
        An open SQLAlchemy session on the platform database (only read).
    as_of : datetime
        The moment the features describe, naive local Argentine time. Nothing whose
        event time is at or after it is used (see the module docstring for each table).
    tenant_ids : iterable of int, optional
        Restrict to these tenants (those not alive at ``as_of`` are still left out).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``tenant_id`` (sorted), one row per tenant that signed up before
        ``as_of`` and had not churned before it, with the columns of
        :data:`FEATURE_COLUMNS`:

        - ``tenure_days``: whole days since signup.
        - ``vertical``, ``tier``, ``plan``: categoricals; tier and plan are those of the
          subscription period open at ``as_of``.
        - ``mrr_ars``: MRR of the subscription period(s) open at ``as_of``.
        - ``bookings_last_28d`` / ``bookings_prev_28d``: appointments starting in the
          last 28 days / the 28 days before, whatever their outcome.
        - ``bookings_trend``: ``(last + 1) / (prev + 1)``; below 1 means fewer bookings.
        - ``bookings_vs_own_baseline``: weekly bookings of the last 28 days over the
          weekly average of the 26 weeks before them, both +1 smoothed; NaN with less
          than 28 days of history in that baseline window.
        - ``no_show_rate_90d``: no-shows / (completed + no-shows) among appointments of
          the last 90 days whose outcome was known.
        - ``cancellation_rate_90d``: cancelled / (completed + no-shows + cancelled), same
          appointments.
        - ``completed_gmv_28d``: ARS of appointments of the last 28 days known completed.
        - ``online_booking_share_90d``: share of the last 90 days' appointments booked
          online (web, app, WhatsApp, Instagram) rather than walk-in.
        - ``payment_rejection_rate_90d``: rejected / payments of the last 90 days whose
          final status was known.
        - ``logins_last_28d``, ``logins_prev_28d``, ``logins_trend`` (+1 smoothed ratio),
          ``days_since_last_login``, ``distinct_features_used_90d``: back-office usage.
        - ``failed_invoices_180d``: invoices issued in the last 180 days known failed,
          retried or written off; ``days_since_last_failed_invoice`` from the last
          such invoice's issue date.
        - ``open_tickets``: support tickets open at ``as_of``;
          ``high_severity_tickets_90d``: high or urgent tickets opened in 90 days;
          ``mean_csat_180d``: mean CSAT (1-5) of tickets closed in 180 days.
        - ``last_nps``, ``days_since_last_nps``: the latest NPS answer (0-10).
        - ``days_since_last_cs_touch``: days since the last CS intervention.

        Counts are integers (a zero is a real zero); rates, ratios and "days since"
        are floats and NaN where genuinely unknown.
    """
    as_of = pd.Timestamp(as_of).to_pydatetime()
    day = as_of.date()  # date-typed events are known once their whole day is over
    ids = None if tenant_ids is None else sorted({int(t) for t in tenant_ids})

    def only(column: Any) -> list[ColumnElement[bool]]:
        return [] if ids is None else [column.in_(ids)]

    def back(days: int) -> datetime:
        return as_of - timedelta(days=days)

    # -- tenants alive at as_of ---------------------------------------------------
    tenants = _frame(
        session.execute(
            select(Tenant.id.label("tenant_id"), Tenant.signup_date, Tenant.vertical).where(
                Tenant.signup_date < day,
                or_(Tenant.churned_on.is_(None), Tenant.churned_on >= day),
                *only(Tenant.id),
            )
        ).all(),
        ["tenant_id", "signup_date", "vertical"],
    ).sort_index()
    out = pd.DataFrame(index=tenants.index)
    signup = pd.to_datetime(tenants["signup_date"])
    out["tenure_days"] = (pd.Timestamp(day) - signup).dt.days.astype("int64")
    out["vertical"] = pd.Categorical(tenants["vertical"], categories=list(VERTICALS))

    # -- subscriptions: the period(s) open at as_of ------------------------------
    subs = pd.DataFrame(
        [
            tuple(row)
            for row in session.execute(
                select(
                    Subscription.tenant_id,
                    Subscription.started_on,
                    Subscription.id,
                    Subscription.tier,
                    Subscription.plan,
                    Subscription.mrr_ars,
                ).where(
                    Subscription.started_on < day,
                    or_(Subscription.ended_on.is_(None), Subscription.ended_on >= day),
                    *only(Subscription.tenant_id),
                )
            ).all()
        ],
        columns=["tenant_id", "started_on", "id", "tier", "plan", "mrr_ars"],
    )
    if len(subs):
        subs = subs.sort_values(["tenant_id", "started_on", "id"])
        latest = subs.groupby("tenant_id").last()
        mrr = subs.groupby("tenant_id")["mrr_ars"].sum().astype(float)
    else:
        latest = pd.DataFrame(columns=["tier", "plan"])
        mrr = pd.Series(dtype=float)
    out["tier"] = pd.Categorical(latest["tier"].reindex(out.index), categories=list(TIERS))
    plans = sorted(set(latest["plan"].dropna())) if len(latest) else []
    out["plan"] = pd.Categorical(latest["plan"].reindex(out.index), categories=plans)
    out["mrr_ars"] = mrr.reindex(out.index)

    # From here on every query names the live tenants, so SQL seeks each tenant's slice
    # of the (tenant_id, time, ...) covering indexes instead of scanning whole tables.
    live = [int(x) for x in out.index]

    def alive(column: Any) -> ColumnElement[bool]:
        return column.in_(live)

    def changed_since(stmt: Any, table: Any) -> Any:
        """``stmt`` restricted to rows of ``table`` changed at or after as_of.

        When few rows changed since as_of (scoring today), the only usable index is
        ``updated_at``'s; when many did (features for a date long past), naming the
        live tenants lets the database seek their slices of the covering index.
        """
        changed = session.scalar(
            select(func.count()).select_from(table).where(table.updated_at >= as_of)
        )
        stmt = stmt.where(table.updated_at >= as_of)
        if (changed or 0) > LATE_ROWS_SEEK:
            return stmt.where(alive(table.tenant_id))
        return stmt

    # -- bookings -------------------------------------------------------------------
    # The aggregate reads only the covering index (tenant_id, start_at, status, price)
    # as if every row were known at as_of. Rows changed at or after as_of are then
    # fetched through the updated_at index and taken back out: their status is unknown
    # then, and if they were even created at or after as_of, the booking itself is.
    # This relies on a row's updated_at never preceding its created_at.
    b = Booking
    base_start = back(28 + 7 * BASELINE_WEEKS)
    windows = {
        "last28": (back(28), as_of),
        "prev28": (back(56), back(28)),
        "baseline": (base_start, back(28)),
    }
    w90 = (back(90), as_of)
    outcomes = {"completed90": "completed", "no_show90": "no_show", "cancelled90": "cancelled"}
    # One range seek per window on the covering index; comparing start_at row by row in
    # CASE expressions would cost more than the seek.
    buckets = {
        "b28": (back(28), as_of),
        "b56": (back(56), back(28)),
        "b90": (back(90), back(56)),
        "bold": (base_start, back(90)),
    }
    parts = [
        select(
            literal(name).label("bucket"),
            b.tenant_id,
            func.count().label("n"),
            *(_count_if(b.status == status).label(key) for key, status in outcomes.items()),
            _sum_if(b.status == "completed", b.price_ars).label("gmv"),
        )
        .where(alive(b.tenant_id), _between(b.start_at, lo, hi))
        .group_by(b.tenant_id)
        for name, (lo, hi) in buckets.items()
    ]
    raw = pd.DataFrame(
        [tuple(row) for row in session.execute(union_all(*parts)).all()],
        columns=["bucket", "tenant_id", "n", *outcomes, "gmv"],
    )
    wide = raw.pivot_table(index="tenant_id", columns="bucket", aggfunc="sum", fill_value=0)

    def part(measure: str, names: tuple[str, ...]) -> pd.Series:
        present = [(measure, x) for x in names if (measure, x) in wide.columns]
        total = wide[present].sum(axis=1) if present else pd.Series(0, index=wide.index)
        return total.reindex(out.index, fill_value=0)

    bookings = pd.DataFrame(
        {
            "last28": part("n", ("b28",)),
            "prev28": part("n", ("b56",)),
            "baseline": part("n", ("b56", "b90", "bold")),
            **{key: part(key, ("b28", "b56", "b90")) for key in outcomes},
            "gmv28": part("gmv", ("b28",)).astype(float),
        },
        index=out.index,
    )
    late = pd.DataFrame(
        [
            tuple(row)
            for row in session.execute(
                changed_since(
                    select(b.tenant_id, b.start_at, b.created_at, b.status, b.price_ars).where(
                        b.start_at >= base_start, b.start_at < as_of
                    ),
                    b,
                )
            ).all()
        ],
        columns=["tenant_id", "start_at", "created_at", "status", "price_ars"],
    )
    late = late[late["tenant_id"].isin(live)]
    if len(late):
        start_at = pd.to_datetime(late["start_at"])
        unborn = pd.to_datetime(late["created_at"]) >= pd.Timestamp(as_of)

        def within(lo: datetime, hi: datetime) -> pd.Series:
            return (start_at >= pd.Timestamp(lo)) & (start_at < pd.Timestamp(hi))

        taken = pd.DataFrame(index=late.index)
        for name, (lo, hi) in windows.items():
            taken[name] = (within(lo, hi) & unborn).astype("int64")
        for name, status in outcomes.items():
            taken[name] = (within(*w90) & (late["status"] == status)).astype("int64")
        done28 = within(*windows["last28"]) & (late["status"] == "completed")
        taken["gmv28"] = late["price_ars"].astype(float).where(done28, 0.0)
        taken["tenant_id"] = late["tenant_id"]
        correction = taken.groupby("tenant_id").sum().reindex(out.index, fill_value=0)
        bookings = bookings - correction[bookings.columns]
    channels = _frame(
        session.execute(
            select(
                b.tenant_id,
                func.count(),
                _count_if(b.channel.in_(ONLINE_CHANNELS)),
            )
            .where(alive(b.tenant_id), _between(b.start_at, *w90), b.created_at < as_of)
            .group_by(b.tenant_id)
        ).all(),
        ["tenant_id", "all90", "online90"],
    ).reindex(out.index, fill_value=0)
    out["bookings_last_28d"] = bookings["last28"]
    out["bookings_prev_28d"] = bookings["prev28"]
    out["bookings_trend"] = (bookings["last28"] + 1.0) / (bookings["prev28"] + 1.0)
    # Days of the baseline window the tenant existed in (young tenants have fewer).
    first_day = np.maximum(signup, pd.Timestamp(base_start))
    base_days = (pd.Timestamp(back(28)) - first_day) / pd.Timedelta(days=1)
    base_days = base_days.clip(lower=0)
    weekly_base = bookings["baseline"] / (base_days / 7.0).where(base_days >= MIN_BASELINE_DAYS)
    out["bookings_vs_own_baseline"] = (bookings["last28"] / 4.0 + 1.0) / (weekly_base + 1.0)
    resolved = bookings["completed90"] + bookings["no_show90"]
    out["no_show_rate_90d"] = _ratio(bookings["no_show90"], resolved)
    out["cancellation_rate_90d"] = _ratio(
        bookings["cancelled90"], resolved + bookings["cancelled90"]
    )
    out["completed_gmv_28d"] = bookings["gmv28"].astype(float)
    out["online_booking_share_90d"] = _ratio(channels["online90"], channels["all90"])

    # -- payments: same scheme on (tenant_id, created_at, status, amount) -----------
    p = Payment
    p_final = p.status.notin_(("pending", "in_process"))
    p_window = and_(alive(p.tenant_id), p.created_at >= back(90), p.created_at < as_of)
    payments = _frame(
        session.execute(
            select(
                p.tenant_id,
                _count_if(p_final),
                _count_if(p.status == "rejected"),
            )
            .where(p_window)
            .group_by(p.tenant_id)
        ).all(),
        ["tenant_id", "known", "rejected"],
    ).reindex(out.index, fill_value=0)
    # Fetched row by row: a GROUP BY would lure SQLite onto the tenant index.
    late_pay = pd.DataFrame(
        [
            tuple(row)
            for row in session.execute(
                changed_since(
                    select(p.tenant_id, p.status).where(
                        p.created_at >= back(90), p.created_at < as_of
                    ),
                    p,
                )
            ).all()
        ],
        columns=["tenant_id", "status"],
    )
    if len(late_pay):
        final = ~late_pay["status"].isin(["pending", "in_process"])
        taken_pay = pd.DataFrame(
            {
                "tenant_id": late_pay["tenant_id"],
                "known": final.astype("int64"),
                "rejected": (late_pay["status"] == "rejected").astype("int64"),
            }
        )
        payments = payments - taken_pay.groupby("tenant_id").sum().reindex(out.index, fill_value=0)
    out["payment_rejection_rate_90d"] = _ratio(payments["rejected"], payments["known"])

    # -- admin activity -------------------------------------------------------------
    a = AdminActivity
    login = a.kind == "login"
    activity = _frame(
        session.execute(
            select(
                a.tenant_id,
                _count_if(and_(login, a.occurred_at >= back(28))),
                _count_if(and_(login, a.occurred_at < back(28), a.occurred_at >= back(56))),
                func.max(case((login, a.occurred_at), else_=None)),
                func.count(func.distinct(case((a.kind == "feature", a.feature), else_=None))),
            )
            .where(alive(a.tenant_id), a.occurred_at >= back(90), a.occurred_at < as_of)
            .group_by(a.tenant_id)
        ).all(),
        ["tenant_id", "last28", "prev28", "last_login", "features90"],
    ).reindex(out.index)
    last_login = pd.to_datetime(activity["last_login"])
    quiet = [int(x) for x in last_login.index[last_login.isna()]]
    if quiet:  # no login in 90 days: look further back, for these tenants only
        older = session.execute(
            select(a.tenant_id, func.max(a.occurred_at))
            .where(a.tenant_id.in_(quiet), login, a.occurred_at < back(90))
            .group_by(a.tenant_id)
        ).all()
        if older:
            found = pd.Series(
                pd.to_datetime([row[1] for row in older]), index=[row[0] for row in older]
            )
            last_login = last_login.combine_first(found).reindex(out.index)
    out["logins_last_28d"] = activity["last28"].fillna(0).astype("int64")
    out["logins_prev_28d"] = activity["prev28"].fillna(0).astype("int64")
    out["logins_trend"] = (out["logins_last_28d"] + 1.0) / (out["logins_prev_28d"] + 1.0)
    out["days_since_last_login"] = _days_since(as_of, last_login)
    out["distinct_features_used_90d"] = activity["features90"].fillna(0).astype("int64")

    # -- invoices -------------------------------------------------------------------
    i = Invoice
    i_failed = and_(i.updated_at < as_of, i.status.in_(FAILED_INVOICE_STATUSES))
    invoices = _frame(
        session.execute(
            select(
                i.tenant_id,
                _count_if(and_(i_failed, i.issued_on >= (day - timedelta(days=180)))),
                func.max(case((i_failed, i.issued_on), else_=None)),
            )
            .where(i.issued_on < day, *only(i.tenant_id))
            .group_by(i.tenant_id)
        ).all(),
        ["tenant_id", "failed180", "last_failed"],
    ).reindex(out.index)
    out["failed_invoices_180d"] = invoices["failed180"].fillna(0).astype("int64")
    last_failed = pd.to_datetime(invoices["last_failed"], errors="coerce")
    out["days_since_last_failed_invoice"] = (
        (pd.Timestamp(day) - last_failed) / pd.Timedelta(days=1)
    ).astype(float)

    # -- support tickets ------------------------------------------------------------
    t = SupportTicket
    closed = and_(t.closed_at.is_not(None), t.closed_at < as_of)
    csat_known = and_(t.closed_at >= back(180), closed, t.updated_at < as_of, t.csat.is_not(None))
    tickets = _frame(
        session.execute(
            select(
                t.tenant_id,
                _count_if(~closed),
                _count_if(and_(t.opened_at >= back(90), t.severity.in_(HIGH_SEVERITIES))),
                _sum_if(csat_known, t.csat),
                _count_if(csat_known),
            )
            .where(t.opened_at < as_of, *only(t.tenant_id))
            .group_by(t.tenant_id)
        ).all(),
        ["tenant_id", "open", "high90", "csat_sum", "csat_n"],
    ).reindex(out.index, fill_value=0)
    out["open_tickets"] = tickets["open"].astype("int64")
    out["high_severity_tickets_90d"] = tickets["high90"].astype("int64")
    out["mean_csat_180d"] = _ratio(tickets["csat_sum"], tickets["csat_n"])

    # -- NPS: the latest answer before as_of ----------------------------------------
    n = NpsResponse
    nps = pd.DataFrame(
        [
            tuple(row)
            for row in session.execute(
                select(n.tenant_id, n.responded_at, n.id, n.score).where(
                    n.responded_at < as_of, *only(n.tenant_id)
                )
            ).all()
        ],
        columns=["tenant_id", "responded_at", "id", "score"],
    )
    if len(nps):
        last_nps = nps.sort_values(["tenant_id", "responded_at", "id"]).groupby("tenant_id").last()
    else:
        last_nps = pd.DataFrame(columns=["responded_at", "score"])
    out["last_nps"] = last_nps["score"].reindex(out.index).astype(float)
    out["days_since_last_nps"] = _days_since(
        as_of, last_nps["responded_at"].reindex(out.index)
    ).astype(float)

    # -- CS interventions -----------------------------------------------------------
    c = CsIntervention
    touches = _frame(
        session.execute(
            select(c.tenant_id, func.max(c.triggered_at))
            .where(c.triggered_at < as_of, *only(c.tenant_id))
            .group_by(c.tenant_id)
        ).all(),
        ["tenant_id", "last_touch"],
    ).reindex(out.index)
    out["days_since_last_cs_touch"] = _days_since(as_of, touches["last_touch"]).astype(float)

    for column in _COUNT_COLUMNS:
        out[column] = out[column].astype("int64")
    out.index.name = "tenant_id"
    return out.loc[:, list(FEATURE_COLUMNS)]


TREATMENT_DAYS = 90
EXTRA_COLUMNS = (
    "treated_touch_90d",
    "holdout_touch_90d",
    "staff_count",
    "logins_prev_90d",
    "failed_invoices_365d",
    "written_off_invoices_90d",
    "days_since_price_increase",
    "last_price_increase_pct",
)


def _reference_extra_features(session: Session, as_of: datetime, ids: list[int]) -> pd.DataFrame:
    """Billing and CS signals the base features lack, point-in-time like them."""
    day = as_of.date()
    out = pd.DataFrame(index=pd.Index(ids, name="tenant_id"), columns=list(EXTRA_COLUMNS))
    if not ids:
        return out.astype(float)
    c = CsIntervention
    touches = session.execute(
        select(c.tenant_id, c.arm, func.count())
        .where(
            c.tenant_id.in_(ids),
            c.triggered_at >= as_of - timedelta(days=TREATMENT_DAYS),
            c.triggered_at < as_of,
        )
        .group_by(c.tenant_id, c.arm)
    ).all()
    treated = {t: n for t, arm, n in touches if arm == "treated"}
    held_out = {t: n for t, arm, n in touches if arm == "holdout"}
    staff = dict(
        session.execute(
            select(Staff.tenant_id, func.count())
            .where(Staff.tenant_id.in_(ids), Staff.hired_on < day)
            .group_by(Staff.tenant_id)
        ).all()
    )
    a = AdminActivity
    logins_before = dict(
        session.execute(
            select(a.tenant_id, func.count())
            .where(
                a.tenant_id.in_(ids),
                a.kind == "login",
                a.occurred_at >= as_of - timedelta(days=118),
                a.occurred_at < as_of - timedelta(days=28),
            )
            .group_by(a.tenant_id)
        ).all()
    )
    i = Invoice
    invoice_rows = session.execute(
        select(
            i.tenant_id,
            func.sum(
                case(
                    (
                        and_(
                            i.status == "written_off",
                            i.updated_at < as_of,
                            i.issued_on >= day - timedelta(days=90),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (and_(i.status.in_(FAILED_INVOICE_STATUSES), i.updated_at < as_of), 1), else_=0
                )
            ),
        )
        .where(i.tenant_id.in_(ids), i.issued_on >= day - timedelta(days=365), i.issued_on < day)
        .group_by(i.tenant_id)
    ).all()
    written_off = {t: n for t, n, _ in invoice_rows}
    failed_year = {t: n for t, _, n in invoice_rows}
    # The last price update for inflation and how much it raised the MRR.
    s = Subscription
    periods = pd.DataFrame(
        [
            tuple(row)
            for row in session.execute(
                select(s.tenant_id, s.started_on, s.id, s.mrr_ars, s.change_reason).where(
                    s.tenant_id.in_(ids), s.started_on < day
                )
            ).all()
        ],
        columns=["tenant_id", "started_on", "id", "mrr", "reason"],
    ).sort_values(["tenant_id", "started_on", "id"])
    periods["prev_mrr"] = periods.groupby("tenant_id")["mrr"].shift()
    updates = periods[periods["reason"] == "price_update"].groupby("tenant_id").last()
    out["treated_touch_90d"] = pd.Series(treated).reindex(out.index).fillna(0).astype("int64")
    for column, values in (
        ("holdout_touch_90d", held_out),
        ("staff_count", staff),
        ("logins_prev_90d", logins_before),
        ("failed_invoices_365d", failed_year),
    ):
        out[column] = pd.Series(values, dtype=float).reindex(out.index).fillna(0).astype("int64")
    out["written_off_invoices_90d"] = (
        pd.Series(written_off).reindex(out.index).fillna(0).astype("int64")
    )
    since = (pd.Timestamp(day) - pd.to_datetime(updates["started_on"])) / pd.Timedelta(days=1)
    out["days_since_price_increase"] = since.reindex(out.index).astype(float)
    pct = (updates["mrr"].astype(float) / updates["prev_mrr"].astype(float) - 1.0) * 100
    out["last_price_increase_pct"] = pct.reindex(out.index).astype(float)
    return out


def reference_examples_as_of(*, session: Session, as_of: datetime) -> pd.DataFrame:
    """The reference of ``core.models.churn.data.examples_as_of``."""
    base = reference_churn_features(session=session, as_of=as_of)
    base = base[base["mrr_ars"].notna()]
    extra = _reference_extra_features(session, as_of, [int(x) for x in base.index])
    return pd.concat([base, extra], axis=1)
