"""bench/refresh.py: each ratio is the median of per-round ratios of alternated runs."""

from __future__ import annotations

import pytest

from bench.refresh import paired_median_ratio


def test_the_ratio_is_the_median_of_the_rounds_ratios() -> None:
    # Round ratios 2/1, 9/3, 4/1 = 2, 3, 4: the median is 3. The ratio of the medians
    # (4 / 1) would be 4: a slow round on one side only is what pairing protects from.
    assert paired_median_ratio([2.0, 9.0, 4.0], [1.0, 3.0, 1.0]) == 3.0
    # An even number of rounds: the mean of the two middle ratios, (1 + 2) / 2.
    assert paired_median_ratio([1.0, 4.0], [1.0, 2.0]) == 1.5


def test_rounds_must_pair_up() -> None:
    with pytest.raises(ValueError, match="one denominator per numerator"):
        paired_median_ratio([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least one round"):
        paired_median_ratio([], [])
