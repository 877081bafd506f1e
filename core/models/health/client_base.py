"""Client-base health: how many of a tenant's own clients are still coming back.

For each tenant, the BG/NBD model (``core.ltv``) is fitted on its clients' completed
visits of the last 365 days before ``as_of`` and gives every client a probability of
still being active. The component uses:

- ``expected_active_clients``: the sum of those probabilities;
- ``share_clients_active``: the share of clients with P(alive) >= 0.5 (the rest are
  "likely lapsed", ``share_clients_lapsed``).

Point in time: a visit counts when it started before ``as_of`` *and* its row was last
changed before ``as_of`` (so its "completed" status was known then).

Speed. Reading the visits dominates (about 2 M rows for a year of the default demo
data); one read serves many as-of days (:func:`client_base_signals`). Each tenant's
model is fitted on at most ``FIT_SAMPLE`` of its clients (a fixed random sample; the
four parameters need no more) and then applied to all of them. Measured on the default
demo data: see ``bench/results/health.json``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from core.ltv import BGNBD, ConvergenceWarning, rfm_summary
from core.schema import Booking

WINDOW_DAYS = 365
MIN_CLIENTS = 30  # fewer clients in the window: the component is missing
MIN_REPEAT_CLIENTS = 10  # the dropout process needs some repeat visits to be identified
FIT_SAMPLE = 250
ALIVE_THRESHOLD = 0.5
PENALIZER = 0.001  # keeps small samples from running off to extreme parameters

COLUMNS = (
    "clients_seen",
    "expected_active_clients",
    "share_clients_active",
    "share_clients_lapsed",
)


def load_visits(session: Session, first_as_of: date, last_as_of: date) -> pd.DataFrame:
    """Completed visits that could count for any as-of day in ``[first_as_of, last_as_of]``.

    Columns ``tenant_id``, ``customer_id``, ``day`` and ``known_day`` (day of the row's
    last change), both ``datetime64[D]``-valued, and ``amount``.
    """
    b = Booking
    low = datetime.combine(first_as_of - timedelta(days=WINDOW_DAYS), time())
    high = datetime.combine(last_as_of, time())
    # Timestamps come back as text and only their day is parsed: converting two
    # million DateTime values one by one would cost more than the query.
    rows = session.execute(
        select(
            b.tenant_id,
            b.customer_id,
            cast(b.start_at, String),
            cast(b.updated_at, String),
            b.price_ars,
        ).where(b.status == "completed", b.start_at >= low, b.start_at < high)
    ).all()
    if not rows:
        return pd.DataFrame(
            {
                "tenant_id": pd.Series(dtype="int64"),
                "customer_id": pd.Series(dtype="int64"),
                "day": pd.Series(dtype="datetime64[ns]"),
                "known_day": pd.Series(dtype="datetime64[ns]"),
                "amount": pd.Series(dtype="float64"),
            }
        )
    tenant, customer, start, updated, amount = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "tenant_id": np.asarray(tenant, dtype="int64"),
            "customer_id": np.asarray(customer, dtype="int64"),
            "day": np.array([s[:10] for s in start], dtype="datetime64[D]"),
            "known_day": np.array([s[:10] for s in updated], dtype="datetime64[D]"),
            "amount": np.asarray(amount, dtype="float64"),
        }
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {column: pd.Series(dtype="float64") for column in COLUMNS},
        index=pd.Index([], name="tenant_id", dtype="int64"),
    )


def _tenant_base(summary: pd.DataFrame, tenant_id: int) -> tuple[float, float] | None:
    """(expected active clients, share active) of one tenant, or None if not computable."""
    if len(summary) < MIN_CLIENTS or int((summary["frequency"] > 0).sum()) < MIN_REPEAT_CLIENTS:
        return None
    sample = summary
    if len(summary) > FIT_SAMPLE:
        sample = summary.sample(n=FIT_SAMPLE, random_state=tenant_id)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = BGNBD(penalizer_coef=PENALIZER).fit(sample)
        alive = model.prob_alive(summary).to_numpy()
    except ValueError:
        return None
    if not np.all(np.isfinite(alive)):
        return None
    return float(alive.sum()), float(np.mean(alive >= ALIVE_THRESHOLD))


def client_base_as_of(
    visits: pd.DataFrame, as_of: date, tenant_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Per tenant (index): clients seen in the window and the BG/NBD client-base figures.

    ``visits`` as from :func:`load_visits`; ``tenant_ids`` restricts the (costly) fits
    to those tenants. Tenants that cannot be scored have NaN in
    ``expected_active_clients``, ``share_clients_active`` and ``share_clients_lapsed``.
    """
    cut = np.datetime64(as_of, "D")
    start = cut - np.timedelta64(WINDOW_DAYS, "D")
    day = visits["day"].to_numpy(dtype="datetime64[D]")
    known = visits["known_day"].to_numpy(dtype="datetime64[D]")
    keep = (day >= start) & (day < cut) & (known < cut)
    if tenant_ids is not None:
        keep &= visits["tenant_id"].isin(list(tenant_ids)).to_numpy()
    seen = visits[keep]
    if seen.empty:
        return _empty()
    summary = rfm_summary(
        seen.rename(columns={"day": "date"}), as_of - timedelta(days=1), time_unit_days=7
    )
    owner = seen.groupby("customer_id")["tenant_id"].first()
    summary["tenant_id"] = owner.reindex(summary.index).to_numpy()
    rows = {}
    for tenant_id, part in summary.groupby("tenant_id", sort=True):
        result = _tenant_base(part, int(tenant_id))
        active, share = (np.nan, np.nan) if result is None else result
        rows[int(tenant_id)] = (float(len(part)), active, share, 1.0 - share)
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    out.index.name = "tenant_id"
    return out


def client_base_signals(session: Session, days: Iterable[date]) -> dict[date, pd.DataFrame]:
    """:func:`client_base_as_of` for several as-of days from one read of the visits."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    visits = load_visits(session, wanted[0], wanted[-1])
    return {day: client_base_as_of(visits, day) for day in wanted}
