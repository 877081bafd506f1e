"""The health score as computed before issue 18's vectorization: the equality tests' reference.

A verbatim copy (constants, signals, components, client base, combination) of
``core/models/health/{client_base,components,score}.py`` at commit b23d158, kept here ONLY
so tests can assert that the vectorized implementation gives the same scores on the same
data. Do not import it from application code; do not "fix" it: it is the yardstick.
Shared, unchanged inputs (``churn_features``, the BG/NBD model and the RFM summary of
``core.ltv``, the score's definitions and default weights) are imported.
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.orm import Session

from core.ltv import BGNBD, ConvergenceWarning, rfm_summary
from core.models.features import FAILED_INVOICE_STATUSES, churn_features
from core.models.health.definitions import COMPONENTS, band_of
from core.models.health.score import DEFAULT_WEIGHTS, load_weights
from core.schema import AdminActivity, Booking, Invoice

FALLBACK_TIER = "starter"
SCORE_COLUMNS = tuple(f"{name}_score" for name in COMPONENTS)
EXTRA_COLUMNS = ("expected_active_clients", "share_clients_lapsed")

# ---------------------------------------------------------------- client_base.py

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


# ---------------------------------------------------------------- components.py

# (signal value scoring 0, value scoring 100) of each ramp; see the module docstring.
USAGE_RAMP = (0.5, 1.1)
ONLINE_SHARE_RAMP = (0.3, 0.9)
LOGINS_28D_RAMP = (0.0, 30.0)
CSAT_RAMP = (1.0, 5.0)
NPS_RAMP = (0.0, 10.0)
CS_TOUCH_DAYS_RAMP = (180.0, 30.0)
CLIENTS_ACTIVE_RAMP = (0.5, 0.95)
FAILED_INVOICE_PENALTY = 40.0
LATE_INVOICE_PENALTY = 15.0
OPEN_TICKET_PENALTY = 25.0
HIGH_SEVERITY_PENALTY = 20.0
BILLING_DAYS = 180
FEATURE_DAYS = 90
NPS_MAX_AGE_DAYS = 365
TRACKED_FEATURES = ("reminders", "payments")


def ramp(values: Any, zero_at: float, full_at: float) -> pd.Series:
    """0-100, linear from ``zero_at`` (0) to ``full_at`` (100), clipped; NaN stays NaN.

    ``full_at`` may be below ``zero_at`` for signals where less is better.
    """
    x = pd.Series(values, dtype="float64")
    return ((x - zero_at) / (full_at - zero_at)).clip(0.0, 1.0) * 100.0


def as_of_moment(as_of: date) -> datetime:
    """The moment a day's score is computed at: its first instant (rows before it count)."""
    return datetime.combine(as_of, time())


def _feature_use(session: Session, as_of: datetime, tenant_ids: list[int]) -> pd.DataFrame:
    a = AdminActivity
    rows = session.execute(
        select(a.tenant_id, a.feature, func.count())
        .where(
            a.tenant_id.in_(tenant_ids),
            a.occurred_at >= as_of - timedelta(days=FEATURE_DAYS),
            a.occurred_at < as_of,
            a.kind == "feature",
            a.feature.in_(TRACKED_FEATURES),
        )
        .group_by(a.tenant_id, a.feature)
    ).all()
    used = pd.DataFrame([tuple(r) for r in rows], columns=["tenant_id", "feature", "n"])
    out = pd.DataFrame(index=pd.Index(tenant_ids, name="tenant_id"))
    for feature in TRACKED_FEATURES:
        ids = set(used.loc[used["feature"] == feature, "tenant_id"])
        out[f"uses_{feature}"] = [tenant in ids for tenant in out.index]
    return out


