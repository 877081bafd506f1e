"""Train a churn model: cached point-in-time examples, backtest of each algorithm, final fit.

The as-of grid is every ``step_days`` back from ``data_end`` (so the newest examples are
as of ``data_end`` itself) to ``warmup_days`` after the first day with data (features
need history). Feature sets of past dates are kept in ``console_churn_feature_sets``;
each run computes only the dates it has not seen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models.churn.backtest import evaluate, oracle_probabilities, rolling_origin_backtest
from core.models.churn.data import (
    EXTRA_COLUMNS,
    as_of_dates,
    churn_events,
    examples_as_of_many,
    label_column,
    labels_for,
)
from core.models.churn.drivers import global_importance
from core.models.churn.model import ALGORITHMS, ChurnClassifier
from core.models.features import FEATURE_COLUMNS
from core.schema import Invoice
from core.schema.churn_models import ChurnFeatureSet

__all__ = [
    "FEATURE_VERSION",
    "Candidate",
    "TrainingConfig",
    "health_risk",
    "load_examples",
    "train_candidate",
]

_CATEGORICAL = ("vertical", "tier", "plan")
FEATURE_VERSION = hashlib.sha1(json.dumps([*FEATURE_COLUMNS, *EXTRA_COLUMNS]).encode()).hexdigest()[
    :16
]


@dataclass(frozen=True)
class TrainingConfig:
    horizon_days: int = 30
    step_days: int = 7
    warmup_days: int = 56
    n_origins: int = 4
    dates_per_origin: int = 6
    algorithms: tuple[str, ...] = ALGORITHMS
    n_boot: int = 500
    #: Health scores are slow to compute for past days: at most this many test dates.
    health_dates: int = 4


@dataclass
class Candidate:
    model: ChurnClassifier
    algorithm: str
    data_start: date
    data_end: date
    horizon_days: int
    metrics: dict[str, Any] = field(default_factory=dict)


def _to_json_frame(frame: pd.DataFrame) -> dict[str, Any]:
    clean = frame.astype(object).where(frame.notna(), None)
    return {"columns": list(clean.columns), "data": clean.to_numpy().tolist()}


def _from_json_frame(payload: Mapping[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(payload["data"], columns=payload["columns"])
    for column in frame.columns:
        if column not in (*_CATEGORICAL, "tenant_id"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def load_examples(
    *,
    session: Session,
    dates: Sequence[datetime],
    data_end: date,
    cache_before: datetime | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Examples (features + labels, see ``churn.data.build_examples``) for ``dates``.

    Feature sets of dates before ``cache_before`` are read from, or added to, the
    cache table (the caller commits); later dates are always computed afresh.
    """
    if not dates:
        raise ValueError("no as-of dates to build examples for")
    cached = {
        row.as_of: row.frame
        for row in session.scalars(
            select(ChurnFeatureSet).where(
                ChurnFeatureSet.feature_version == FEATURE_VERSION,
                ChurnFeatureSet.as_of.in_(list(dates)),
            )
        )
    }
    # Every date not cached is computed in one pass over the tables.
    fresh = examples_as_of_many(session=session, as_ofs=[d for d in dates if d not in cached])
    parts = []
    for k, as_of in enumerate(dates):
        if as_of in cached:
            rows = _from_json_frame(cached[as_of])
        else:
            computed = fresh[pd.Timestamp(as_of).to_pydatetime()].reset_index()
            for column in _CATEGORICAL:
                computed[column] = computed[column].astype(object)
            payload = _to_json_frame(computed)
            if cache_before is not None and as_of < cache_before:
                session.add(
                    ChurnFeatureSet(as_of=as_of, feature_version=FEATURE_VERSION, frame=payload)
                )
            rows = _from_json_frame(payload)
            if progress:
                print(f"  features as of {as_of:%Y-%m-%d}: {k + 1}/{len(dates)}", flush=True)
        rows.insert(0, "as_of", pd.Timestamp(as_of))
        parts.append(rows)
    frame = pd.concat(parts, ignore_index=True)
    frame["tenant_id"] = frame["tenant_id"].astype("int64")
    events = churn_events(session=session)
    for horizon in (30, 60, 90):
        frame[label_column(horizon)] = labels_for(frame, events, horizon, data_end)
    return frame


def first_data_day(*, session: Session) -> date | None:
    """The first day BarberPro billed anyone: where usable history starts."""
    return session.scalar(select(func.min(Invoice.issued_on)))


def training_dates(first_day: date, data_end: date, config: TrainingConfig) -> list[datetime]:
    """Mondays (midnight) from the warm-up's end to ``data_end``, every ``step_days``.

    Anchored on fixed Mondays, not on ``data_end``, so tomorrow's run reuses today's
    cached feature sets (and the health job's stored Monday scores).
    """
    start = first_day + timedelta(days=config.warmup_days)
    start += timedelta(days=(7 - start.weekday()) % 7)
    if start > data_end:
        raise ValueError(
            f"history from {first_day} to {data_end} is shorter than the "
            f"{config.warmup_days}-day warm-up the features need"
        )
    return as_of_dates(start, data_end, config.step_days)


