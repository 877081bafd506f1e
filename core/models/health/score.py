"""The transparent health score: components, weights per tier, bands, history and trend.

A tenant's score on day ``d`` is the weighted mean of its available component scores
(``core.models.health.components``), each 0-100 and computed from rows dated before
``d`` only. Weights come from the tier's profile (edited in ``core.models.health.weights``),
normalized over the components available for that tenant that day: a missing component
is left out and the others re-weighted, and the row lists it in ``missing``.

Bands (documented thresholds): **red** below 40, **yellow** from 40 to below 70,
**green** from 70. The 7-day trend compares a stored score with the tenant's stored
score 7 days earlier (or up to 3 days before that, if that day is missing): **up** when
it rose by more than 3 points, **down** when it fell by more than 3, **same** otherwise.

The scheduler job (``core.models.health.job``, run by ``core.jobs``) stores one row per
tenant per day in ``console_health_scores``; pages read that table (through detail
snapshots), never recompute.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from core.clock import now
from core.models.health.client_base import (
    ClientBaseFits,
    VisitHistory,
    client_base_for_day,
)
from core.models.health.components import component_scores, health_signals_for_days
from core.models.health.definitions import (
    BANDS,
    COMPONENT_LABELS,
    COMPONENTS,
    TREND_DAYS,
    TREND_SLACK_DAYS,
    band_of,
    trend_of,
)
from core.models.health.fits import load_fits
from core.models.health.visit_cache import cached_visits
from core.schema import HealthScore, HealthWeight

__all__ = [
    "BANDS",
    "COMPONENTS",
    "COMPONENT_LABELS",
    "DEFAULT_WEIGHTS",
    "SCORE_COLUMNS",
    "band_of",
    "combine",
    "health_history",
    "health_scores_as_of",
    "health_scores_for_days",
    "iter_health_scores",
    "latest_health",
    "load_weights",
    "store_scores",
    "trend_of",
]

FALLBACK_TIER = "starter"  # a tenant with no open subscription period
SCORE_COLUMNS = tuple(f"{name}_score" for name in COMPONENTS)
EXTRA_COLUMNS = ("expected_active_clients", "share_clients_lapsed")
_STORED = ("tier", "score", "band", *SCORE_COLUMNS, "missing", *EXTRA_COLUMNS)


# Why these defaults: usage and billing move first before a small shop leaves; larger
# accounts are steered more by support, sentiment and the CS relationship.
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "starter": {
        "usage": 25, "adoption": 15, "billing": 20, "support": 10,
        "sentiment": 10, "relationship": 5, "client_base": 15,
    },
    "pro": {
        "usage": 25, "adoption": 20, "billing": 15, "support": 10,
        "sentiment": 10, "relationship": 5, "client_base": 15,
    },
    "enterprise": {
        "usage": 20, "adoption": 15, "billing": 10, "support": 15,
        "sentiment": 15, "relationship": 15, "client_base": 10,
    },
}  # fmt: skip


def load_weights(*, session: Session) -> dict[str, dict[str, float]]:
    """Tier -> component -> weight: stored rows over the defaults."""
    weights = {tier: dict(values) for tier, values in DEFAULT_WEIGHTS.items()}
    for row in session.scalars(select(HealthWeight)):
        if row.tier in weights and row.component in COMPONENTS:
            weights[row.tier][row.component] = float(row.weight)
    return weights


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
    fits: ClientBaseFits | None = None,
) -> Iterator[tuple[date, pd.DataFrame]]:
    """(day, :func:`health_scores_as_of`) for several days, newest first, in one pass.

    The clients' visits, feature uses, invoices and the churn features are read once
    for all the days (the visits from the process's cache, ``health.visit_cache``, which
    re-reads only the bookings changed since its last read); each tenant's client-base fit
    is reused or warm-started from ``fits`` (default: the stored fits, see
    ``core.models.health.fits``; the caller that stores scores also saves ``fits``).
    """
    wanted = sorted(set(days), reverse=True)
    if not wanted:
        return
    weights = weights or load_weights(session=session)
    if fits is None:
        fits = load_fits(session=session)
    history = VisitHistory(cached_visits(session, wanted[-1], wanted[0]))
    for day, signals in health_signals_for_days(session, wanted):
        base = client_base_for_day(history, day, tenant_ids=signals.index, fits=fits)
        yield day, _score(signals, base, weights)


def health_scores_for_days(
    session: Session,
    days: Iterable[date],
    weights: Mapping[str, Mapping[str, float]] | None = None,
    fits: ClientBaseFits | None = None,
) -> dict[date, pd.DataFrame]:
    """:func:`health_scores_as_of` for several days in one pass (see :func:`iter_health_scores`)."""
    return dict(iter_health_scores(session, days, weights, fits))


def health_scores_as_of(session: Session, as_of: date) -> pd.DataFrame:
    """Health of every tenant alive at ``as_of``, from rows dated before ``as_of`` only.

    Parameters
    ----------
    session : Session
        Read-only use of the platform tables (and the stored weights).
    as_of : date
        The day scored; its first instant is the cut-off (see ``health.components``).

    Returns
    -------
    pandas.DataFrame
        One row per tenant: ``tenant_id``, ``tier`` (of the subscription open then),
        ``score`` (0-100, NaN if nothing could be scored), ``band``, one
        ``<component>_score`` column per component (NaN when missing), ``missing``
        (list of component names), ``expected_active_clients``,
        ``share_clients_lapsed`` and ``clients_seen`` (client-base details).
    """
    return health_scores_for_days(session, [as_of])[as_of]


# ------------------------------------------------------------------------ storage


def _clean(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def store_scores(*, session: Session, day: date, scores: pd.DataFrame) -> int:
    """Replace the stored scores of ``day`` with ``scores`` (idempotent); returns rows."""
    session.execute(delete(HealthScore).where(HealthScore.day == day))
    if scores.empty:
        return 0
    moment = now()
    rows = [
        {
            "tenant_id": int(row["tenant_id"]),
            "day": day,
            "computed_at": moment,
            **{column: _clean(row[column]) for column in _STORED if column != "missing"},
            "missing": list(row["missing"]),
        }
        for row in scores.to_dict("records")
    ]
    session.execute(insert(HealthScore), rows)
    return len(rows)


def _frame(rows: Sequence[Any]) -> pd.DataFrame:
    columns = ["tenant_id", "day", *_STORED, "computed_at"]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame["missing"] = frame["missing"].apply(lambda m: list(m) if m else [])
    return frame


def _select_stored() -> Any:
    h = HealthScore
    return select(h.tenant_id, h.day, *(getattr(h, c) for c in _STORED), h.computed_at)


def latest_health(*, session: Session) -> pd.DataFrame:
    """Each tenant's latest stored day, with ``score_7d_ago``, ``delta_7d`` and ``trend_7d``."""
    h = HealthScore
    last = (
        select(h.tenant_id.label("tid"), func.max(h.day).label("last_day"))
        .group_by(h.tenant_id)
        .subquery()
    )
    latest = _frame(
        session.execute(
            _select_stored().join(last, (h.tenant_id == last.c.tid) & (h.day == last.c.last_day))
        ).all()
    )
    latest = latest.sort_values("tenant_id").reset_index(drop=True)
    if latest.empty:
        return latest.assign(score_7d_ago=[], delta_7d=[], trend_7d=[])
    earliest = min(latest["day"]) - timedelta(days=TREND_DAYS + TREND_SLACK_DAYS)
    before = pd.DataFrame(
        [
            tuple(r)
            for r in session.execute(
                select(h.tenant_id, h.day, h.score).where(h.day >= earliest, h.score.is_not(None))
            ).all()
        ],
        columns=["tenant_id", "day", "score"],
    )
    previous = _previous_scores(latest[["tenant_id", "day"]], before)
    latest["score_7d_ago"] = previous.to_numpy()
    latest["delta_7d"] = latest["score"].astype(float) - latest["score_7d_ago"].astype(float)
    latest["trend_7d"] = [trend_of(d) for d in latest["delta_7d"]]
    return latest


