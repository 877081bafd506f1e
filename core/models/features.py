"""Point-in-time tenant features for churn prediction.

Every feature of a tenant "as of" a moment ``as_of`` is computed only from what the
platform could have known strictly before ``as_of``:

* bookings are known from their ``created_at``; they count in a window by their
  ``start_at``. The schema keeps only a booking's *latest* status and the time of its
  last change (``updated_at``), so a status is trusted only when ``updated_at < as_of``;
  otherwise the booking counts as still "scheduled / unknown" (it is on the book, but
  its outcome is not known yet);
* payments by ``created_at``, their status only when ``updated_at < as_of``;
* invoices by ``issued_on``, their status only when ``updated_at < as_of``;
* support tickets by ``opened_at``; closed only when ``closed_at < as_of``, their CSAT
  only when also ``updated_at < as_of`` (the survey may be answered later);
* admin activity (logins, features used) by ``occurred_at``; NPS by ``responded_at``;
  CS interventions by ``triggered_at``;
* subscriptions by ``started_on``: the MRR, plan and tier are those of the period open
  at ``as_of``, not the tenant's current tier.

Date-typed columns (``signup_date``, ``churned_on``, ``started_on``, ``ended_on``,
``issued_on``) carry no time of day, so a date ``d`` is known only once the whole day is
over: ``d < as_of.date()``. A tenant is included when it signed up before that day and
had not churned before it.

Honest limits. With only the latest status kept, a *terminal* status changed after
``as_of`` (an approved payment later refunded, a failed invoice later paid) turns back
into "unknown" and the feature as of ``as_of`` changes; transitions out of the initial
state (scheduled, pending, open) are handled exactly. A status history table would
remove the limit. Where the data cannot tell (no NPS answered yet, no booking with a
known outcome), the feature is NaN, never a made-up zero.

All windows are half-open ``[as_of - n days, as_of)``. Features are computed for many
as-of moments at once (:func:`churn_features_many`): each table is read once for the
span every moment needs, the big ones (bookings, payments, back-office activity)
aggregated per tenant and cell between window bounds (``core.models.feature_events``),
the small ones row by row; every window of every moment is then a difference of
cumulative sums, with the rows changed at or after the moment taken back out. This
relies on a row's ``updated_at`` never preceding its ``created_at``, true of any honest
stamp. ``churn_features`` is the same computation for one moment.

Bookings and payments of whole local days come from ``console_rollup_tenant_day`` (the
metrics refresh keeps it exact, with the ``online_bookings``, ``payments_resolved`` and
``payments_rejected`` measures for these features), summed per cell in the database;
the raw rows only for days cut by a bound (a moment that is not a midnight) and for the
cells of rows changed after the rollup's watermark, so the features do not depend on
whether the refresh has run. Without a watermark (never refreshed) or with too many
changes since, everything is read raw, as before.

Speed on the default demo data (250 tenants, 18 months, SQLite, a loaded 2-core machine,
old and new alternated): one as-of date about 0.55-0.95 s of CPU (before: 1.5-1.8 s),
bookings and payments together under 0.15 s; the back-office activity (still raw rows,
about 0.4 s) is the largest part left. The 70 weekly as-of dates of training in about
55 s (about 500-600 s one date at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from core.metrics.rollups import ONLINE_CHANNELS, PENDING_PAYMENT_STATUSES
from core.models.feature_events import (
    CellGrid,
    DayRollup,
    cell_sums,
    late_rows,
    ns,
    rollup_cell_sums,
    to_ns,
)
from core.schema import (
    AdminActivity,
    Booking,
    CsIntervention,
    Invoice,
    NpsResponse,
    Payment,
    RollupTenantDay,
    Staff,
    Subscription,
    SupportTicket,
    Tenant,
)
from core.vocabulary import TIERS, VERTICALS

__all__ = ["EXTRA_COLUMNS", "FEATURE_COLUMNS", "churn_features", "churn_features_many"]

FAILED_INVOICE_STATUSES = ("failed", "retried", "written_off")
HIGH_SEVERITIES = ("high", "urgent")
#: Weeks of the "own baseline": the 26 weeks before the last 28 days.
BASELINE_WEEKS = 26
#: Fewer days of history than this in the baseline window and the baseline is NaN.
MIN_BASELINE_DAYS = 28
#: Days the booking features look back: the baseline and the last 28 days.
BASELINE_DAYS = 28 + 7 * BASELINE_WEEKS
#: An intervention's effect on churn is expected to last about this long.
TREATMENT_DAYS = 90
_DAY = np.int64(86_400 * 10**9)

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

#: Billing and CS signals the churn model adds to the features above (see
#: ``core.models.churn.data``), point-in-time like them.
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
_EXTRA_COUNTS = EXTRA_COLUMNS[:6]


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is zero (nothing to rate)."""
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, np.asarray(numerator, dtype=float) / den, np.nan)