def health_risk(*, session: Session, rows: pd.DataFrame, max_dates: int) -> pd.Series:
    """``-health score`` of each row (higher = riskier), on up to ``max_dates`` dates.

    Days already stored by the health job are read; others are computed with
    ``core.models.health.score`` (slow: BG/NBD per tenant), spread evenly over the test
    dates. NaN where not evaluated; the count of evaluated rows is reported with it.
    """
    from core.models.health.score import health_scores_for_days
    from core.schema import HealthScore

    days = sorted({pd.Timestamp(x).date() for x in rows["as_of"]})
    stored = pd.DataFrame(
        [
            tuple(r)
            for r in session.execute(
                select(HealthScore.day, HealthScore.tenant_id, HealthScore.score).where(
                    HealthScore.day.in_(days)
                )
            ).all()
        ],
        columns=["day", "tenant_id", "score"],
    )
    missing = [day for day in days if day not in set(stored["day"])]
    if max_dates < len(missing):
        picks = np.linspace(0, len(missing) - 1, max_dates).round().astype(int)
        missing = [missing[i] for i in sorted(set(picks))]
    scores = health_scores_for_days(session, missing) if missing else {}
    frames = [stored] + [
        pd.DataFrame(
            {"day": day, "tenant_id": scores[day]["tenant_id"], "score": scores[day]["score"]}
        )
        for day in missing
        if day in scores and len(scores[day])
    ]
    frames = [f for f in frames if len(f)]
    out = pd.Series(np.nan, index=rows.index)
    if not frames:
        return out
    table = pd.concat(frames).set_index(["day", "tenant_id"])["score"].astype(float)
    keys = list(
        zip([pd.Timestamp(x).date() for x in rows["as_of"]], rows["tenant_id"], strict=True)
    )
    found = table.reindex(pd.MultiIndex.from_tuples(keys)).to_numpy()
    return pd.Series(-found, index=rows.index)


def train_candidate(
    examples: pd.DataFrame,
    *,
    config: TrainingConfig | None = None,
    truth: Mapping[str, Any] | None = None,
    health: Any = None,
) -> Candidate:
    """Backtest every algorithm, keep the best AUC, refit it on every labelled example.

    ``health`` is a callable ``rows -> Series`` of health risk (see :func:`health_risk`)
    or None; ``truth`` the generator's ground-truth document or None.
    """
    config = config or TrainingConfig()
    column = label_column(config.horizon_days)
    labelled = examples[examples[column].notna()].reset_index(drop=True)
    results: dict[str, dict[str, Any]] = {}
    health_rows: pd.Series | None = None
    for algorithm in config.algorithms:
        result = rolling_origin_backtest(
            labelled,
            partial(ChurnClassifier, algorithm=algorithm, horizon_days=config.horizon_days),
            horizon_days=config.horizon_days,
            n_origins=config.n_origins,
            dates_per_origin=config.dates_per_origin,
            algorithm=algorithm,
        )
        predictions = result.predictions
        oracle = (
            None if truth is None else oracle_probabilities(predictions, truth, config.horizon_days)
        )
        if health is not None and health_rows is None:
            health_rows = health(predictions)
        metrics = evaluate(
            predictions, oracle=oracle, health_risk=health_rows, n_boot=config.n_boot
        )
        if metrics["health_auc"] is not None and health_rows is not None:
            known = health_rows.notna().to_numpy()
            y = predictions["label"].to_numpy()[known]
            p = predictions["probability"].to_numpy()[known]
            from core.models.churn.metrics import roc_auc

            metrics["health_auc"]["model_auc_same_rows"] = roc_auc(y, p)
        metrics["origins"] = result.origins
        results[algorithm] = metrics
    best = max(results, key=lambda name: results[name]["roc_auc"]["value"])
    model = ChurnClassifier(algorithm=best, horizon_days=config.horizon_days).fit(
        labelled, labelled[column].to_numpy()
    )
    metrics = dict(results[best])
    metrics["algorithms"] = {
        name: {
            "roc_auc": r["roc_auc"],
            "pr_auc": r["pr_auc"],
            "brier": r["brier"],
            "top_decile_lift": r["top_decile_lift"],
        }
        for name, r in results.items()
    }
    metrics["importance"] = global_importance(model.explainer_)
    metrics["n_train"] = len(labelled)
    metrics["n_train_churners"] = int(labelled[column].sum())
    metrics["n_train_tenants"] = int(labelled["tenant_id"].nunique())
    metrics["horizon_days"] = config.horizon_days
    return Candidate(
        model=model,
        algorithm=best,
        data_start=pd.Timestamp(labelled["as_of"].min()).date(),
        data_end=pd.Timestamp(labelled["as_of"].max()).date(),
        horizon_days=config.horizon_days,
        metrics=metrics,
    )
