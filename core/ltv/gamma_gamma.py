"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005).

"RFM and CLV: using iso-value curves for customer base analysis", Journal of
Marketing Research 42(4), 415-430, and Fader & Hardie's note "The Gamma-Gamma model
of monetary value" (2013). A customer's transaction values are Gamma(p, nu) (shape,
rate) around their mean p / nu, and nu ~ Gamma(q, v) across customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln
from sklearn.base import BaseEstimator

from core.ltv._optimize import fit_log_params
from core.ltv._validation import FloatArray, check_fitted, check_penalizer, check_summary

PARAMS = ("p", "q", "v")
_COLUMNS = ("frequency", "monetary_value")


def log_likelihood(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    """Per-customer log-density of the average transaction value ``m`` over ``x`` purchases.

    ``f(m | p, q, v, x) = Gamma(px + q) / (Gamma(px) Gamma(q)) * v^q m^(px-1) x^(px)
    / (v + m x)^(px + q)``.

    Parameters
    ----------
    params : array of float
        ``(p, q, v)``, all positive.
    x, m : arrays of float
        Number of (repeat) transactions, > 0, and their mean value, > 0.

    Returns
    -------
    numpy.ndarray
        The log-density for each customer.
    """
    return _log_likelihood_and_gradient(np.asarray(params, dtype=float), x, m)[0]


def _log_likelihood_and_gradient(
    params: FloatArray, x: FloatArray, m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log-density per customer and its gradient (3 x n) with respect to the params."""
    p, q, v = params
    px = p * x
    value = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + m * x)
    )
    common = digamma(px + q)
    gradient = np.array(
        [
            x * (common - digamma(px) + np.log(m) + np.log(x) - np.log(v + m * x)),
            common - digamma(q) + np.log(v) - np.log(v + m * x),
            q / v - (px + q) / (v + m * x),
        ]
    )
    return value, gradient


class GammaGamma(BaseEstimator):
    """Gamma-Gamma model of the average transaction value, fitted on repeat buyers.

    Parameters
    ----------
    penalizer_coef : float, default 0
        L2 penalty: the fit minimises the mean negative log-likelihood plus
        ``penalizer_coef * (p² + q² + v²)``, with v measured in units of the mean
        ``monetary_value`` of the repeat buyers.

    Attributes
    ----------
    params_ : dict
        Estimates of ``p``, ``q`` and ``v`` (v in the currency of ``monetary_value``).
    log_likelihood_ : float
        Total (unpenalised) log-likelihood at the estimates.
    n_customers_ : int
        Number of repeat buyers (``frequency > 0``) the model was fitted on.
    """

    def __init__(self, penalizer_coef: float = 0.0) -> None:
        self.penalizer_coef = penalizer_coef

    def fit(self, summary: pd.DataFrame) -> GammaGamma:
        """Estimate ``p``, ``q``, ``v`` by maximum likelihood on rows with ``frequency > 0``.

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency`` and ``monetary_value`` (as from ``rfm_summary``).

        Returns
        -------
        GammaGamma
            The fitted model (``self``).

        Raises
        ------
        ValueError
            If the summary is invalid, has no repeat buyer, or a repeat buyer with a
            ``monetary_value`` of 0 (the model needs positive spend).
        """
        penalizer = check_penalizer(self.penalizer_coef)
        data = check_summary(summary, _COLUMNS)
        repeat = data["frequency"] > 0
        if not np.any(repeat):
            raise ValueError("Gamma-Gamma needs at least one customer with frequency > 0.")
        x, m = data["frequency"][repeat], data["monetary_value"][repeat]
        if np.any(m <= 0):
            raise ValueError("monetary_value must be positive for customers with frequency > 0.")
        # the model is scale-free in money: fitting in units of the mean keeps v near 1
        scale = float(m.mean())

        def objective(params: FloatArray) -> tuple[float, FloatArray]:
            value, gradient = _log_likelihood_and_gradient(params, x, m / scale)
            loss = -float(np.mean(value)) + penalizer * float(np.sum(params**2))
            return loss, -gradient.mean(axis=1) + 2 * penalizer * params

        starts = [(1.0, 1.0, 1.0), (2.0, 3.0, 2.0), (5.0, 5.0, 4.0)]
        p, q, v = fit_log_params(objective, starts, PARAMS, gradient=True)
        self.params_ = {"p": float(p), "q": float(q), "v": float(v * scale)}
        self.log_likelihood_ = float(np.sum(log_likelihood(self._param_array(), x, m)))
        self.n_customers_ = int(repeat.sum())
        return self

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Conditional expected average transaction value of each customer.

        ``E[M | p, q, v, m, x] = p (v + x m) / (p x + q - 1)``, a weighted mean of the
        population mean ``p v / (q - 1)`` and the customer's own mean ``m``, with
        weight ``p x / (p x + q - 1)`` on ``m``. Customers with ``frequency`` 0 get
        the population mean (infinite when ``q <= 1``).

        Parameters
        ----------
        summary : pandas.DataFrame
            Columns ``frequency`` and ``monetary_value``.

        Returns
        -------
        pandas.Series
            Expected spend per transaction, indexed like ``summary``.
        """
        check_fitted(self)
        data = check_summary(summary, _COLUMNS)
        p, q, v = self._param_array()
        x = data["frequency"]
        m = np.where(x > 0, data["monetary_value"], 0.0)
        with np.errstate(divide="ignore"):
            denominator = p * x + q - 1
            expected = np.where(denominator > 0, p * (v + x * m) / denominator, np.inf)
        return pd.Series(expected, index=summary.index, name="expected_spend")

    def _param_array(self) -> FloatArray:
        return np.array([self.params_[name] for name in PARAMS], dtype=float)