def _rows(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in session.execute(stmt).all()], columns=columns)


@dataclass
class _Events:
    """One big table's cell grids (by measure) and its late rows, for window sums.

    ``late`` holds one row per late raw row: ``pos`` (row of the tenant in the grids),
    ``at``, ``created`` / ``updated`` (ns) and the measures.
    """

    grids: dict[str, CellGrid]
    late: pd.DataFrame

    def window(
        self, measure: str, lo: datetime, hi: datetime, as_of: datetime, known: str = ""
    ) -> np.ndarray:
        """Per-tenant sum of ``measure`` over rows dated in ``[lo, hi)``.

        ``known`` is "created" or "updated": rows with that stamp at or after ``as_of``
        are taken back out (not known then); "" counts every row.
        """
        grid = self.grids[measure]
        total = grid.sum(measure, lo, hi)
        if known and len(self.late):
            at = self.late["at"].to_numpy()
            mask = (at >= ns(lo)) & (at < ns(hi)) & (self.late[known].to_numpy() >= ns(as_of))
            if mask.any():
                values = self.late[measure].to_numpy(float)[mask]
                pos = self.late["pos"].to_numpy()[mask]
                total = total - np.bincount(pos, weights=values, minlength=len(total))
        return total


def _late(rows: list[Any], columns: list[str], tenants: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame = frame[frame["tenant_id"].isin(tenants)].reset_index(drop=True)
    frame["pos"] = np.searchsorted(tenants, frame["tenant_id"].to_numpy("int64"))
    for column in ("at", "created", "updated"):
        if column in frame:
            frame[column] = to_ns(frame[column]) if len(frame) else frame[column].astype("int64")
    return frame


def _bounds(moments: Sequence[datetime], days: Sequence[int]) -> list[datetime]:
    return sorted({m - timedelta(days=d) for m in moments for d in days})


_R = RollupTenantDay
#: The rollup's measures of a booking (by local start day) and of a payment (by local
#: creation day), each the same rows as the raw expression the features use for it.
_BOOKINGS_ROLLUP = DayRollup(
    "bookings",
    Booking,
    {
        "n": _R.bookings,
        "completed": _R.completed,
        "no_show": _R.no_show,
        "cancelled": _R.cancelled,
        "gmv": _R.gmv_ars,
        "online": _R.online_bookings,
    },
)
_PAYMENTS_ROLLUP = DayRollup(
    "payments", Payment, {"known": _R.payments_resolved, "rejected": _R.payments_rejected}
)


def _bookings(session: Session, moments: list[datetime], tenants: np.ndarray) -> _Events:
    b = Booking
    span_start = min(moments) - timedelta(days=BASELINE_DAYS)
    outcomes = [
        ("n", literal(1)),
        ("completed", case((b.status == "completed", 1), else_=0)),
        ("no_show", case((b.status == "no_show", 1), else_=0)),
        ("cancelled", case((b.status == "cancelled", 1), else_=0)),
        ("gmv", case((b.status == "completed", b.price_ars), else_=0)),
    ]
    online = ("online", case((b.channel.in_(ONLINE_CHANNELS), 1), else_=0))
    # Whole days from the tenant-day rollup when it can serve, the rest from raw rows.
    grid: CellGrid | dict[Any, CellGrid] | None = rollup_cell_sums(
        session,
        rollup=_BOOKINGS_ROLLUP,
        at=b.start_at,
        tenant=b.tenant_id,
        tenants=tenants,
        bounds=_bounds(moments, (0, 28, 56, 90, BASELINE_DAYS)),
        sums=[*outcomes, online],
    )
    if isinstance(grid, CellGrid):
        grid.cumulative["all"] = grid.cumulative["n"]
        channels: CellGrid | dict[Any, CellGrid] = grid
    else:
        # Statuses and prices come from the covering index; the channel needs the table
        # rows, so it is read for 90 days only.
        grid = cell_sums(
            session,
            at=b.start_at,
            tenant=b.tenant_id,
            tenants=tenants,
            bounds=_bounds(moments, (0, 28, 56, 90, BASELINE_DAYS)),
            sums=outcomes,
        )
        channels = cell_sums(
            session,
            at=b.start_at,
            tenant=b.tenant_id,
            tenants=tenants,
            bounds=_bounds(moments, (0, 90)),
            sums=[("all", literal(1)), online],
        )
    assert isinstance(grid, CellGrid) and isinstance(channels, CellGrid)
    late = _late(
        late_rows(
            session,
            b,
            [b.tenant_id, b.start_at, b.status, b.price_ars, b.channel, b.created_at, b.updated_at],
            b.start_at,
            moments,
            span_start,
        ),
        ["tenant_id", "at", "status", "price", "channel", "created", "updated"],
        tenants,
    )
    status = late["status"]
    late["n"] = late["all"] = 1.0
    for name in ("completed", "no_show", "cancelled"):
        late[name] = (status == name).astype(float)
    late["gmv"] = late["price"].astype(float) * late["completed"]
    late["online"] = late["channel"].isin(ONLINE_CHANNELS).astype(float)
    grids = {m: grid for m in ("n", "completed", "no_show", "cancelled", "gmv")}
    return _Events({**grids, "all": channels, "online": channels}, late)


def _payments(session: Session, moments: list[datetime], tenants: np.ndarray) -> _Events:
    p = Payment
    measures = [
        ("known", case((p.status.notin_(PENDING_PAYMENT_STATUSES), 1), else_=0)),
        ("rejected", case((p.status == "rejected", 1), else_=0)),
    ]
    table: dict[str, Any] = dict(at=p.created_at, tenant=p.tenant_id, tenants=tenants)
    bounds = _bounds(moments, (0, 90))
    grid = rollup_cell_sums(
        session, rollup=_PAYMENTS_ROLLUP, bounds=bounds, sums=measures, **table
    ) or cell_sums(session, bounds=bounds, sums=measures, **table)
    assert isinstance(grid, CellGrid)
    late = _late(
        late_rows(
            session,
            p,
            [p.tenant_id, p.created_at, p.status, p.updated_at],
            p.created_at,
            moments,
            min(moments) - timedelta(days=90),
        ),
        ["tenant_id", "at", "status", "updated"],
        tenants,
    )
    late["known"] = (~late["status"].isin(PENDING_PAYMENT_STATUSES)).astype(float)
    late["rejected"] = (late["status"] == "rejected").astype(float)
    return _Events({"known": grid, "rejected": grid}, late)


@dataclass
class _Activity:
    """Back-office logins (counts, the latest) and features used, in cells."""

    logins: CellGrid
    before_span: np.ndarray  # latest login (ns) before the first bound, NaN if none
    features: dict[str, CellGrid]

    def count(self, lo: datetime, hi: datetime) -> np.ndarray:
        return self.logins.sum("n", lo, hi)

    def last_login(self, as_of: datetime) -> np.ndarray:
        return np.fmax(self.logins.max_before("last", as_of), self.before_span)

    def distinct_features(self, lo: datetime, hi: datetime) -> np.ndarray:
        used = [grid.sum("n", lo, hi) > 0 for grid in self.features.values()]
        return np.sum(used, axis=0) if used else np.zeros(len(self.logins.tenants))


def _activity(session: Session, moments: list[datetime], tenants: np.ndarray) -> _Activity:
    a = AdminActivity
    login = a.kind == "login"
    bounds = _bounds(moments, (0, 28, 56, 90, 118))
    logins = cell_sums(
        session,
        at=a.occurred_at,
        tenant=a.tenant_id,
        tenants=tenants,
        bounds=bounds,
        sums=[("n", literal(1))],
        maxima=[("last", a.occurred_at)],
        where=[login],
    )
    assert isinstance(logins, CellGrid)
    # The latest login before the cells, only for tenants with none in them.
    quiet = [
        int(t) for t, x in zip(tenants, logins.latest["last"][:, -1], strict=True) if np.isnan(x)
    ]
    before_span = np.full(len(tenants), np.nan)
    if quiet:
        older = session.execute(
            select(a.tenant_id, func.max(a.occurred_at))
            .where(a.tenant_id.in_(quiet), login, a.occurred_at < bounds[0])
            .group_by(a.tenant_id)
        ).all()
        if older:
            pos = np.searchsorted(tenants, [int(r[0]) for r in older])
            before_span[pos] = to_ns([r[1] for r in older]).astype(float)
    features = cell_sums(
        session,
        at=a.occurred_at,
        tenant=a.tenant_id,
        tenants=tenants,
        bounds=_bounds(moments, (0, 90)),
        sums=[("n", literal(1))],
        by=a.feature,
        where=[a.kind == "feature"],
    )
    assert isinstance(features, dict)
    return _Activity(logins, before_span, features)


@dataclass
class _Small:
    """The small tables, row by row, read once for every moment."""

    tenants: pd.DataFrame
    subs: pd.DataFrame
    invoices: pd.DataFrame
    tickets: pd.DataFrame
    nps: pd.DataFrame
    touches: pd.DataFrame
    staff: pd.DataFrame


def _small_tables(session: Session, last: datetime, ids: list[int] | None) -> _Small:
    def only(column: Any) -> list[ColumnElement[bool]]:
        return [] if ids is None else [column.in_(ids)]

    day = last.date()
    s, i, t, n, c = Subscription, Invoice, SupportTicket, NpsResponse, CsIntervention
    subs = _rows(
        session,
        select(
            s.tenant_id, s.started_on, s.id, s.ended_on, s.tier, s.plan, s.mrr_ars, s.change_reason
        ).where(s.started_on < day, *only(s.tenant_id)),
        ["tenant_id", "started_on", "id", "ended_on", "tier", "plan", "mrr", "reason"],
    )
    subs = subs.sort_values(["tenant_id", "started_on", "id"]).reset_index(drop=True)
    subs["prev_mrr"] = subs.groupby("tenant_id")["mrr"].shift()
    for column in ("started_on", "ended_on"):
        subs[column] = pd.to_datetime(subs[column])
    invoices = _rows(
        session,
        select(i.tenant_id, i.issued_on, i.status, i.updated_at).where(
            i.issued_on < day, *only(i.tenant_id)
        ),
        ["tenant_id", "issued_on", "status", "updated"],
    )
    invoices["issued_on"] = pd.to_datetime(invoices["issued_on"])
    invoices["updated"] = pd.to_datetime(invoices["updated"])
    tickets = _rows(
        session,
        select(t.tenant_id, t.opened_at, t.closed_at, t.updated_at, t.severity, t.csat).where(
            t.opened_at < last, *only(t.tenant_id)
        ),
        ["tenant_id", "opened", "closed", "updated", "severity", "csat"],
    )
    for column in ("opened", "closed", "updated"):
        tickets[column] = pd.to_datetime(tickets[column])
    nps = _rows(
        session,
        select(n.tenant_id, n.responded_at, n.id, n.score).where(
            n.responded_at < last, *only(n.tenant_id)
        ),
        ["tenant_id", "at", "id", "score"],
    ).sort_values(["tenant_id", "at", "id"])
    nps["at"] = pd.to_datetime(nps["at"])
    touches = _rows(
        session,
        select(c.tenant_id, c.triggered_at, c.arm).where(c.triggered_at < last, *only(c.tenant_id)),
        ["tenant_id", "at", "arm"],
    )
    touches["at"] = pd.to_datetime(touches["at"])
    staff = _rows(
        session,
        select(Staff.tenant_id, Staff.hired_on).where(Staff.hired_on < day, *only(Staff.tenant_id)),
        ["tenant_id", "hired_on"],
    )
    staff["hired_on"] = pd.to_datetime(staff["hired_on"])
    return _Small(pd.DataFrame(), subs, invoices, tickets, nps, touches, staff)


def _per_tenant(values: pd.Series, index: pd.Index, fill: Any = np.nan) -> pd.Series:
    return values.reindex(index, fill_value=fill) if fill is not None else values.reindex(index)


def _one_moment(
    as_of: datetime,
    alive: pd.DataFrame,
    pos: np.ndarray,
    bookings: _Events,
    payments: _Events,
    activity: _Activity,
    small: _Small,
    with_extras: bool,
) -> pd.DataFrame:
    """The feature frame of the tenants ``alive`` at ``as_of`` (rows ``pos`` of the grids)."""
    day = as_of.date()
    stamp = pd.Timestamp(day)
    moment = pd.Timestamp(as_of)
    index = pd.Index(alive.index, name="tenant_id")

    def back(days: int) -> datetime:
        return as_of - timedelta(days=days)

    out = pd.DataFrame(index=index)
    signup = pd.to_datetime(alive["signup_date"])
    out["tenure_days"] = (stamp - signup).dt.days.astype("int64")
    out["vertical"] = pd.Categorical(alive["vertical"], categories=list(VERTICALS))

    subs = small.subs
    open_now = subs[
        (subs["started_on"] < stamp) & (subs["ended_on"].isna() | (subs["ended_on"] >= stamp))
    ]
    latest = open_now.groupby("tenant_id").last()
    mrr = open_now.groupby("tenant_id")["mrr"].sum().astype(float)
    out["tier"] = pd.Categorical(latest["tier"].reindex(index), categories=list(TIERS))
    plans = sorted(set(latest["plan"].dropna())) if len(latest) else []
    out["plan"] = pd.Categorical(latest["plan"].reindex(index), categories=plans)
    out["mrr_ars"] = mrr.reindex(index).astype(float)

    # -- bookings and payments: windows over the per-day grids ----------------------
    def booked(measure: str, lo: int, hi: int, known: str) -> np.ndarray:
        return bookings.window(measure, back(lo), back(hi), as_of, known)[pos]

    last28 = booked("n", 28, 0, "created")
    prev28 = booked("n", 56, 28, "created")
    baseline = booked("n", BASELINE_DAYS, 28, "created")
    completed = booked("completed", 90, 0, "updated")
    no_show = booked("no_show", 90, 0, "updated")
    cancelled = booked("cancelled", 90, 0, "updated")
    all90 = booked("all", 90, 0, "created")
    online90 = booked("online", 90, 0, "created")
    out["bookings_last_28d"] = np.rint(last28).astype("int64")
    out["bookings_prev_28d"] = np.rint(prev28).astype("int64")
    out["bookings_trend"] = (last28 + 1.0) / (prev28 + 1.0)
    base_start = pd.Timestamp(back(BASELINE_DAYS))
    first_day = np.maximum(signup, base_start)
    base_days = ((pd.Timestamp(back(28)) - first_day) / pd.Timedelta(days=1)).clip(lower=0)
    base_days_v = base_days.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        weekly = np.where(base_days_v >= MIN_BASELINE_DAYS, baseline / (base_days_v / 7.0), np.nan)
    out["bookings_vs_own_baseline"] = (last28 / 4.0 + 1.0) / (weekly + 1.0)
    resolved = completed + no_show
    out["no_show_rate_90d"] = _ratio(no_show, resolved)
    out["cancellation_rate_90d"] = _ratio(cancelled, resolved + cancelled)
    out["completed_gmv_28d"] = booked("gmv", 28, 0, "updated")
    out["online_booking_share_90d"] = _ratio(online90, all90)
    known = payments.window("known", back(90), as_of, as_of, "updated")[pos]
    rejected = payments.window("rejected", back(90), as_of, as_of, "updated")[pos]
    out["payment_rejection_rate_90d"] = _ratio(rejected, known)

    # -- back-office activity -------------------------------------------------------
    logins28 = activity.count(back(28), as_of)[pos]
    logins56 = activity.count(back(56), back(28))[pos]
    out["logins_last_28d"] = np.rint(logins28).astype("int64")
    out["logins_prev_28d"] = np.rint(logins56).astype("int64")
    out["logins_trend"] = (out["logins_last_28d"] + 1.0) / (out["logins_prev_28d"] + 1.0)
    last_login = activity.last_login(as_of)[pos]
    out["days_since_last_login"] = (ns(as_of) - last_login) / float(_DAY)
    out["distinct_features_used_90d"] = np.asarray(activity.distinct_features(back(90), as_of))[
        pos
    ].astype("int64")

    # -- invoices -------------------------------------------------------------------
    inv = small.invoices
    inv = inv[inv["issued_on"] < stamp]
    failed = inv[inv["status"].isin(FAILED_INVOICE_STATUSES) & (inv["updated"] < moment)]
    recent = failed[failed["issued_on"] >= stamp - pd.Timedelta(days=180)]
    out["failed_invoices_180d"] = (
        recent.groupby("tenant_id").size().reindex(index, fill_value=0).astype("int64")
    )
    last_failed = failed.groupby("tenant_id")["issued_on"].max().reindex(index)
    out["days_since_last_failed_invoice"] = ((stamp - last_failed) / pd.Timedelta(days=1)).astype(
        float
    )

    # -- support tickets ------------------------------------------------------------
    tk = small.tickets
    tk = tk[tk["opened"] < moment]
    closed = tk["closed"].notna() & (tk["closed"] < moment)
    csat_known = (
        (tk["closed"] >= pd.Timestamp(back(180)))
        & closed
        & (tk["updated"] < moment)
        & tk["csat"].notna()
    )
    high = (tk["opened"] >= pd.Timestamp(back(90))) & tk["severity"].isin(HIGH_SEVERITIES)
    by_tenant = tk["tenant_id"]
    out["open_tickets"] = (~closed).groupby(by_tenant).sum().reindex(index, fill_value=0)
    out["high_severity_tickets_90d"] = high.groupby(by_tenant).sum().reindex(index, fill_value=0)
    csat_sum = tk["csat"].where(csat_known, 0).astype(float).groupby(by_tenant).sum()
    csat_n = csat_known.groupby(by_tenant).sum()
    out["mean_csat_180d"] = _ratio(
        csat_sum.reindex(index, fill_value=0), csat_n.reindex(index, fill_value=0)
    )

    # -- NPS and CS touches ---------------------------------------------------------
    nps = small.nps[small.nps["at"] < moment]
    last_nps = nps.groupby("tenant_id").last()
    out["last_nps"] = last_nps["score"].reindex(index).astype(float)
    out["days_since_last_nps"] = (
        (moment - last_nps["at"].reindex(index)) / pd.Timedelta(days=1)
    ).astype(float)
    touches = small.touches[small.touches["at"] < moment]
    last_touch = touches.groupby("tenant_id")["at"].max().reindex(index)
    out["days_since_last_cs_touch"] = ((moment - last_touch) / pd.Timedelta(days=1)).astype(float)

    for column in _COUNT_COLUMNS:
        out[column] = out[column].astype("int64")
    out = out.loc[:, list(FEATURE_COLUMNS)]
    if not with_extras:
        return out

    # -- the churn model's extra signals --------------------------------------------
    recent_touch = touches[touches["at"] >= pd.Timestamp(back(TREATMENT_DAYS))]
    for column, arm in (("treated_touch_90d", "treated"), ("holdout_touch_90d", "holdout")):
        counts = recent_touch[recent_touch["arm"] == arm].groupby("tenant_id").size()
        out[column] = counts.reindex(index, fill_value=0).astype("int64")
    staff = small.staff[small.staff["hired_on"] < stamp]
    out["staff_count"] = staff.groupby("tenant_id").size().reindex(index, fill_value=0)
    logins_before = activity.count(back(118), back(28))[pos]
    out["logins_prev_90d"] = np.rint(logins_before).astype("int64")
    year = inv[inv["issued_on"] >= stamp - pd.Timedelta(days=365)]
    known_then = year["updated"] < moment
    failed_year = year[known_then & year["status"].isin(FAILED_INVOICE_STATUSES)]
    out["failed_invoices_365d"] = (
        failed_year.groupby("tenant_id").size().reindex(index, fill_value=0)
    )
    written_off = year[
        known_then
        & (year["status"] == "written_off")
        & (year["issued_on"] >= stamp - pd.Timedelta(days=90))
    ]
    out["written_off_invoices_90d"] = (
        written_off.groupby("tenant_id").size().reindex(index, fill_value=0)
    )
    for column in _EXTRA_COUNTS:
        out[column] = out[column].astype("int64")
    started = subs[subs["started_on"] < stamp]
    updates = started[started["reason"] == "price_update"].groupby("tenant_id").last()
    since = (stamp - updates["started_on"]) / pd.Timedelta(days=1)
    out["days_since_price_increase"] = since.reindex(index).astype(float)
    pct = (updates["mrr"].astype(float) / updates["prev_mrr"].astype(float) - 1.0) * 100
    out["last_price_increase_pct"] = pct.reindex(index).astype(float)
    return out


def _empty(with_extras: bool) -> pd.DataFrame:
    columns = [*FEATURE_COLUMNS, *(EXTRA_COLUMNS if with_extras else ())]
    return pd.DataFrame(columns=columns, index=pd.Index([], name="tenant_id", dtype="int64"))


def churn_features_many(
    *,
    session: Session,
    as_ofs: Iterable[datetime],
    tenant_ids: Iterable[int] | None = None,
    with_extras: bool = False,
) -> dict[datetime, pd.DataFrame]:
    """The features of :func:`churn_features` at many moments, in one pass over the tables.

    Parameters
    ----------
    session : Session
        An open SQLAlchemy session on the platform database (only read).
    as_ofs : iterable of datetime
        The moments, naive local Argentine time, midnights or not, in any order.
    tenant_ids : iterable of int, optional
        Restrict to these tenants.
    with_extras : bool, default False
        Also add :data:`EXTRA_COLUMNS` (the churn model's billing and CS signals).

    Returns
    -------
    dict of datetime to pandas.DataFrame
        For each moment (as a ``datetime``), exactly what ``churn_features`` returns for
        it (plus the extra columns when asked).
    """
    moments = sorted({pd.Timestamp(m).to_pydatetime() for m in as_ofs})
    if not moments:
        return {}
    ids = None if tenant_ids is None else sorted({int(t) for t in tenant_ids})
    last = max(moments)
    tenants = (
        _rows(
            session,
            select(Tenant.id, Tenant.signup_date, Tenant.churned_on, Tenant.vertical).where(
                Tenant.signup_date < last.date(), *([] if ids is None else [Tenant.id.in_(ids)])
            ),
            ["tenant_id", "signup_date", "churned_on", "vertical"],
        )
        .set_index("tenant_id")
        .sort_index()
    )
    signup = pd.to_datetime(tenants["signup_date"])
    churned = pd.to_datetime(tenants["churned_on"])
    alive_at = {}
    for moment in moments:
        day = pd.Timestamp(moment.date())
        alive_at[moment] = ((signup < day) & (churned.isna() | (churned >= day))).to_numpy()
    ever = np.logical_or.reduce(list(alive_at.values())) if len(tenants) else np.zeros(0, bool)
    grid_tenants = tenants.index.to_numpy("int64")[ever]
    if not len(grid_tenants):
        return {m: _empty(with_extras) for m in moments}
    bookings = _bookings(session, moments, grid_tenants)
    payments = _payments(session, moments, grid_tenants)
    activity = _activity(session, moments, grid_tenants)
    small = _small_tables(session, last, ids)
    frames = {}
    for moment in moments:
        alive = tenants[alive_at[moment]]
        if alive.empty:
            frames[moment] = _empty(with_extras)
            continue
        pos = np.searchsorted(grid_tenants, alive.index.to_numpy("int64"))
        frames[moment] = _one_moment(
            moment, alive, pos, bookings, payments, activity, small, with_extras
        )
    return frames


def churn_features(
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
    frames = churn_features_many(session=session, as_ofs=[as_of], tenant_ids=tenant_ids)
    return next(iter(frames.values()))
