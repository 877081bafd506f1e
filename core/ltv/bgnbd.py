"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

"Counting your customers the easy way: an alternative to the Pareto/NBD model",
Marketing Science 24(2), 275-284. While active, a customer buys as a Poisson process
with rate lambda ~ Gamma(r, alpha) (shape, rate); after every purchase they become
inactive with probability p ~ Beta(a, b). Equation numbers below are the paper's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, expit, gammaln, hyp2f1
from sklearn.base import BaseEstimator

from core.ltv._optimize import fit_log_params
from core.ltv._validation import (
    FloatArray,
    check_fitted,
    check_horizon,
    check_penalizer,
    check_summary,
)

PARAMS = ("r", "alpha", "a", "b")
_COLUMNS = ("frequency", "recency", "T")
# Like lifetimes, time is rescaled for fitting so that the longest T is this long: it
# keeps alpha near 1 whatever the time unit, and the penalizer acts on that scale.
_FIT_TIME_SCALE = 10.0


def log_likelihood(
    params: FloatArray, x: FloatArray, t_x: FloatArray, t_end: FloatArray
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood (equation 6), computed with log-sum-exp.

    ``L = B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
    + [x > 0] B(a + 1, b + x - 1) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r)
    (alpha + t_x)^(r + x))``, with ``T = t_end``.

    Parameters
    ----------
    params : array of float
        ``(r, alpha, a, b)``, all positive.
    x, t_x, t_end : arrays of float
        Repeat purchases (``frequency``), time of the last purchase (``recency``) and
        length of observation (``T``).

    Returns
    -------
    numpy.ndarray
        ``log L(r, alpha, a, b | x, t_x, T)`` for each customer.
    """
    return _log_likelihood_and_gradient(np.asarray(params, dtype=float), x, t_x, t_end)[0]


def _log_likelihood_and_gradient(
    params: FloatArray, x: FloatArray, t_x: FloatArray, t_end: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log-likelihood per customer and its gradient (4 x n) with respect to the params."""
    r, alpha, a, b = params
    repeat = x > 0
    x_safe = np.where(repeat, x, 1.0)  # keeps b + x - 1 > 0 where the term is unused
    # B(a + 1, b + x - 1) / B(a, b + x) = a / (b + x - 1) splits the two terms apart
    log_active = -(r + x) * np.log(alpha + t_end)
    log_dropped = np.where(
        repeat,
        np.log(a) - np.log(b + x_safe - 1) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    value = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x)
        - gammaln(b)
        - gammaln(a + b + x)
        + np.logaddexp(log_active, log_dropped)
    )
    dropped = expit(log_dropped - log_active)  # share of the likelihood from dropping out
    gradient = np.array(
        [
            digamma(r + x)
            - digamma(r)
            + np.log(alpha)
            - (1 - dropped) * np.log(alpha + t_end)
            - dropped * np.log(alpha + t_x),
            r / alpha - (r + x) * ((1 - dropped) / (alpha + t_end) + dropped / (alpha + t_x)),
            digamma(a + b) - digamma(a + b + x) + dropped / a,
            digamma(a + b)
            + digamma(b + x)
            - digamma(b)
            - digamma(a + b + x)
            - dropped / (b + x_safe - 1),
        ]
    )
    return value, gradient