def _previous_scores(anchor: pd.DataFrame, history: pd.DataFrame) -> pd.Series:
    """Per anchor row: the score on the latest day in [day - 10, day - 7], else NaN."""
    if history.empty:
        return pd.Series(np.nan, index=anchor.index)
    merged = anchor.reset_index().merge(history, on="tenant_id", suffixes=("", "_h"))
    lag = (pd.to_datetime(merged["day"]) - pd.to_datetime(merged["day_h"])).dt.days
    merged = merged[(lag >= TREND_DAYS) & (lag <= TREND_DAYS + TREND_SLACK_DAYS)]
    picked = merged.sort_values("day_h").groupby("index")["score"].last()
    return picked.reindex(anchor.index).astype(float)


def health_history(*, session: Session, tenant_id: int, days: int = 90) -> pd.DataFrame:
    """One tenant's stored days within ``days`` of its latest one, oldest first, with trend."""
    h = HealthScore
    latest_day = session.scalar(select(func.max(h.day)).where(h.tenant_id == tenant_id))
    if latest_day is None:
        return _frame([]).assign(delta_7d=[], trend_7d=[])
    start = latest_day - timedelta(days=days + TREND_DAYS + TREND_SLACK_DAYS)
    rows = session.execute(
        _select_stored().where(h.tenant_id == tenant_id, h.day >= start).order_by(h.day)
    ).all()
    frame = _frame(rows)
    previous = _previous_scores(frame[["tenant_id", "day"]], frame[["tenant_id", "day", "score"]])
    frame["delta_7d"] = frame["score"].astype(float) - previous
    frame["trend_7d"] = [trend_of(d) for d in frame["delta_7d"]]
    shown = frame["day"] > latest_day - timedelta(days=days)
    return frame[shown].reset_index(drop=True)


def rescore_latest_day(*, session: Session, tier: str, weights: Mapping[str, float]) -> int:
    """Recombine the stored components of ``tier``'s rows on the latest day with new weights."""
    h = HealthScore
    latest_day = session.scalar(select(func.max(h.day)))
    if latest_day is None:
        return 0
    rows = list(session.scalars(select(h).where(h.day == latest_day, h.tier == tier)))
    if not rows:
        return 0
    components = pd.DataFrame(
        [[getattr(r, c) for c in SCORE_COLUMNS] for r in rows], columns=list(SCORE_COLUMNS)
    ).astype(float)
    scored = combine(components, pd.Series([tier] * len(rows)), {tier: dict(weights)})
    for row, score, band in zip(rows, scored["score"], scored["band"], strict=True):
        row.score, row.band = _clean(score), band
    return len(rows)
