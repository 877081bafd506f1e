"""Churn classifiers: a feature encoder, calibrated logistic regression and gradient boosting.

The encoder turns the point-in-time features (``core.models.churn.data``) into numbers
that mean the same thing at any date: ratios, rates, logs of counts and flags, never ARS
amounts (inflation would make last year's values look like another tenant). Unknowns
stay NaN for gradient boosting, which handles them natively; the logistic model imputes
the training median and adds a "was missing" flag.

Both models are calibrated with ``CalibratedClassifierCV`` on *time* splits: each
calibration block holds later as-of dates than its training rows, with a gap of the
label horizon between them, so no calibration label is known to the model it calibrates.

Once fitted, a classifier scores from plain parameters (``core.models.churn.parameters``):
the same arithmetic as scikit-learn, checked by a test, without its per-call input
checks, and storable as JSON (``core.models.churn.storage``) instead of a pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from core.models.churn.data import EXTRA_COLUMNS
from core.models.churn.parameters import member_from_sklearn
from core.models.features import FEATURE_COLUMNS
from core.vocabulary import TIERS, VERTICALS

__all__ = [
    "ALGORITHMS",
    "ENCODED_COLUMNS",
    "ChurnClassifier",
    "FeatureEncoder",
    "check_training_data",
    "time_calibration_splits",
]

ALGORITHMS = ("logistic_regression", "gradient_boosting")
#: The tenure effect on churn fades over months; this is its time constant (months).
NEW_TENANT_MONTHS = 4.0
#: A price increase is "recent" for this many days.
RECENT_PRICE_DAYS = 92
#: A failed invoice is "recent" for this many days.
RECENT_FAILED_DAYS = 61


def _encode(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Numeric model inputs from the feature frame (same row order, NaN where unknown).

    Plain numpy on columns taken out of the frame at once: scoring one tenant must take
    well under a millisecond here, and pandas' per-operation overhead alone would cost
    several.
    """
    values = frame.to_numpy(dtype=object)
    position = {name: k for k, name in enumerate(frame.columns)}

    def raw(name: str) -> np.ndarray:
        return values[:, position[name]]

    def col(name: str) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in raw(name)], dtype=float)

    with np.errstate(divide="ignore", invalid="ignore"):
        recent_price = (col("days_since_price_increase") < RECENT_PRICE_DAYS).astype(float)
        staff = np.maximum(col("staff_count"), 1.0)
        logins = col("logins_last_28d")
        price_pct = np.nan_to_num(col("last_price_increase_pct"), nan=0.0)
        days_failed = col("days_since_last_failed_invoice")
        out = {
            "new_tenant": np.exp(-col("tenure_days") / 30.4375 / NEW_TENANT_MONTHS),
            "log_bookings_28d": np.log1p(col("bookings_last_28d")),
            "log_bookings_trend": np.log(col("bookings_trend")),
            "log_bookings_vs_baseline": np.log(col("bookings_vs_own_baseline")),
            "no_show_rate": col("no_show_rate_90d"),
            "cancellation_rate": col("cancellation_rate_90d"),
            "online_share": col("online_booking_share_90d"),
            "payment_rejection_rate": col("payment_rejection_rate_90d"),
            "log_logins_28d": np.log1p(logins),
            "log_logins_trend": np.log(col("logins_trend")),
            # 90 days before the last 28, scaled to 28 days; +1 smoothed like the trends.
            "log_logins_vs_baseline": np.log((logins + 1) / (col("logins_prev_90d") * 28 / 90 + 1)),
            # Back-office use grows with the team (about staff^0.4): engagement per person.
            "log_logins_per_staff": np.log1p(logins) - 0.4 * np.log(staff),
            "log_days_since_login": np.log1p(col("days_since_last_login")),
            "features_used": col("distinct_features_used_90d"),
            "failed_invoices_180d": col("failed_invoices_180d"),
            "failed_invoices_365d": col("failed_invoices_365d"),
            # NaN (no failed invoice) compares False: not recent.
            "failed_invoice_recent": (days_failed <= RECENT_FAILED_DAYS).astype(float),
            "written_off_90d": col("written_off_invoices_90d"),
            "open_tickets": col("open_tickets"),
            "high_severity_tickets": col("high_severity_tickets_90d"),
            "mean_csat": col("mean_csat_180d"),
            "last_nps": col("last_nps"),
            "treated_touch": (col("treated_touch_90d") > 0).astype(float),
            "holdout_touch": (col("holdout_touch_90d") > 0).astype(float),
            "recent_price_increase_pct": recent_price * price_pct,
            "log_staff": np.log(staff),
        }
    tier = raw("tier").astype(str)
    vertical = raw("vertical").astype(str)
    for name in TIERS[:1] + TIERS[2:]:  # "pro" is the reference level
        out[f"tier_{name}"] = (tier == name).astype(float)
    for name in VERTICALS[1:]:  # "barbershop" is the reference level
        out[f"vertical_{name}"] = (vertical == name).astype(float)
    return out