class BGNBD(BaseEstimator):
    """Beta-geometric / negative binomial distribution model of repeat purchases.

    Parameters
    ----------
    penalizer_coef : float, default 0
        L2 penalty on the parameters, as in lifetimes: the fit minimises the mean
        negative log-likelihood plus ``penalizer_coef * (r² + alpha² + a² + b²)``,
        with alpha measured on the fitting time scale (longest ``T`` = 10).
    warm_start : bool, default False
        As in scikit-learn: when the model is already fitted, the next ``fit`` starts
        from the current ``params_`` alone instead of the usual three starting points.
        Refitting on slightly changed data (the next day's summary) then takes a few
        iterations; it reaches the same optimum when the likelihood has one, which the
        tests check against cold fits on simulated data.

    Attributes
    ----------
    params_ : dict
        Estimates of ``r``, ``alpha`` (in the summary's time unit), ``a`` and ``b``.
    log_likelihood_ : float
        Total (unpenalised) log-likelihood at the estimates.
    n_customers_ : int
        Number of customers the model was fitted on.
    """

    params_: dict[str, float]  # declared for type checkers; set by fit

    def __init__(
        self, penalizer_coef: float = 0.0, warm_start: bool = False, warn: bool = True
    ) -> None:
        self.penalizer_coef = penalizer_coef
        self.warm_start = warm_start
        # warn=False: the fit's convergence issues go to ``convergence_issues_`` only
        # (thread-safe; the warnings filter is process-wide).
        self.warn = warn

    def fit(self, summary: pd.DataFrame) -> BGNBD:
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency``, ``recency`` and ``T`` (as from ``rfm_summary``).

        Returns
        -------
        BGNBD
            The fitted model (``self``).

        Raises
        ------
        ValueError
            If the summary is invalid (see ``rfm_summary`` for its shape), or no
            customer made a repeat purchase (the dropout process is then unidentified).
        """
        penalizer = check_penalizer(self.penalizer_coef)
        data = check_summary(summary, _COLUMNS)
        if not np.any(data["frequency"] > 0):
            raise ValueError("BG/NBD needs at least one customer with frequency > 0.")
        # identical histories share one likelihood term
        rows, counts = np.unique(
            np.column_stack([data["frequency"], data["recency"], data["T"]]),
            axis=0,
            return_counts=True,
        )
        weights = counts / counts.sum()
        max_t = float(rows[:, 2].max())
        scale = _FIT_TIME_SCALE / max_t if max_t > 0 else 1.0
        x, t_x, t_end = rows[:, 0], rows[:, 1] * scale, rows[:, 2] * scale

        def objective(params: FloatArray) -> tuple[float, FloatArray]:
            value, gradient = _log_likelihood_and_gradient(params, x, t_x, t_end)
            loss = -float(np.dot(weights, value)) + penalizer * float(np.sum(params**2))
            return loss, -(gradient @ weights) + 2 * penalizer * params

        mean_x = float(np.dot(weights, x))
        starts = [
            (1.0, 1.0, 1.0, 1.0),
            (0.5, _FIT_TIME_SCALE / max(mean_x, 0.1), 1.0, 3.0),
            (0.2, 2.0, 0.5, 2.0),
        ]
        if self.warm_start and hasattr(self, "params_"):
            previous = self.params_
            # alpha is in the summary's time unit; the fit works on the rescaled one
            starts = [(previous["r"], previous["alpha"] * scale, previous["a"], previous["b"])]
        issues: list[str] = []
        r, alpha, a, b = fit_log_params(
            objective,
            starts,
            PARAMS,
            gradient=True,
            issues=None if self.warn else issues,
        )
        self.convergence_issues_ = issues
        self.params_ = {"r": float(r), "alpha": float(alpha / scale), "a": float(a), "b": float(b)}
        self.log_likelihood_ = float(
            np.sum(
                log_likelihood(self._param_array(), data["frequency"], data["recency"], data["T"])
            )
        )
        self.n_customers_ = len(data["frequency"])
        return self

    def prob_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still active at the end of their ``T``.

        Equation (12): ``1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))
        ** (r + x))``. It is 1 for customers with no repeat purchase, since in the
        BG/NBD a customer can only drop out right after a purchase.

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency``, ``recency`` and ``T``.

        Returns
        -------
        pandas.Series
            Probabilities, indexed like ``summary``.
        """
        check_fitted(self)
        data = check_summary(summary, _COLUMNS)
        alive = expit(-self._log_odds_dead(data["frequency"], data["recency"], data["T"]))
        return pd.Series(alive, index=summary.index, name="prob_alive")

    def expected_purchases(self, t: float, summary: pd.DataFrame) -> pd.Series:
        """Expected purchases in the next ``t`` periods given each customer's history.

        Equation (10): ``(a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))
        ** (r + x) * 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]`` times
        ``prob_alive``. The hypergeometric series converges since ``t / (alpha + T + t)
        < 1``; the formula is singular at exactly ``a = 1``.

        Parameters
        ----------
        t : float
            Horizon, in the summary's time unit (>= 0).
        summary : pandas.DataFrame
            Columns ``frequency``, ``recency`` and ``T``.

        Returns
        -------
        pandas.Series
            Expected number of purchases in ``(T, T + t]``, indexed like ``summary``.
        """
        check_fitted(self)
        horizon = check_horizon(t)
        data = check_summary(summary, _COLUMNS)
        x, t_x, t_end = data["frequency"], data["recency"], data["T"]
        r, alpha, a, b = self._param_array()
        log_ratio = (r + x) * (np.log(alpha + t_end) - np.log(alpha + t_end + horizon))
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, horizon / (alpha + t_end + horizon))
        bought = (a + b + x - 1) / (a - 1) * (1 - np.exp(log_ratio) * hyp)
        expected = bought * expit(-self._log_odds_dead(x, t_x, t_end))
        return pd.Series(expected, index=summary.index, name="expected_purchases")

    def expected_purchases_new_customer(self, t: float) -> float:
        """Expected repeat purchases in ``(0, t]`` for a customer who just bought first.

        Equation (9), ``E[X(t)] = (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t)) **
        r * 2F1(r, b; a + b - 1; t / (alpha + t))]``: the population mean.

        Parameters
        ----------
        t : float
            Horizon, in the fitted time unit (>= 0).

        Returns
        -------
        float
            ``E[X(t)]``.
        """
        check_fitted(self)
        horizon = check_horizon(t)
        r, alpha, a, b = self._param_array()
        hyp = hyp2f1(r, b, a + b - 1, horizon / (alpha + horizon))
        return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + horizon)) ** r * hyp))

    def _param_array(self) -> FloatArray:
        return np.array([self.params_[name] for name in PARAMS], dtype=float)

    def _log_odds_dead(self, x: FloatArray, t_x: FloatArray, t_end: FloatArray) -> FloatArray:
        """log(a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)), -inf for x = 0."""
        r, alpha, a, b = self._param_array()
        repeat = x > 0
        x_safe = np.where(repeat, x, 1.0)
        log_odds = (
            np.log(a)
            - np.log(b + x_safe - 1)
            + (r + x) * (np.log(alpha + t_end) - np.log(alpha + t_x))
        )
        return np.where(repeat, log_odds, -np.inf)
