"""Draws from the generative processes of the LTV models, for recovery tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def purchase_times(rate: float, dropout: float, end: float, rng: np.random.Generator) -> np.ndarray:
    """Repeat purchase times in (0, end] of one BG/NBD customer who first bought at 0.

    While active the customer buys as a Poisson process with ``rate``; right after
    each purchase they drop out with probability ``dropout``.
    """
    arrivals = rng.poisson(rate * end)
    # purchases made before dropping out, the one that triggers it included
    until_dropout = rng.geometric(dropout)
    made = min(arrivals, until_dropout)
    # given their count, Poisson arrival times are sorted uniforms
    return np.sort(rng.uniform(0.0, end, size=arrivals))[:made]


def simulate_bgnbd(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t_end: np.ndarray,
    holdout: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Calibration summary (T = t_end) plus purchases in (T, T + holdout] per customer.

    lambda ~ Gamma(r, rate alpha) and p ~ Beta(a, b) are drawn for each customer.
    """
    n = len(t_end)
    rates = rng.gamma(r, 1.0 / alpha, size=n)
    dropouts = rng.beta(a, b, size=n)
    frequency = np.zeros(n)
    recency = np.zeros(n)
    later = np.zeros(n)
    for i in range(n):
        times = purchase_times(rates[i], dropouts[i], t_end[i] + holdout, rng)
        in_calibration = times[times <= t_end[i]]
        frequency[i] = len(in_calibration)
        recency[i] = in_calibration[-1] if len(in_calibration) else 0.0
        later[i] = len(times) - len(in_calibration)
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": t_end.astype(float), "holdout": later}
    )


def simulate_gamma_gamma(
    p: float, q: float, v: float, frequency: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Mean of ``frequency`` transaction values Gamma(p, rate nu), with nu ~ Gamma(q, rate v)."""
    nu = rng.gamma(q, 1.0 / v, size=len(frequency))
    x = np.asarray(frequency, dtype=float)
    safe_x = np.where(x > 0, x, 1.0)
    # the mean of x Gamma(p, nu) draws is Gamma(p x, rate x nu)
    means = rng.gamma(p * safe_x, 1.0 / (safe_x * nu))
    return pd.DataFrame(
        {"frequency": x, "monetary_value": np.where(x > 0, means, 0.0), "true_mean": p / nu}
    )


def simulate_sbg_survival(
    alpha: float, beta: float, n_customers: int, periods: int, rng: np.random.Generator
) -> np.ndarray:
    """Observed share of a cohort still active at periods 0..periods."""
    churn = rng.beta(alpha, beta, size=n_customers)
    lifetimes = rng.geometric(churn)  # the period each customer churns in, >= 1
    return np.array([(lifetimes > t).mean() for t in range(periods + 1)])


def simulate_transactions(
    n_customers: int,
    bgnbd: dict[str, float],
    gamma_gamma: dict[str, float],
    calibration_end: pd.Timestamp,
    weeks: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """A transaction table from both models, first purchases in the first 12 weeks.

    Purchase times are continuous (any time of day), so ``rfm_summary`` has to bring
    them to days as with real data.
    """
    start = calibration_end - pd.Timedelta(weeks=weeks)
    rows: list[tuple[int, pd.Timestamp, float]] = []
    for customer in range(n_customers):
        first = rng.uniform(0.0, 12.0)
        rate = rng.gamma(bgnbd["r"], 1.0 / bgnbd["alpha"])
        dropout = rng.beta(bgnbd["a"], bgnbd["b"])
        nu = rng.gamma(gamma_gamma["q"], 1.0 / gamma_gamma["v"])
        times = np.concatenate(([first], first + purchase_times(rate, dropout, weeks - first, rng)))
        amounts = rng.gamma(gamma_gamma["p"], 1.0 / nu, size=len(times))
        for week, amount in zip(times, amounts, strict=True):
            rows.append((customer, start + pd.Timedelta(weeks=float(week)), float(amount)))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
