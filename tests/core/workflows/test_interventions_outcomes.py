"""Treated vs holdout churn: hand-computed statistics, the scoring rule, simulated recovery."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.schema import CsIntervention, Subscription
from core.workflows.alerts.outcomes import (
    MIN_ARM_N,
    analyse,
    analyse_frames,
    compare,
    outcome_table,
    read_churn_days,
)
from tests.factories import add_tenant

Z = norm.ppf(0.975)


def wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def test_compare_matches_hand_computed_newcomb_interval_and_score_test() -> None:
    # Holdout 23/68 churned, treated 18/175 (the default demo data's 90-day counts).
    h, nh, t, nt = 23, 68, 18, 175
    out = compare(t, nt, h, nh)
    ph, pt = h / nh, t / nt
    assert out["holdout_rate"] == pytest.approx(ph) and out["treated_rate"] == pytest.approx(pt)
    assert out["difference"] == pytest.approx(ph - pt)
    (lh, uh), (lt, ut) = wilson(h, nh), wilson(t, nt)
    low = (ph - pt) - math.sqrt((ph - lh) ** 2 + (ut - pt) ** 2)
    high = (ph - pt) + math.sqrt((uh - ph) ** 2 + (pt - lt) ** 2)
    assert out["ci_low"] == pytest.approx(low, abs=1e-9)
    assert out["ci_high"] == pytest.approx(high, abs=1e-9)
    # The score test of "no difference": the pooled z statistic, variance times N/(N-1).
    pooled, n = (h + t) / (nh + nt), nh + nt
    z = (ph - pt) / math.sqrt(pooled * (1 - pooled) * (1 / nh + 1 / nt) * n / (n - 1))
    assert out["p_value"] == pytest.approx(2 * norm.sf(abs(z)), rel=1e-6)
    assert out["enough"] is True


def test_small_samples_are_flagged_and_empty_arms_have_no_numbers() -> None:
    small = compare(1, 10, 3, 9)
    assert small["enough"] is False and small["ci_low"] is not None
    assert compare(0, 0, 3, 9)["difference"] is None
    assert compare(0, 40, 0, 40)["p_value"] == 1.0  # nobody churned anywhere
    assert MIN_ARM_N == 30


def ledger_frame(rows: list[tuple[int, datetime, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": i + 1, "tenant_id": t, "triggered_at": at, "reason": "r", "playbook": pb,
             "arm": arm, "live": False}
            for i, (t, at, arm, pb) in enumerate(rows)
        ]
    )  # fmt: skip


def test_the_scoring_rule_counts_churn_within_the_window_only() -> None:
    at = datetime(2026, 1, 10, 15, 30)
    ledger = ledger_frame(
        [
            (1, at, "treated", "a"),  # churns on the trigger day: counts
            (2, at, "treated", "a"),  # churns on day 30: outside the 30-day window
            (3, at, "holdout", "b"),  # churns on day 29: counts
            (4, at, "holdout", "b"),  # churned before the trigger only
            (5, datetime(2026, 3, 1), "holdout", "b"),  # window not over yet: not scored
        ]
    )
    churn = pd.DataFrame(
        {
            "tenant_id": [1, 2, 3, 4],
            "day": pd.to_datetime(["2026-01-10", "2026-02-09", "2026-02-08", "2025-12-01"]),
        }
    )
    table = outcome_table(ledger, churn, date(2026, 3, 15), horizons=(30,))
    row = table.iloc[0]
    assert (row.treated_n, row.treated_churned, row.holdout_n, row.holdout_churned) == (2, 1, 2, 1)
    by = outcome_table(ledger, churn, date(2026, 3, 15), by="playbook", horizons=(30,))
    assert list(by["group"]) == ["a", "b"]
    assert list(by["treated_n"]) == [2, 0] and list(by["holdout_n"]) == [0, 2]


def test_a_known_effect_is_recovered_from_simulated_alerts() -> None:
    rng = np.random.default_rng(5)
    n, p_holdout, p_treated = 4000, 0.35, 0.11
    arm = np.where(rng.random(n) < 0.25, "holdout", "treated")
    start = pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    churns = rng.random(n) < np.where(arm == "holdout", p_holdout, p_treated)
    ledger = pd.DataFrame(
        {"id": np.arange(n), "tenant_id": np.arange(n), "triggered_at": start, "reason": "r",
         "playbook": "p", "arm": arm, "live": False}
    )  # fmt: skip
    churn = pd.DataFrame(
        {
            "tenant_id": np.arange(n)[churns],
            "day": start[churns] + pd.to_timedelta(rng.integers(0, 90, churns.sum()), unit="D"),
        }
    )
    result = analyse_frames(ledger, churn, date(2026, 6, 1))
    row = result.row(90)
    assert row.ci_low < p_holdout - p_treated < row.ci_high
    assert row.difference == pytest.approx(p_holdout - p_treated, abs=0.04)
    assert row.p_value < 1e-6 and row.enough
    assert result.holdout_share == pytest.approx(0.25, abs=0.02)


def test_churn_days_come_from_subscription_gaps_and_churned_on(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        a = add_tenant(session, 1, signup=date(2025, 1, 1)).tenant_id
        b = add_tenant(session, 2, signup=date(2025, 1, 1), churned_on=date(2025, 9, 1)).tenant_id
        sub = session.query(Subscription).filter_by(tenant_id=a).one()
        # Tenant a: a price update (no gap), a churn on 2025-06-01, a reactivation on 07-01.
        sub.ended_on = date(2025, 4, 1)
        session.add_all(
            [
                Subscription(tenant_id=a, plan="profesional", tier="pro", mrr_ars=1,
                             started_on=date(2025, 4, 1), ended_on=date(2025, 6, 1),
                             change_reason="price_update"),
                Subscription(tenant_id=a, plan="profesional", tier="pro", mrr_ars=1,
                             started_on=date(2025, 7, 1), change_reason="reactivation"),
            ]
        )  # fmt: skip
        for tenant, day, arm in (
            (a, datetime(2025, 5, 20), "holdout"),
            (b, datetime(2025, 8, 20), "treated"),
        ):
            session.add(CsIntervention(tenant_id=tenant, triggered_at=day, reason="health_red",
                                       playbook="health_review", arm=arm))  # fmt: skip
    with Session(sqlite_engine) as session:
        days = read_churn_days(session=session).sort_values("tenant_id")
        result = analyse(session=session, as_of=date(2026, 1, 1))
    assert [(int(r.tenant_id), r.day.date()) for r in days.itertuples()] == [
        (a, date(2025, 6, 1)),
        (b, date(2025, 9, 1)),
    ]
    row = result.row(30)
    assert (row.treated_churned, row.treated_n, row.holdout_churned, row.holdout_n) == (1, 1, 1, 1)
    assert not row.enough and result.ledger_n == 2 and result.live_n == 0
