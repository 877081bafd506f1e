"""Input checks shared by the LTV estimators: each problem is one clear ValueError."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.exceptions import NotFittedError

FloatArray = NDArray[np.float64]


def check_fitted(estimator: Any) -> None:
    """Raise NotFittedError (a ValueError) when ``estimator`` has no ``params_`` yet."""
    if not hasattr(estimator, "params_"):
        name = type(estimator).__name__
        raise NotFittedError(f"This {name} is not fitted yet; call fit before predicting.")


def check_number(value: Any, name: str, what: str = "a finite number >= 0") -> float:
    """``value`` as a float when it is a finite real number >= 0, else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be {what}, got {value!r}.")
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be {what}, got {value!r}.")
    return number


def check_penalizer(penalizer_coef: Any) -> float:
    """The penalizer as a float, or a ValueError when it is negative or not a number."""
    return check_number(penalizer_coef, "penalizer_coef")


def check_summary(summary: Any, columns: Sequence[str]) -> dict[str, FloatArray]:
    """Validate an RFM summary and return the requested columns as float arrays.

    Checks: a non-empty DataFrame with the columns, numeric and finite, no negative
    values, whole-number ``frequency``, ``recency <= T`` and ``recency == 0`` when
    ``frequency == 0`` (whichever of these columns are requested).
    """
    if not isinstance(summary, pd.DataFrame):
        raise ValueError(f"summary must be a pandas DataFrame, got {type(summary).__name__}.")
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise ValueError(f"summary is missing column(s) {missing}; it needs {list(columns)}.")
    if summary.empty:
        raise ValueError("summary is empty; it needs at least one customer.")
    arrays: dict[str, FloatArray] = {}
    for column in columns:
        if not pd.api.types.is_numeric_dtype(summary[column]) or pd.api.types.is_bool_dtype(
            summary[column]
        ):
            raise ValueError(f"summary column {column!r} must be numeric.")
        values = summary[column].to_numpy(dtype=float, na_value=np.nan)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"summary column {column!r} has missing or infinite values.")
        if np.any(values < 0):
            raise ValueError(f"summary column {column!r} has negative values.")
        arrays[column] = values
    if "frequency" in arrays and np.any(arrays["frequency"] != np.round(arrays["frequency"])):
        raise ValueError("summary column 'frequency' must hold whole numbers of purchases.")
    if "recency" in arrays and "T" in arrays and np.any(arrays["recency"] > arrays["T"]):
        raise ValueError("summary has rows with recency greater than T.")
    if (
        "recency" in arrays
        and "frequency" in arrays
        and np.any((arrays["frequency"] == 0) & (arrays["recency"] > 0))
    ):
        raise ValueError("summary has rows with frequency 0 but a positive recency.")
    return arrays


def check_horizon(t: Any) -> float:
    """A prediction horizon as a float, or a ValueError when it is not a number >= 0."""
    return check_number(t, "t", "a finite number of periods >= 0")