ENCODED_COLUMNS: tuple[str, ...] = tuple(
    _encode(
        pd.DataFrame(
            {c: [1.0] for c in (*FEATURE_COLUMNS, *EXTRA_COLUMNS)}
            | {"tier": ["pro"], "vertical": ["salon"]}
        )
    )
)


def encode_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The encoded inputs as a float matrix, columns in :data:`ENCODED_COLUMNS` order."""
    encoded = _encode(frame)
    return np.column_stack([encoded[name] for name in ENCODED_COLUMNS])


class FeatureEncoder(TransformerMixin, BaseEstimator):
    """Feature frame -> float matrix with the columns of :data:`ENCODED_COLUMNS`."""

    def fit(self, features: pd.DataFrame, y: object = None) -> FeatureEncoder:
        self.feature_names_out_ = np.array(ENCODED_COLUMNS, dtype=object)
        return self

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        return encode_matrix(features)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array(ENCODED_COLUMNS, dtype=object)


def check_training_data(features: pd.DataFrame, y: Sequence[float] | np.ndarray) -> np.ndarray:
    """Labels as a 0/1 int array, or a clear ValueError for data a classifier cannot learn."""
    labels = np.asarray(y, dtype=float)
    if len(features) == 0 or labels.size == 0:
        raise ValueError("no training examples: the feature frame is empty")
    if len(features) != labels.size:
        raise ValueError(f"{len(features)} feature rows but {labels.size} labels")
    if np.isnan(labels).any():
        raise ValueError("some labels are unknown (NaN): drop unobserved examples first")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 (stayed) or 1 (churned)")
    if np.unique(labels).size < 2:
        kind = "churned" if labels[0] == 1 else "stayed"
        raise ValueError(f"only one class in the training labels: every tenant {kind}")
    return labels.astype(int)


def time_calibration_splits(
    as_of: pd.Series, labels: np.ndarray, *, n_splits: int, horizon_days: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, calibrate) index pairs over time blocks, each with both classes.

    The last ``n_splits`` blocks of distinct as-of dates calibrate in turn; the model
    calibrated on a block is trained on the dates whose label window closed before the
    block starts. Blocks whose training or calibration rows lack a class are skipped.
    """
    moments = pd.to_datetime(pd.Series(as_of).reset_index(drop=True))
    dates = np.sort(moments.unique())
    blocks = np.array_split(dates, n_splits + 1)[1:]
    splits = []
    for block in blocks:
        if len(block) == 0:
            continue
        start = pd.Timestamp(block[0])
        cal = np.flatnonzero(moments.isin(block).to_numpy())
        train = np.flatnonzero((moments + timedelta(days=horizon_days) <= start).to_numpy())
        if np.unique(labels[cal]).size == 2 and np.unique(labels[train]).size == 2:
            splits.append((train, cal))
    return splits


def standardized_inputs(pipeline: Pipeline, matrix: np.ndarray) -> np.ndarray:
    """The impute -> missing flags -> scale steps of a logistic pipeline, in numpy."""
    imputer, scaler = pipeline.named_steps["impute"], pipeline.named_steps["scale"]
    missing = np.isnan(matrix)
    filled = np.where(missing, imputer.statistics_, matrix)
    if imputer.indicator_ is not None:
        flags = missing[:, imputer.indicator_.features_].astype(float)
        filled = np.hstack([filled, flags])
    return (filled - scaler.mean_) / scaler.scale_


