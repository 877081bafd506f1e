"""Outcomes come from latent traits that show up in observable signals first.

These checks run the generator's pieces in memory (no database) on sets large enough
for the statistics to mean something.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from data.generation.bookings import US_PER_DAY
from data.generation.context import GenerationParams, to_day
from data.generation.lifecycle import intervention_uplift
from data.generation.pipeline import booking_batches, build_world_and_lifecycle

DEFAULT_DAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def default_life():  # type: ignore[no-untyped-def]
    params = GenerationParams(today=DEFAULT_DAY)
    cal, world, life = build_world_and_lifecycle(params)
    return params, cal, world, life


def test_monthly_churn_is_in_the_target_range(default_life) -> None:
    _, _, world, life = default_life
    churns = sum(kind == "churn" for _, _, kind, _ in life.events)
    months = sum(
        any(a < life.month_end[k] and b > life.month_start[k] for a, b in life.intervals[t])
        for t in range(len(world.tenants))
        for k in range(len(life.months))
    )
    assert 80 <= churns <= 150
    assert 0.015 <= churns / months <= 0.03


def test_intervention_effect_is_measurable_and_matches_the_truth(default_life) -> None:
    """Holdout minus treated 90-day churn, as an analyst computes it from the tables."""
    params, cal, world, life = default_life
    churned_on = dict(zip(world.tenants.index, world.tenants["churned_on"], strict=True))
    today = to_day(cal.today)
    churned = {"treated": [], "holdout": []}
    for iv in life.interventions:
        if iv.day + params.intervention_days > today:
            continue
        day = churned_on[iv.tenant_idx]
        churned[iv.arm].append(0 <= day - iv.day < params.intervention_days)
    n_h, n_t = len(churned["holdout"]), len(churned["treated"])
    assert 0.18 < n_h / (n_h + n_t) < 0.32
    p_h, p_t = np.mean(churned["holdout"]), np.mean(churned["treated"])
    se = np.sqrt(p_h * (1 - p_h) / n_h + p_t * (1 - p_t) / n_t)
    low, high = p_h - p_t - 1.96 * se, p_h - p_t + 1.96 * se
    truth = intervention_uplift(life, params, cal)["uplift_90d"]
    assert low > 0
    assert low <= truth <= high


def test_churned_tenants_lose_bookings_before_they_leave() -> None:
    params = GenerationParams(tenants=120, months=9, seed=5, today=date(2026, 6, 15))
    cal, world, life = build_world_and_lifecycle(params)
    t = world.tenants
    starts, tenant_ids = [], []
    for _, out in booking_batches(params, world, life, cal):
        starts.append(out.bookings["start_at"] // US_PER_DAY)
        tenant_ids.append(out.booking_extra["tenant_idx"])
    day, tenant = np.concatenate(starts), np.concatenate(tenant_ids)
    window_start, today = to_day(cal.window_start), to_day(cal.today)

    def trend(i: int, ref: int) -> float:
        """Bookings in the 60 days before ``ref`` over those in days 150-90 before it."""
        own = day[tenant == i]
        recent = ((own >= ref - 60) & (own < ref)).sum()
        earlier = ((own >= ref - 150) & (own < ref - 90)).sum()
        return recent / max(earlier, 1)

    rng = np.random.default_rng(0)
    churned, retained = [], []
    for i in range(len(t)):
        if t["signup_day"].iat[i] > window_start - 30:
            continue
        if t["status"].iat[i] == "churned" and t["churned_on"].iat[i] >= window_start + 150:
            churned.append(trend(i, int(t["churned_on"].iat[i])))
        elif t["status"].iat[i] == "active":
            retained.append(trend(i, int(rng.integers(window_start + 150, today))))
    assert len(churned) >= 12 and len(retained) >= 40
    assert np.median(churned) < 0.85 * np.median(retained)
    assert mannwhitneyu(churned, retained, alternative="less").pvalue < 0.01
