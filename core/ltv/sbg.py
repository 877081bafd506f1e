"""The shifted-beta-geometric (sBG) retention model (Fader & Hardie 2007).

"How to project customer retention", Journal of Interactive Marketing 21(1), 76-90.
In a contractual setting, each customer churns at the end of any period with a
constant probability theta, and theta ~ Beta(alpha, beta) across customers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, hyp2f1
from sklearn.base import BaseEstimator

from core.ltv._optimize import fit_log_params
from core.ltv._validation import FloatArray, check_fitted, check_number

PARAMS = ("alpha", "beta")


def _log_churn_probability(alpha: float, beta: float, t: FloatArray) -> FloatArray:
    """``log P(T = t) = log B(alpha + 1, beta + t - 1) - log B(alpha, beta)`` for t >= 1."""
    return betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)


def _log_survival(alpha: float, beta: float, t: FloatArray | float) -> Any:
    """``log S(t) = log B(alpha, beta + t) - log B(alpha, beta)`` for t >= 0."""
    return betaln(alpha, beta + t) - betaln(alpha, beta)


class ShiftedBetaGeometric(BaseEstimator):
    """Shifted-beta-geometric model of a cohort's retention.

    A customer acquired at period 0 churns in period ``T >= 1`` (at the end of their
    ``T``-th period of activity); ``S(t) = P(T > t)`` is the share still active after
    ``t`` periods, with ``S(0) = 1``.

    Attributes
    ----------
    params_ : dict
        Estimates of ``alpha`` and ``beta``.
    log_likelihood_ : float
        Total log-likelihood at the estimates (equation B3 of the paper).
    n_customers_ : int
        Cohort size the model was fitted with.
    """

    def __init__(self) -> None:
        pass

    def fit(self, survival: Any, n_customers: int) -> ShiftedBetaGeometric:
        """Estimate ``alpha`` and ``beta`` from a cohort's survival curve.

        The likelihood counts ``n_customers * (S(t-1) - S(t))`` churners in each
        period ``t = 1..n`` and ``n_customers * S(n)`` survivors at the end (counts
        need not be whole numbers). With one period only, just ``alpha / (alpha +
        beta)`` is identified.

        Parameters
        ----------
        survival : array-like of float
            Share of the cohort still active at periods ``0..n``: starts at 1.0,
            never increases, stays within [0, 1]; at least two points.
        n_customers : int
            Cohort size at period 0 (>= 1).

        Returns
        -------
        ShiftedBetaGeometric
            The fitted model (``self``).

        Raises
        ------
        ValueError
            If ``survival`` or ``n_customers`` breaks the rules above, or nobody churns.
        """
        curve = _check_survival(survival)
        size = _check_cohort_size(n_customers)
        counts = size * np.append(-np.diff(curve), curve[-1])
        periods = np.arange(1, len(curve), dtype=float)
        last = float(len(curve) - 1)

        def total(params: FloatArray) -> float:
            alpha, beta = params
            terms = np.append(
                _log_churn_probability(alpha, beta, periods), _log_survival(alpha, beta, last)
            )
            return float(np.dot(counts, terms))

        def objective(params: FloatArray) -> float:
            return -total(params) / size

        alpha, beta = fit_log_params(objective, [(1.0, 1.0), (0.5, 2.0), (2.0, 0.5)], PARAMS)
        self.params_ = {"alpha": float(alpha), "beta": float(beta)}
        self.log_likelihood_ = total(np.array([alpha, beta]))
        self.n_customers_ = size
        return self

    def survival_function(self, periods: Any) -> FloatArray:
        """``S(t) = B(alpha, beta + t) / B(alpha, beta)`` for each ``t`` in ``periods``.

        Parameters
        ----------
        periods : int or array-like of int
            Periods since acquisition, each >= 0.

        Returns
        -------
        numpy.ndarray
            Share of the cohort expected to be still active after each period.
        """
        check_fitted(self)
        t = np.atleast_1d(np.asarray(periods))
        if t.size == 0 or not np.issubdtype(t.dtype, np.number) or t.dtype == bool:
            raise ValueError("periods must be whole numbers >= 0.")
        t = t.astype(float)
        if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t != np.round(t)):
            raise ValueError("periods must be whole numbers >= 0.")
        return np.exp(_log_survival(self.params_["alpha"], self.params_["beta"], t))

    def expected_lifetime(self, discount_rate: float = 0.0) -> float:
        """Discounted expected lifetime (DEL) of a newly acquired customer, in periods.

        ``DEL(d) = sum over t >= 0 of S(t) / (1 + d) ** t = 2F1(1, beta; alpha + beta;
        1 / (1 + d))`` (Fader & Hardie 2010, "Customer-base valuation in a contractual
        setting"). Period 0, the one the customer was acquired in, counts in full and
        undiscounted, so ``expected_lifetime(d) * margin`` is the expected CLV of a
        customer paying ``margin`` at the start of every active period. With ``d = 0``
        it is the expected number of active periods ``E[T] = 1 + beta / (alpha - 1)``
        when ``alpha > 1``, and ``inf`` otherwise (the tail is too heavy).

        Parameters
        ----------
        discount_rate : float, default 0
            Discount rate per period, ``d >= 0``.

        Returns
        -------
        float
            DEL in periods.
        """
        check_fitted(self)
        d = check_number(discount_rate, "discount_rate")
        alpha, beta = self.params_["alpha"], self.params_["beta"]
        if d == 0:
            return 1.0 + beta / (alpha - 1.0) if alpha > 1 else float("inf")
        return float(hyp2f1(1.0, beta, alpha + beta, 1.0 / (1.0 + d)))


def _check_survival(survival: Any) -> FloatArray:
    try:
        curve = np.asarray(survival, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("survival must be a sequence of numbers.") from None
    if curve.ndim != 1 or curve.size < 2:
        raise ValueError("survival needs at least two points (periods 0 and 1) in one dimension.")
    if not np.all(np.isfinite(curve)):
        raise ValueError("survival has missing or infinite values.")
    if curve[0] != 1.0:
        raise ValueError(f"survival must start at 1.0 (the whole cohort), got {curve[0]}.")
    if np.any((curve < 0) | (curve > 1)):
        raise ValueError("survival has values outside [0, 1].")
    if np.any(np.diff(curve) > 0):
        raise ValueError("survival increases somewhere; a cohort can only shrink.")
    if curve[-1] == 1.0:
        raise ValueError("survival never drops below 1.0; nobody churned, so nothing to fit.")
    return curve


def _check_cohort_size(n_customers: Any) -> int:
    if isinstance(n_customers, bool) or not isinstance(n_customers, int | np.integer):
        raise ValueError(f"n_customers must be a whole number >= 1, got {n_customers!r}.")
    if n_customers < 1:
        raise ValueError(f"n_customers must be a whole number >= 1, got {n_customers!r}.")
    return int(n_customers)