def _base_estimator(algorithm: str, random_state: int) -> Pipeline:
    if algorithm == "logistic_regression":
        return Pipeline(
            [
                (
                    "impute",
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                ),
                ("scale", StandardScaler()),
                ("model", LogisticRegression(C=1.0, max_iter=2000)),
            ]
        )
    if algorithm == "gradient_boosting":
        return Pipeline(
            [
                (
                    "model",
                    HistGradientBoostingClassifier(
                        learning_rate=0.05,
                        max_iter=150,
                        max_leaf_nodes=8,
                        min_samples_leaf=40,
                        l2_regularization=1.0,
                        random_state=random_state,
                    ),
                ),
            ]
        )
    raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")


class ChurnClassifier(ClassifierMixin, BaseEstimator):
    """A calibrated churn classifier on feature frames (scikit-learn conventions).

    Parameters
    ----------
    algorithm : {"logistic_regression", "gradient_boosting"}
    horizon_days : int
        The label horizon; calibration blocks start this long after their training rows.
    calibration : {"sigmoid", "isotonic"}
    n_splits : int
        Time blocks used for calibration (each yields one calibrated member).
    random_state : int

    ``fit(features, y)`` takes the feature frame (with an ``as_of`` column) and 0/1 labels.
    Fitted attributes: ``members_`` (each calibrated fold as plain parameters: what
    scores), ``explainer_`` (the plain logistic pipeline on all rows, for drivers),
    ``classes_``, ``n_train_``, ``n_calibration_members_``, and ``calibrated_`` (the
    ``CalibratedClassifierCV`` that fitted ``members_``; only on a model fitted in this
    process, since a stored model keeps the parameters alone).
    """

    def __init__(
        self,
        algorithm: str = "logistic_regression",
        horizon_days: int = 30,
        calibration: str = "sigmoid",
        n_splits: int = 3,
        random_state: int = 0,
    ) -> None:
        self.algorithm = algorithm
        self.horizon_days = horizon_days
        self.calibration = calibration
        self.n_splits = n_splits
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, y: Sequence[float] | np.ndarray) -> ChurnClassifier:
        labels = check_training_data(features, y)
        if "as_of" not in features.columns:
            raise ValueError("the feature frame needs an as_of column to calibrate over time")
        if self.calibration not in ("sigmoid", "isotonic"):
            raise ValueError("calibration must be 'sigmoid' or 'isotonic'")
        base = _base_estimator(self.algorithm, self.random_state)
        features = features.reset_index(drop=True)
        splits = time_calibration_splits(
            features["as_of"], labels, n_splits=self.n_splits, horizon_days=self.horizon_days
        )
        if not splits:
            raise ValueError(
                "not enough history to calibrate: no later block of as-of dates has both "
                "churned and retained tenants after a full label horizon of training data"
            )
        matrix = encode_matrix(features)
        self.calibrated_ = CalibratedClassifierCV(base, method=self.calibration, cv=splits)
        self.calibrated_.fit(matrix, labels)
        self.members_ = tuple(
            member_from_sklearn(member) for member in self.calibrated_.calibrated_classifiers_
        )
        self.explainer_ = _base_estimator("logistic_regression", self.random_state).fit(
            matrix, labels
        )
        self.classes_ = np.array([0, 1])
        self.n_train_ = len(features)
        self.n_calibration_members_ = len(splits)
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        return self.predict_proba_encoded(encode_matrix(features))

    def predict_proba_encoded(self, matrix: np.ndarray) -> np.ndarray:
        """Probabilities from already encoded inputs (see :func:`encode_matrix`).

        The mean of the calibrated members' probabilities, as ``CalibratedClassifierCV``
        computes it, evaluated in plain numpy from ``members_``: one tenant in well under
        a millisecond instead of the milliseconds of input validation in every pipeline
        step (and far more for gradient boosting's threaded predictor).
        """
        positive = np.mean([member.positive(matrix) for member in self.members_], axis=0)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(features)[:, 1] >= 0.5).astype(int)