def _invoice_signals(session: Session, as_of: datetime, tenant_ids: list[int]) -> pd.DataFrame:
    """Invoices issued in the last 180 days: how many, failed (known), late."""
    day = as_of.date()  # a date is known once its whole day is over
    i = Invoice
    rows = session.execute(
        select(i.tenant_id, i.due_on, i.paid_on, i.status, i.updated_at).where(
            i.tenant_id.in_(tenant_ids),
            and_(i.issued_on >= day - timedelta(days=BILLING_DAYS), i.issued_on < day),
        )
    ).all()
    inv = pd.DataFrame(
        [tuple(r) for r in rows], columns=["tenant_id", "due_on", "paid_on", "status", "updated"]
    )
    out = pd.DataFrame(index=pd.Index(tenant_ids, name="tenant_id"))
    if inv.empty:
        out["invoices_180d"] = 0
        out["failed_invoices"] = 0
        out["late_invoices"] = 0
        return out
    due = pd.to_datetime(inv["due_on"])
    paid = pd.to_datetime(inv["paid_on"])
    cut = pd.Timestamp(day)
    failed = inv["status"].isin(FAILED_INVOICE_STATUSES) & (
        pd.to_datetime(inv["updated"]) < pd.Timestamp(as_of)
    )
    paid_known = paid.notna() & (paid < cut)
    late = ~failed & ((paid_known & (paid > due)) | (~paid_known & (due < cut)))
    inv = inv.assign(one=1, failed=failed.astype(int), late=late.astype(int))
    grouped = inv.groupby("tenant_id")[["one", "failed", "late"]].sum()
    grouped.columns = ["invoices_180d", "failed_invoices", "late_invoices"]
    return out.join(grouped).fillna(0).astype("int64")


def health_signals(session: Session, as_of: date) -> pd.DataFrame:
    """Raw signals of every tenant alive at ``as_of`` (indexed by tenant_id).

    Columns: those of ``churn_features`` plus ``uses_reminders``, ``uses_payments``,
    ``invoices_180d``, ``failed_invoices``, ``late_invoices`` and ``signup_days``.
    """
    moment = as_of_moment(as_of)
    features = churn_features(session=session, as_of=moment)
    ids = [int(t) for t in features.index]
    if not ids:
        return features
    features = features.join(_feature_use(session, moment, ids))
    features = features.join(_invoice_signals(session, moment, ids))
    features["signup_days"] = features["tenure_days"].astype(float)
    return features


def _mean_available(parts: list[pd.Series]) -> pd.Series:
    return pd.concat(parts, axis=1).mean(axis=1, skipna=True)


def component_scores(signals: pd.DataFrame) -> pd.DataFrame:
    """0-100 score of each component (columns ``<name>_score``), NaN where missing.

    ``signals`` is :func:`health_signals`' frame, optionally joined with the client-base
    columns ``share_clients_active`` (NaN when not computable).
    """
    s = signals
    out = pd.DataFrame(index=s.index)
    out["usage_score"] = ramp(s["bookings_vs_own_baseline"], *USAGE_RAMP)
    out["adoption_score"] = _mean_available(
        [
            ramp(s["online_booking_share_90d"], *ONLINE_SHARE_RAMP),
            s["uses_reminders"].astype(float) * 100.0,
            s["uses_payments"].astype(float) * 100.0,
            ramp(s["logins_last_28d"], *LOGINS_28D_RAMP),
        ]
    )
    billing = (
        100.0
        - FAILED_INVOICE_PENALTY * s["failed_invoices"].astype(float)
        - LATE_INVOICE_PENALTY * s["late_invoices"].astype(float)
    ).clip(lower=0.0)
    out["billing_score"] = billing.where(s["invoices_180d"] > 0)
    load = (
        100.0
        - OPEN_TICKET_PENALTY * s["open_tickets"].astype(float)
        - HIGH_SEVERITY_PENALTY * s["high_severity_tickets_90d"].astype(float)
    ).clip(lower=0.0)
    out["support_score"] = _mean_available([load, ramp(s["mean_csat_180d"], *CSAT_RAMP)])
    recent_nps = s["last_nps"].where(s["days_since_last_nps"] <= NPS_MAX_AGE_DAYS)
    out["sentiment_score"] = ramp(recent_nps, *NPS_RAMP)
    touch = s["days_since_last_cs_touch"].fillna(s["signup_days"])
    out["relationship_score"] = ramp(touch, *CS_TOUCH_DAYS_RAMP)
    active = s.get("share_clients_active", np.nan)
    out["client_base_score"] = ramp(
        pd.Series(active, index=s.index, dtype="float64"), *CLIENTS_ACTIVE_RAMP
    )
    return out


