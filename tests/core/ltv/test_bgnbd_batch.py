"""Batched Newton refits of BG/NBD: the optimum of BGNBD.fit, many fits at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.ltv import BGNBD
from core.ltv.bgnbd import PARAMS, log_likelihood
from core.ltv.bgnbd_batch import Summary, refine_fits
from tests.core.ltv.simulation import simulate_bgnbd

TRUE = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}  # CDNOW's published estimates
PENALIZER = 0.001


def _summary(seed: int, n: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    simulated = simulate_bgnbd(**TRUE, t_end=rng.uniform(27, 39, n) + shift, holdout=0, rng=rng)
    return simulated[["frequency", "recency", "T"]]


def _penalized_loss(params: dict[str, float], summary: pd.DataFrame) -> float:
    """BGNBD.fit's objective at ``params``: mean negative log-likelihood with time
    rescaled so that the longest T is 10, plus the penalty (alpha on that scale)."""
    scale = 10.0 / float(summary["T"].max())
    natural = np.array([params["r"], params["alpha"] * scale, params["a"], params["b"]])
    values = log_likelihood(
        natural,
        summary["frequency"].to_numpy(float),
        summary["recency"].to_numpy(float) * scale,
        summary["T"].to_numpy(float) * scale,
    )
    return -float(np.mean(values)) + PENALIZER * float(np.sum(natural**2))


def test_refits_from_yesterdays_optimum_land_on_the_cold_optimum_for_every_tenant() -> None:
    # 30 small "tenants", each refitted the next day (every T one day longer) from the
    # previous day's cold optimum, all in one call: each equals today's cold fit.
    yesterday = [_summary(seed, n=250) for seed in range(30)]
    today = [s.assign(T=s["T"] + 1 / 7) for s in yesterday]
    starts = [BGNBD(penalizer_coef=PENALIZER, warn=False).fit(s).params_ for s in yesterday]
    refined = refine_fits([Summary.of(s) for s in today], starts, PENALIZER)
    for summary, params in zip(today, refined, strict=True):
        cold = BGNBD(penalizer_coef=PENALIZER, warn=False).fit(summary)
        assert params is not None
        for name in PARAMS:
            assert params[name] == pytest.approx(cold.params_[name], rel=1e-4), name
        # never worse than the cold optimizer's own stopping point
        assert _penalized_loss(params, summary) <= _penalized_loss(cold.params_, summary) + 1e-12


def test_recovers_the_published_parameters_from_a_distant_start() -> None:
    summary = _summary(1, n=5000)
    start = {"r": 0.5, "alpha": 8.0, "a": 0.4, "b": 5.0}  # each off by a factor ~2
    (params,) = refine_fits([Summary.of(summary)], [start], 0.0)
    cold = BGNBD().fit(summary).params_
    assert params is not None
    for name in PARAMS:
        assert params[name] == pytest.approx(cold[name], rel=1e-4), name
    # tolerances of tests/core/ltv/test_bgnbd.py (about 4 sd of the estimates)
    assert params["r"] == pytest.approx(TRUE["r"], rel=0.15)
    assert params["alpha"] == pytest.approx(TRUE["alpha"], rel=0.25)
    assert params["a"] == pytest.approx(TRUE["a"], rel=0.50)
    assert params["b"] == pytest.approx(TRUE["b"], rel=0.65)


def _nobody_left(n: int = 300) -> pd.DataFrame:
    """Every client came back at the very end: the dropout parameters run off (a corner)."""
    rng = np.random.default_rng(0)
    t_end = rng.uniform(20, 40, n)
    return pd.DataFrame(
        {"frequency": rng.integers(1, 6, n).astype(float), "recency": t_end, "T": t_end}
    )


def test_a_fit_running_off_to_a_corner_is_handed_back_and_the_others_are_not_held_up() -> None:
    good = _summary(2, n=250)
    start = BGNBD(penalizer_coef=PENALIZER, warn=False).fit(good).params_
    corner, fine = refine_fits(
        [Summary.of(_nobody_left()), Summary.of(good)], [dict(TRUE), start], PENALIZER
    )
    assert corner is None
    assert fine is not None and fine["r"] == pytest.approx(start["r"], rel=1e-6)


def test_no_fits_no_work() -> None:
    assert refine_fits([], [], PENALIZER) == []


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"frequency": [1.0, 0.0], "recency": [5.0, 0.0], "T": [4.0, 3.0]}),
        pd.DataFrame({"frequency": [1.5, 0.0], "recency": [2.0, 0.0], "T": [4.0, 3.0]}),
        pd.DataFrame({"frequency": [0.0, 0.0], "recency": [1.0, 0.0], "T": [4.0, 3.0]}),
        pd.DataFrame({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "T": [4.0, 3.0]}),
        pd.DataFrame({"frequency": [1.0, np.nan], "recency": [1.0, 0.0], "T": [4.0, 3.0]}),
        pd.DataFrame({"frequency": [1.0, -1.0], "recency": [1.0, 0.0], "T": [4.0, 3.0]}),
        pd.DataFrame({"frequency": [1.0], "recency": [1.0]}),
        pd.DataFrame({"frequency": [], "recency": [], "T": []}),
    ],
    ids=[
        "recency>T",
        "fractional",
        "recency-without-repeat",
        "no-repeat",
        "nan",
        "negative",
        "no-T",
        "empty",
    ],
)
def test_summaries_bgnbd_fit_refuses_are_refused(frame: pd.DataFrame) -> None:
    assert Summary.of(frame) is None
    with pytest.raises(ValueError):
        BGNBD().fit(frame)
