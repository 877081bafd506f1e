"""Simulated churn examples with a known logistic truth (shared by the churn tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.models.churn.data import EXTRA_COLUMNS
from core.models.features import FEATURE_COLUMNS

#: True log-odds: INTERCEPT + sum(coef * encoded input); the other inputs are noise.
INTERCEPT = -3.5
TRUE_COEF = {"log_bookings_vs_baseline": -2.0, "failed_invoice_recent": 1.2}


def simulated_examples(
    n_tenants: int = 400, n_dates: int = 30, seed: int = 0, horizon: int = 30
) -> pd.DataFrame:
    """Weekly examples of ``n_tenants`` tenants whose churn follows :data:`TRUE_COEF`."""
    rng = np.random.default_rng(seed)
    n = n_tenants * n_dates
    as_of = np.repeat(pd.date_range("2025-01-06", periods=n_dates, freq="7D"), n_tenants)
    frame = pd.DataFrame(
        {
            "as_of": as_of,
            "tenant_id": np.tile(np.arange(1, n_tenants + 1), n_dates),
        }
    )
    for column in (*FEATURE_COLUMNS, *EXTRA_COLUMNS):
        frame[column] = rng.uniform(0.5, 2.0, n)
    frame["vertical"] = rng.choice(["barbershop", "salon", "spa", "nails"], n)
    frame["tier"] = rng.choice(["starter", "pro", "enterprise"], n)
    frame["plan"] = "basico"
    for column in (
        "bookings_last_28d",
        "logins_last_28d",
        "logins_prev_90d",
        "open_tickets",
        "failed_invoices_180d",
        "failed_invoices_365d",
        "written_off_invoices_90d",
        "treated_touch_90d",
        "holdout_touch_90d",
        "staff_count",
        "high_severity_tickets_90d",
        "distinct_features_used_90d",
    ):
        frame[column] = rng.poisson(3, n).astype(float)
    frame["tenure_days"] = rng.integers(30, 900, n).astype(float)
    frame["bookings_vs_own_baseline"] = np.exp(rng.normal(0, 0.5, n))
    frame["days_since_last_failed_invoice"] = np.where(
        rng.random(n) < 0.2, rng.uniform(1, 60, n), np.nan
    )
    frame["days_since_price_increase"] = rng.uniform(1, 200, n)
    frame["last_price_increase_pct"] = rng.uniform(0, 20, n)
    frame["last_nps"] = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 11, n))
    logit = (
        INTERCEPT
        + TRUE_COEF["log_bookings_vs_baseline"] * np.log(frame["bookings_vs_own_baseline"])
        + TRUE_COEF["failed_invoice_recent"] * frame["days_since_last_failed_invoice"].notna()
    )
    frame["true_p"] = 1 / (1 + np.exp(-logit))
    frame[f"churn_{horizon}d"] = (rng.random(n) < frame["true_p"]).astype(float)
    return frame


def small_candidate(seed: int = 0, health: bool = True):  # type: ignore[no-untyped-def]
    """A churn model trained and backtested in seconds on simulated examples."""
    from core.models.churn.training import TrainingConfig, train_candidate

    examples = simulated_examples(n_tenants=150, n_dates=16, seed=seed)
    noise = np.random.default_rng(seed)

    def health_risk(rows: pd.DataFrame) -> pd.Series:
        # A weaker ranking than the model: the bookings signal plus noise, on half the rows.
        key = examples.set_index(["as_of", "tenant_id"])["bookings_vs_own_baseline"]
        values = key.reindex(pd.MultiIndex.from_frame(rows[["as_of", "tenant_id"]])).to_numpy()
        risk = -np.log(values) + noise.normal(0, 0.8, len(rows))
        return pd.Series(np.where(np.arange(len(rows)) % 2 == 0, risk, np.nan), index=rows.index)

    config = TrainingConfig(
        n_origins=2, dates_per_origin=3, n_boot=30, algorithms=("logistic_regression",)
    )
    return train_candidate(examples, config=config, health=health_risk if health else None)


def registry_database(url: str) -> str:
    """A migrated database with two registered churn models (the second one promoted)."""
    from sqlalchemy.orm import Session

    from core.db import get_engine
    from core.migrate import upgrade_database
    from core.models.churn.registry import register_candidate

    upgrade_database(url)
    with Session(get_engine(url)) as session, session.begin():
        register_candidate(session=session, candidate=small_candidate(seed=1))
        register_candidate(session=session, candidate=small_candidate(seed=2))
    return url
