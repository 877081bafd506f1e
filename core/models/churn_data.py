"""Churn labels and training examples: many as-of dates, point-in-time features, labels.

An *example* is one tenant on one as-of date (midnight): its features as of that moment
(``core.models.features.churn_features`` plus a few extra billing and CS signals computed
here, also point-in-time) and whether it churned within the next 30, 60 or 90 days.

Churn days come from billing: a tenant churns on day ``d`` when a subscription period
ends on ``d`` and no period of the same tenant is open on ``d``. This also finds churns
of tenants that came back later (whose ``tenants.churned_on`` was cleared), and agrees
with ``tenants.churned_on`` for every tenant that is churned today (both are used).

A label for the window ``[day, day + h)`` is *observed* only when ``day + h <=
data_end`` (the first day whose churns are not all known yet); otherwise it is NaN
and the example cannot be used to train or test, only to score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.models.features import FAILED_INVOICE_STATUSES, churn_features
from core.schema import AdminActivity, CsIntervention, Invoice, Staff, Subscription, Tenant

__all__ = [
    "DEFAULT_HORIZON",
    "EXTRA_COLUMNS",
    "HORIZONS",
    "as_of_dates",
    "build_examples",
    "churn_events",
    "examples_as_of",
    "label_column",
    "labels_for",
]

HORIZONS = (30, 60, 90)
DEFAULT_HORIZON = 30
#: An intervention's effect on churn is expected to last about this long.
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


def label_column(horizon: int) -> str:
    return f"churn_{int(horizon)}d"


def as_of_dates(start: date, end: date, step_days: int) -> list[datetime]:
    """Midnights from ``start`` to ``end`` (inclusive) every ``step_days``, newest last."""
    if step_days < 1:
        raise ValueError("step_days must be at least 1")
    if end < start:
        raise ValueError(f"the as-of range is empty: {start} is after {end}")
    days = range(0, (end - start).days + 1, step_days)
    return [datetime.combine(start + timedelta(days=d), datetime.min.time()) for d in days]


def churn_events(*, session: Session) -> pd.DataFrame:
    """Every churn of every tenant: columns ``tenant_id``, ``churned_on`` (date)."""
    subs = pd.DataFrame(
        [
            tuple(row)
            for row in session.execute(
                select(Subscription.tenant_id, Subscription.started_on, Subscription.ended_on)
            ).all()
        ],
        columns=["tenant_id", "started_on", "ended_on"],
    )
    events: set[tuple[int, date]] = set()
    for tenant_id, periods in subs.groupby("tenant_id"):
        spans = list(zip(periods["started_on"], periods["ended_on"], strict=True))
        for _, end in spans:
            if end is None or pd.isna(end):
                continue
            open_on_end = any(s <= end and (e is None or pd.isna(e) or e > end) for s, e in spans)
            if not open_on_end:
                events.add((int(tenant_id), end))
    for tenant_id, churned_on in session.execute(
        select(Tenant.id, Tenant.churned_on).where(Tenant.churned_on.is_not(None))
    ).all():
        events.add((int(tenant_id), cast(date, churned_on)))  # not NULL, by the WHERE
    frame = pd.DataFrame(sorted(events), columns=["tenant_id", "churned_on"])
    return frame.astype({"tenant_id": "int64"})


def labels_for(
    examples: pd.DataFrame, events: pd.DataFrame, horizon: int, data_end: date
) -> pd.Series:
    """1.0 if the tenant churns in ``[day, day + horizon)``, else 0.0; NaN if not observed.

    ``examples`` has columns ``tenant_id`` and ``as_of`` (midnights).
    """
    day = pd.to_datetime(examples["as_of"]).dt.normalize()
    window_end = day + pd.Timedelta(days=int(horizon))
    label = np.zeros(len(examples))
    if len(events):
        ev = pd.DataFrame(
            {"tenant_id": events["tenant_id"], "ev": pd.to_datetime(events["churned_on"])}
        )
        left = pd.DataFrame(
            {"row": np.arange(len(examples)), "tenant_id": examples["tenant_id"].to_numpy()}
        ).merge(ev, on="tenant_id")
        rows = left["row"].to_numpy()
        hit = (left["ev"].to_numpy() >= day.to_numpy()[rows]) & (
            left["ev"].to_numpy() < window_end.to_numpy()[rows]
        )
        label[np.unique(rows[hit])] = 1.0
    observed = (window_end <= pd.Timestamp(data_end)).to_numpy()
    return pd.Series(np.where(observed, label, np.nan), index=examples.index)


def _extra_features(session: Session, as_of: datetime, ids: list[int]) -> pd.DataFrame:
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


def examples_as_of(
    *, session: Session, as_of: datetime, tenant_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Feature rows of the tenants with an open subscription at ``as_of`` (no labels).

    Indexed by ``tenant_id``; the base churn features then :data:`EXTRA_COLUMNS`.
    """
    base = churn_features(session=session, as_of=as_of, tenant_ids=tenant_ids)
    base = base[base["mrr_ars"].notna()]  # churned and not back: not a customer to score
    extra = _extra_features(session, as_of, [int(x) for x in base.index])
    return pd.concat([base, extra], axis=1)


def build_examples(
    *,
    session: Session,
    dates: Sequence[datetime],
    data_end: date,
    horizons: Sequence[int] = HORIZONS,
    progress: bool = False,
) -> pd.DataFrame:
    """Examples for every tenant active at each of ``dates``, with their labels.

    Columns: ``as_of``, ``tenant_id``, the features, then one label column per horizon
    (:func:`label_column`), NaN where the label window ends after ``data_end``.
    """
    if not dates:
        raise ValueError("no as-of dates to build examples for")
    events = churn_events(session=session)
    parts = []
    for k, as_of in enumerate(dates):
        rows = examples_as_of(session=session, as_of=as_of).reset_index()
        rows.insert(0, "as_of", pd.Timestamp(as_of))
        parts.append(rows)
        if progress:
            print(
                f"  examples {k + 1}/{len(dates)} as of {as_of:%Y-%m-%d}: {len(rows)}", flush=True
            )
    frame = pd.concat(parts, ignore_index=True)
    for h in horizons:
        frame[label_column(h)] = labels_for(frame, events, h, data_end)
    return frame
