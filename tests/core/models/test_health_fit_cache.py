"""Client-base BG/NBD fits: warm starts reach the cold optimum, the cache reuses and refits."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.ltv import BGNBD, ConvergenceWarning
from core.ltv.bgnbd import PARAMS
from core.models.health.client_base import PENALIZER, ClientBaseFits, fit_fingerprint
from core.models.health.fits import load_fits, save_fits
from core.schema import HealthClientBaseFit
from tests.core.ltv.simulation import simulate_bgnbd

TRUE = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}  # CDNOW's published estimates
DAY = date(2026, 3, 2)


def _summary(seed: int, n: int = 5000, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    simulated = simulate_bgnbd(**TRUE, t_end=rng.uniform(27, 39, n) + shift, holdout=0, rng=rng)
    return simulated[["frequency", "recency", "T"]]


def _close(left: dict[str, float], right: dict[str, float], rel: float) -> None:
    for name in PARAMS:
        assert left[name] == pytest.approx(right[name], rel=rel), name


@pytest.mark.parametrize("seed", [1, 2])
def test_warm_start_reaches_the_cold_optimum_and_recovers_the_true_parameters(seed: int) -> None:
    summary = _summary(seed)
    cold = BGNBD().fit(summary)
    # Tolerances of tests/core/ltv/test_bgnbd.py (about 4 sd of the estimates).
    assert cold.params_["r"] == pytest.approx(TRUE["r"], rel=0.15)
    assert cold.params_["alpha"] == pytest.approx(TRUE["alpha"], rel=0.25)
    assert cold.params_["a"] == pytest.approx(TRUE["a"], rel=0.50)
    assert cold.params_["b"] == pytest.approx(TRUE["b"], rel=0.65)
    # Warm-started from another sample's optimum (yesterday's fit, in the health job) and
    # from the true parameters: both land on this sample's cold optimum.
    for start in (BGNBD().fit(_summary(seed + 100, shift=1.0)).params_, TRUE):
        warm = BGNBD(warm_start=True)
        warm.params_ = dict(start)
        warm.fit(summary)
        _close(warm.params_, cold.params_, rel=1e-4)
        assert warm.log_likelihood_ == pytest.approx(cold.log_likelihood_, rel=1e-9)


def test_warm_start_is_off_by_default_and_needs_a_fitted_model() -> None:
    summary = _summary(3, n=2000)
    cold = BGNBD().fit(summary).params_
    unfitted = BGNBD(warm_start=True).fit(summary).params_  # nothing to start from: cold
    assert unfitted == cold
    plain = BGNBD()
    plain.params_ = {"r": 5.0, "alpha": 50.0, "a": 5.0, "b": 50.0}  # ignored without warm_start
    assert plain.fit(summary).params_ == cold


def test_cache_reuses_the_same_input_and_warm_starts_a_changed_one() -> None:
    fits = ClientBaseFits()
    first = _summary(4, n=250)
    day_one = fits.fit(7, first, DAY).params_
    assert (fits.cold, fits.warm, fits.reused) == (1, 0, 0)
    with_penalty = BGNBD(penalizer_coef=PENALIZER).fit(first).params_
    assert day_one == with_penalty  # a cold cache entry is the plain fit
    again = fits.fit(7, first.copy(), DAY).params_
    assert again == day_one and fits.reused == 1
    # The next day: every T one day (1/7 week) longer, a changed input.
    moved = first.assign(T=first["T"] + 1 / 7)
    assert fit_fingerprint(moved) != fit_fingerprint(first)
    next_day = fits.fit(7, moved, date(2026, 3, 3)).params_
    assert fits.warm == 1
    _close(next_day, BGNBD(penalizer_coef=PENALIZER).fit(moved).params_, rel=1e-4)
    assert fits.stored[7].day == date(2026, 3, 3) and fits.changed == {7}
    # An older day does not replace the newest stored fit (the backfill goes backwards).
    fits.fit(7, first.assign(T=first["T"] - 1 / 7), date(2026, 3, 1))
    assert fits.stored[7].day == date(2026, 3, 3)


def test_fits_survive_a_restart_through_the_table(engine: Engine) -> None:
    fits = ClientBaseFits()
    summary = _summary(5, n=250)
    fitted = fits.fit(3, summary, DAY).params_
    with Session(engine) as session, session.begin():
        assert save_fits(session=session, fits=fits) == 1
        assert save_fits(session=session, fits=fits) == 0  # nothing changed since
    with Session(engine) as session:
        restored = load_fits(session=session)
        row = session.scalars(select(HealthClientBaseFit)).one()
    assert (row.tenant_id, row.day, row.fingerprint) == (3, DAY, fit_fingerprint(summary))
    assert restored.fit(3, summary, DAY).params_ == pytest.approx(fitted, rel=1e-12)
    assert (restored.reused, restored.cold, restored.warm) == (1, 0, 0)


def _nobody_left(n: int = 300) -> pd.DataFrame:
    """Every client came back at the very end: the dropout parameters run off (a corner)."""
    rng = np.random.default_rng(0)
    t_end = rng.uniform(20, 40, n)
    return pd.DataFrame(
        {"frequency": rng.integers(1, 6, n).astype(float), "recency": t_end, "T": t_end}
    )


def test_convergence_issues_are_recorded_without_the_process_wide_warnings_filter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The scheduler runs jobs in threads and the warnings filter is process-wide: a health
    # job that set it to "error" around its warm fits made a churn retrain's cold fit, in
    # another thread, raise ConvergenceWarning (seen in the production browser test).
    def guarded(original):  # type: ignore[no-untyped-def]
        def add_filter(action: str, *args: object, **kwargs: object) -> None:
            # pandas' own internals add "ignore" filters; only "error" is the hazard
            assert action != "error", "the fits must not turn warnings into errors"
            original(action, *args, **kwargs)

        return add_filter

    corner = _nobody_left()
    # (undone before the test ends: pytest itself sets filters around each phase)
    with monkeypatch.context() as patched:
        patched.setattr(warnings, "simplefilter", guarded(warnings.simplefilter))
        patched.setattr(warnings, "filterwarnings", guarded(warnings.filterwarnings))
        quiet = BGNBD(penalizer_coef=PENALIZER, warn=False).fit(corner)
        fits = ClientBaseFits()
        fits.fit(9, corner, DAY)  # cold, as before caching: kept despite the issue
        # Warm from an interior optimum onto the corner: refused (the issue), fitted cold.
        fits.stored[9] = type(fits.stored[9])("other", dict(TRUE), DAY)
        fits._recent.clear()
        fits.fit(9, corner, date(2026, 3, 3))
    assert quiet.convergence_issues_ and "ran off to extreme values" in quiet.convergence_issues_[0]
    assert fits.cold == 2 and fits.warm == 0
    assert fits.stored[9].params == quiet.params_


def test_a_plain_fit_still_warns(recwarn: pytest.WarningsRecorder) -> None:
    BGNBD(penalizer_coef=PENALIZER).fit(_nobody_left())
    assert any(issubclass(w.category, ConvergenceWarning) for w in recwarn)


def test_the_next_days_refits_of_many_tenants_are_batched_and_equal_cold_fits() -> None:
    fits = ClientBaseFits()
    first = {tenant: _summary(10 + tenant, n=250) for tenant in range(1, 7)}
    fits.fit_many(first, DAY)
    assert (fits.cold, fits.warm, fits.batched) == (6, 0, 0)
    moved = {tenant: s.assign(T=s["T"] + 1 / 7) for tenant, s in first.items()}
    models = fits.fit_many(moved, date(2026, 3, 3))
    assert (fits.cold, fits.warm, fits.batched) == (6, 6, 6)
    for tenant, summary in moved.items():
        _close(models[tenant].params_, BGNBD(penalizer_coef=PENALIZER).fit(summary).params_, 1e-4)
        assert fits.stored[tenant].day == date(2026, 3, 3)
    # a sample BGNBD.fit refuses (no repeat visit) is left out, the others still fitted
    broken = moved | {3: moved[3].assign(frequency=0.0, recency=0.0)}
    refitted = fits.fit_many(broken, date(2026, 3, 4))
    assert sorted(refitted) == [1, 2, 4, 5, 6]
