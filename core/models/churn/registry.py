"""Churn prediction: the model registry, promotion rule, scoring and the scheduler jobs.

Public API (others call these):

* :func:`latest_churn_scores` - the newest probability and drivers of every tenant;
* :func:`promoted_model` - the fitted classifier currently promoted (or None);
* :func:`score_tenant` - probability and drivers of one feature row.

How the pieces fit: ``churn.data`` makes point-in-time examples and labels,
``churn.model`` the calibrated classifiers, ``churn.backtest`` and ``churn.metrics`` the
rolling-origin evaluation, ``churn.training`` one training run, ``churn.drivers`` the
risk drivers in words. Every figure on the Model card page is read from the registry
row written here, never recomputed.

Promotion rule. A new model is promoted when (1) its backtest Brier score is below the
base-rate Brier (it is better than knowing nothing) and (2) its backtest ROC AUC is not
lower than the promoted model's by more than :data:`PROMOTION_AUC_TOLERANCE` (0.01).
The tolerance is far inside the AUC's bootstrap CI (about +/-0.05 on the demo data):
two retrains a day apart differ by noise of that size, and a strict "higher only" rule
would keep an old model forever while the data moves on. A promoted model that cannot be
loaded (a pickle written by an earlier release, see ``churn.storage``) is not compared
with: any new model better than the base rate replaces it (``replaces_unusable``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import read_session, write_unit
from core.models.churn.data import examples_as_of
from core.models.churn.drivers import render_driver, tenant_drivers
from core.models.churn.model import ChurnClassifier, encode_matrix
from core.models.churn.storage import StoredModelError, dump_model, load_model
from core.models.churn.training import (
    Candidate,
    TrainingConfig,
    first_data_day,
    health_risk,
    load_examples,
    train_candidate,
    training_dates,
)
from core.schema.churn_models import ChurnFeatureSet, ChurnModelVersion, ChurnScore

__all__ = [
    "PROMOTION_AUC_TOLERANCE",
    "compute_scores",
    "latest_churn_scores",
    "model_history",
    "promoted_model",
    "promoted_version",
    "promotion_decision",
    "register_candidate",
    "retrain",
    "score_all",
    "score_tenant",
]

PROMOTION_AUC_TOLERANCE = 0.01
#: Drivers shown per tenant.
TOP_DRIVERS = 3
# Cached feature sets stored per write unit after a retrain computed them (short writes).
FEATURE_SETS_PER_WRITE = 8


# ------------------------------------------------------------------- registry


def promotion_decision(
    metrics: dict[str, Any], current: ChurnModelVersion | None
) -> tuple[bool, dict[str, Any]]:
    """Whether a model with backtest ``metrics`` replaces ``current``, and why.

    The reason is a code (``first_model``, ``not_worse``, ``worse_auc``,
    ``no_better_than_base_rate``) with the figures compared. ``current`` is the promoted
    model that can be loaded, or None (see :func:`register_candidate`).
    """
    auc = float(metrics["roc_auc"]["value"])
    brier, baseline = float(metrics["brier"]["value"]), float(metrics["brier_baseline"]["value"])
    detail: dict[str, Any] = {
        "roc_auc": auc,
        "brier": brier,
        "brier_baseline": baseline,
        "tolerance": PROMOTION_AUC_TOLERANCE,
    }
    if brier >= baseline:
        return False, {"reason": "no_better_than_base_rate", **detail}
    if current is None:
        return True, {"reason": "first_model", **detail}
    detail |= {"previous_version": current.version, "previous_auc": current.roc_auc}
    if auc >= current.roc_auc - PROMOTION_AUC_TOLERANCE:
        return True, {"reason": "not_worse", **detail}
    return False, {"reason": "worse_auc", **detail}


def promoted_version(*, session: Session) -> ChurnModelVersion | None:
    """The registry row of the promoted model (the newest promoted one)."""
    return session.scalars(
        select(ChurnModelVersion)
        .where(ChurnModelVersion.promoted.is_(True))
        .order_by(ChurnModelVersion.version.desc())
        .limit(1)
    ).first()


def register_candidate(
    *, session: Session, candidate: Candidate, job_run_id: int | None = None
) -> ChurnModelVersion:
    """Store a trained model (JSON parameters) with its backtest; promote it if the rule says so.

    A promoted row that cannot be loaded is replaced by any model better than the base
    rate: comparing with it would keep an unusable model in place.
    """
    current = promoted_version(session=session)
    unusable = current is not None and not _loadable(current)
    promote, decision = promotion_decision(candidate.metrics, None if unusable else current)
    if unusable and current is not None:
        decision["previous_version"] = current.version
        if promote:
            decision["reason"] = "replaces_unusable"
    version = (session.scalar(select(func.max(ChurnModelVersion.version))) or 0) + 1
    row = ChurnModelVersion(
        version=version,
        trained_at=now(),
        data_start=candidate.data_start,
        data_end=candidate.data_end,
        horizon_days=candidate.horizon_days,
        algorithm=candidate.algorithm,
        metrics={**candidate.metrics, "promotion": decision},
        roc_auc=float(candidate.metrics["roc_auc"]["value"]),
        promoted=promote,
        promotion_note=str(decision["reason"]),
        model_bytes=dump_model(candidate.model),
        job_run_id=job_run_id,
    )
    if promote and current is not None:
        current.promoted = False
    session.add(row)
    session.flush()
    return row


def model_history(*, session: Session) -> pd.DataFrame:
    """Every registered version, newest first, without the model bytes."""
    m = ChurnModelVersion
    rows = session.execute(
        select(
            m.version,
            m.trained_at,
            m.data_start,
            m.data_end,
            m.horizon_days,
            m.algorithm,
            m.roc_auc,
            m.promoted,
            m.promotion_note,
            m.metrics,
        ).order_by(m.version.desc())
    ).all()
    columns = [
        "version",
        "trained_at",
        "data_start",
        "data_end",
        "horizon_days",
        "algorithm",
        "roc_auc",
        "promoted",
        "promotion_note",
        "metrics",
    ]
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


@lru_cache(maxsize=4)
def _load(version: int, trained_at: datetime, payload: bytes) -> ChurnClassifier:
    # Parsed once per version: scoring a tenant must not re-read the parameters.
    return load_model(payload, version=version)


def _loadable(row: ChurnModelVersion) -> bool:
    try:
        _load(row.version, row.trained_at, bytes(row.model_bytes))
    except StoredModelError:
        return False
    return True


def promoted_model(*, session: Session) -> ChurnClassifier | None:
    """The promoted fitted classifier (``model.version_`` set), or None before training.

    Raises
    ------
    StoredModelError
        When the promoted row cannot be loaded (a pickle from an earlier release, or a
        damaged row); the next ``churn_retrain`` run promotes a model in its place.
    """
    row = promoted_version(session=session)
    if row is None:
        return None
    model = _load(row.version, row.trained_at, bytes(row.model_bytes))
    model.version_ = row.version
    return model


# -------------------------------------------------------------------- scoring


def score_tenant(
    model: ChurnClassifier, features_row: pd.DataFrame | pd.Series
) -> tuple[float, list[dict[str, Any]]]:
    """Churn probability within the model's horizon and the top risk drivers of one tenant.

    ``features_row`` is one row of ``core.models.churn.data.examples_as_of`` (a Series
    or a one-row DataFrame). Drivers are ``{"msgid", "params", "weight"}`` dicts
    (English msgids; render with ``drivers.render_driver``).
    """
    frame = features_row.to_frame().T if isinstance(features_row, pd.Series) else features_row
    if len(frame) != 1:
        raise ValueError(f"score_tenant takes one tenant's features, got {len(frame)} rows")
    matrix = encode_matrix(frame)  # once, for the probability and the drivers
    probability = float(model.predict_proba_encoded(matrix)[0, 1])
    return probability, tenant_drivers(model.explainer_, frame, TOP_DRIVERS, matrix)[0]


def score_all(
    *, session: Session, model: ChurnClassifier, as_of: datetime, version: int
) -> pd.DataFrame:
    """Score every tenant active at ``as_of`` and add the rows to ``console_churn_scores``."""
    rows, frame = compute_scores(session=session, model=model, as_of=as_of, version=version)
    session.add_all(rows)
    session.flush()
    return frame


def compute_scores(
    *, session: Session, model: ChurnClassifier, as_of: datetime, version: int
) -> tuple[list[ChurnScore], pd.DataFrame]:
    """The score rows of every tenant active at ``as_of``, not yet added to a session.

    Returns the rows and the same scores as a frame (tenant_id, probability, drivers).
    """
    features = examples_as_of(session=session, as_of=as_of)
    if features.empty:
        return [], pd.DataFrame(columns=["tenant_id", "probability", "drivers"])
    probability = model.predict_proba(features)[:, 1]
    drivers = tenant_drivers(model.explainer_, features, top=TOP_DRIVERS)
    scored_at = now()
    rows = [
        ChurnScore(
            tenant_id=int(tenant_id),
            scored_at=scored_at,
            model_version=version,
            probability=float(p),
            drivers=d,
        )
        for tenant_id, p, d in zip(features.index, probability, drivers, strict=True)
    ]
    frame = pd.DataFrame(
        {"tenant_id": features.index, "probability": probability, "drivers": drivers}
    )
    return rows, frame


def latest_churn_scores(*, session: Session, locale: str = "en") -> pd.DataFrame:
    """The newest score of every tenant scored in the latest scoring run.

    Columns: ``tenant_id``, ``scored_at``, ``probability``, ``model_version``,
    ``drivers`` (list of str: the risk drivers rendered as text in ``locale``, English
    by default) and ``driver_messages`` (the same as msgid/params dicts).
    """
    last = session.scalar(select(func.max(ChurnScore.scored_at)))
    columns = ["tenant_id", "scored_at", "probability", "model_version", "drivers"]
    if last is None:
        return pd.DataFrame(columns=[*columns, "driver_messages"])
    s = ChurnScore
    rows = session.execute(
        select(s.tenant_id, s.scored_at, s.probability, s.model_version, s.drivers)
        .where(s.scored_at == last)
        .order_by(s.probability.desc())
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame["driver_messages"] = frame["drivers"]
    frame["drivers"] = [[render_driver(d, locale) for d in ds or []] for ds in frame["drivers"]]
    return frame


# ------------------------------------------------------------------- training


def _truth_for(engine: Engine) -> dict[str, Any] | None:
    import json

    from core.config import ground_truth_path_for

    path = Path(ground_truth_path_for(engine.url.render_as_string(hide_password=False)))
    return json.loads(path.read_text()) if path.exists() else None


def retrain(
    engine: Engine,
    *,
    data_end: date | None = None,
    config: TrainingConfig | None = None,
    job_run_id: int | None = None,
    with_health: bool = True,
    progress: bool = False,
) -> ChurnModelVersion:
    """Train, backtest, register (promoting if not worse) and score, in three transactions.

    ``data_end`` defaults to today: labels whose window ends after it are unknown.
    """
    data_end = data_end or now().date()
    config = config or TrainingConfig()
    # Computing a year of weekly feature sets takes minutes: do it in a read (no lock, no
    # flush), then store the new feature sets in short write units.
    with read_session(engine) as session, session.no_autoflush:
        first = first_data_day(session=session)
        if first is None:
            raise ValueError("no billing history yet: nothing to train a churn model on")
        dates = training_dates(first, data_end, config)
        cache_before = datetime.combine(now().date() - timedelta(days=1), datetime.min.time())
        examples = load_examples(
            session=session,
            dates=dates,
            data_end=data_end,
            cache_before=cache_before,
            progress=progress,
        )
        computed = [row for row in session.new if isinstance(row, ChurnFeatureSet)]
        session.expunge_all()
    for start in range(0, len(computed), FEATURE_SETS_PER_WRITE):
        with write_unit(engine) as session:
            session.add_all(computed[start : start + FEATURE_SETS_PER_WRITE])
    health = None
    if with_health and config.health_dates > 0:

        def health(rows: pd.DataFrame) -> pd.Series:
            with Session(engine) as read:
                return health_risk(session=read, rows=rows, max_dates=config.health_dates)

    candidate = train_candidate(examples, config=config, truth=_truth_for(engine), health=health)
    with write_unit(engine) as session:
        row = register_candidate(session=session, candidate=candidate, job_run_id=job_run_id)
    return row


def score_with_promoted(engine: Engine, *, as_of: datetime | None = None) -> int | None:
    """Score all active tenants with the promoted model; None when none is promoted yet.

    A promoted model that cannot be loaded raises :class:`StoredModelError`, so the
    scoring job records a failure that says why until a retrain replaces it.
    """
    # Features and predictions in a read; only the inserts hold the write lock.
    with read_session(engine) as session:
        model = promoted_model(session=session)
        if model is None:
            return None
        rows, _frame = compute_scores(
            session=session, model=model, as_of=as_of or now(), version=model.version_
        )
    with write_unit(engine) as session:
        session.add_all(rows)
    return len(rows)
