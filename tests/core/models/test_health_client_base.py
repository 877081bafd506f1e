"""Client-base component: BG/NBD per tenant over its own clients, point in time."""

from __future__ import annotations

import math
import warnings
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from core.ltv import BGNBD, rfm_summary
from core.models.health.client_base import (
    FIT_SAMPLE,
    MIN_CLIENTS,
    PENALIZER,
    client_base_as_of,
)

AS_OF = date(2026, 3, 1)


def _visits(tenant_id: int, n_clients: int, *, stop_days_ago: int, seed: int) -> pd.DataFrame:
    """Clients visiting every 14-35 days from a year ago until ``stop_days_ago``."""
    rng = np.random.default_rng(seed)
    rows = []
    for client in range(n_clients):
        cycle = int(rng.integers(14, 36))
        day = AS_OF - timedelta(days=int(rng.integers(200, 360)))
        while day < AS_OF - timedelta(days=stop_days_ago):
            rows.append((tenant_id, tenant_id * 10_000 + client, day, day, 9000.0))
            day += timedelta(days=cycle)
    frame = pd.DataFrame(rows, columns=["tenant_id", "customer_id", "day", "known_day", "amount"])
    frame["day"] = pd.to_datetime(frame["day"])
    frame["known_day"] = pd.to_datetime(frame["known_day"])
    return frame


def test_steady_clients_are_active_and_gone_clients_lapsed() -> None:
    visits = pd.concat(
        [
            _visits(1, 120, stop_days_ago=0, seed=1),
            _visits(2, 120, stop_days_ago=140, seed=2),
            _visits(3, MIN_CLIENTS - 1, stop_days_ago=0, seed=3),  # too few clients
        ]
    )
    base = client_base_as_of(visits, AS_OF)
    assert base.loc[1, "share_clients_active"] > 0.9
    assert base.loc[2, "share_clients_active"] < 0.3
    assert base.loc[2, "share_clients_lapsed"] == pytest.approx(
        1 - base.loc[2, "share_clients_active"]
    )
    assert base.loc[3, "clients_seen"] == MIN_CLIENTS - 1
    assert math.isnan(base.loc[3, "share_clients_active"])


def test_figures_equal_the_ltv_model_fitted_directly() -> None:
    visits = _visits(7, 80, stop_days_ago=30, seed=7)
    assert visits["customer_id"].nunique() <= FIT_SAMPLE  # so the fit uses every client
    base = client_base_as_of(visits, AS_OF)
    summary = rfm_summary(
        visits.rename(columns={"day": "date"}), AS_OF - timedelta(days=1), time_unit_days=7
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the component ignores convergence warnings too
        alive = BGNBD(penalizer_coef=PENALIZER).fit(summary).prob_alive(summary)
    assert base.loc[7, "expected_active_clients"] == pytest.approx(alive.sum(), rel=1e-6)
    assert base.loc[7, "share_clients_active"] == pytest.approx((alive >= 0.5).mean())


def test_visits_not_known_before_as_of_do_not_count() -> None:
    visits = _visits(1, 60, stop_days_ago=0, seed=4)
    base = client_base_as_of(visits, AS_OF)
    late = pd.DataFrame(
        {
            "tenant_id": [1, 1, 1],
            "customer_id": [10_000, 10_001, 99_999],
            # on as_of, after it, and before it but stamped completed only on as_of
            "day": pd.to_datetime([AS_OF, AS_OF + timedelta(days=3), AS_OF - timedelta(days=1)]),
            "known_day": pd.to_datetime([AS_OF, AS_OF + timedelta(days=3), AS_OF]),
            "amount": [1.0, 1.0, 1.0],
        }
    )
    with_late = client_base_as_of(pd.concat([visits, late]), AS_OF)
    pd.testing.assert_frame_equal(base, with_late)
    # Restricting to tenants skips the others' fits.
    assert list(client_base_as_of(visits, AS_OF, tenant_ids=[2]).index) == []