# ---------------------------------------------------------------- score.py


def combine(
    components: pd.DataFrame,
    tiers: pd.Series,
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """Score, band and missing components from component scores and each row's tier.

    Parameters
    ----------
    components : pandas.DataFrame
        Columns ``<name>_score`` (0-100, NaN when missing).
    tiers : pandas.Series
        Tier of each row (same index); unknown tiers use the starter profile.
    weights : mapping, optional
        Tier -> component -> weight (default: :data:`DEFAULT_WEIGHTS`).

    Returns
    -------
    pandas.DataFrame
        ``score`` (NaN when no weighted component is available), ``band`` and
        ``missing`` (list of component names), same index.
    """
    weights = weights or DEFAULT_WEIGHTS
    values = components.loc[:, list(SCORE_COLUMNS)].to_numpy(dtype=float)
    tier_keys = [t if t in weights else FALLBACK_TIER for t in tiers.reindex(components.index)]
    w = np.array([[float(weights[t].get(c, 0.0)) for c in COMPONENTS] for t in tier_keys])
    w = w.reshape(len(components), len(COMPONENTS))
    present = ~np.isnan(values)
    used = np.where(present, w, 0.0)
    total = used.sum(axis=1)
    weighted = np.where(present, values, 0.0) * used
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(total > 0, weighted.sum(axis=1) / np.where(total > 0, total, 1), np.nan)
    return pd.DataFrame(
        {
            "score": score,
            "band": [band_of(s) for s in score],
            "missing": [
                [c for c, p in zip(COMPONENTS, row, strict=True) if not p] for row in present
            ],
        },
        index=components.index,
    )


def _score(
    signals: pd.DataFrame, base: pd.DataFrame, weights: Mapping[str, Mapping[str, float]]
) -> pd.DataFrame:
    if signals.empty:
        columns = ["tenant_id", "tier", "score", "band", *SCORE_COLUMNS, "missing"]
        return pd.DataFrame(columns=[*columns, *EXTRA_COLUMNS, "clients_seen"])
    signals = signals.join(base, how="left")
    components = component_scores(signals)
    tiers = signals["tier"].astype(object).where(signals["tier"].notna(), FALLBACK_TIER)
    scored = combine(components, tiers, weights)
    out = pd.concat([tiers.rename("tier"), scored[["score", "band"]], components], axis=1)
    out["missing"] = scored["missing"]
    for column in (*EXTRA_COLUMNS, "clients_seen"):
        out[column] = signals.get(column, np.nan)
    out.index.name = "tenant_id"
    return out.reset_index()


def iter_health_scores(
    session: Session,
    days: Iterable[date],
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> Iterator[tuple[date, pd.DataFrame]]:
    """(day, :func:`health_scores_as_of`) for several days, newest first, reading the
    clients' visits once."""
    wanted = sorted(set(days), reverse=True)
    if not wanted:
        return
    weights = weights or load_weights(session=session)
    visits = load_visits(session, wanted[-1], wanted[0])
    for day in wanted:
        signals = health_signals(session, day)
        base = client_base_as_of(visits, day, tenant_ids=signals.index)
        yield day, _score(signals, base, weights)


def reference_health_scores_for_days(
    session: Session,
    days: Iterable[date],
    weights: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[date, pd.DataFrame]:
    """:func:`health_scores_as_of` for several days, reading the clients' visits once."""
    return dict(iter_health_scores(session, days, weights))
