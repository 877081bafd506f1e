"""Churn labels and training examples: many as-of dates, point-in-time features, labels.

An *example* is one tenant on one as-of date (midnight): its features as of that moment
(``core.models.features.churn_features`` plus a few extra billing and CS signals,
``EXTRA_COLUMNS``, also point-in-time) and whether it churned within the next 30, 60 or 90 days.

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
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models.features import EXTRA_COLUMNS, churn_features_many
from core.schema import Subscription, Tenant

__all__ = [
    "EXTRA_COLUMNS",
    "HORIZONS",
    "as_of_dates",
    "build_examples",
    "churn_events",
    "examples_as_of",
    "examples_as_of_many",
    "label_column",
    "labels_for",
]

HORIZONS = (30, 60, 90)


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


def examples_as_of(
    *, session: Session, as_of: datetime, tenant_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Feature rows of the tenants with an open subscription at ``as_of`` (no labels).

    Indexed by ``tenant_id``; the base churn features then :data:`EXTRA_COLUMNS`.
    """
    frames = examples_as_of_many(session=session, as_ofs=[as_of], tenant_ids=tenant_ids)
    return next(iter(frames.values()))


def examples_as_of_many(
    *, session: Session, as_ofs: Iterable[datetime], tenant_ids: Iterable[int] | None = None
) -> dict[datetime, pd.DataFrame]:
    """:func:`examples_as_of` at many moments, computed in one pass (see
    ``core.models.features.churn_features_many``)."""
    frames = churn_features_many(
        session=session, as_ofs=as_ofs, tenant_ids=tenant_ids, with_extras=True
    )
    # Churned and not back: not a customer to score.
    return {moment: frame[frame["mrr_ars"].notna()] for moment, frame in frames.items()}


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
    computed = examples_as_of_many(session=session, as_ofs=dates)
    for k, as_of in enumerate(dates):
        rows = computed[pd.Timestamp(as_of).to_pydatetime()].reset_index()
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
