"""Constant ARS: hand-computed restatements against a three-month CPI table."""

from datetime import date

import pandas as pd
import pytest

from core.inflation.deflate import cpi_factors, to_constant_ars

CPI = pd.DataFrame(
    {
        "month": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)],
        "index_value": [100.0, 110.0, 121.0],
    }
)


def test_amounts_are_restated_in_pesos_of_the_base_month():
    frame = pd.DataFrame({"day": [date(2026, 1, 15), date(2026, 3, 2)], "gmv": [1000.0, 1210.0]})
    constant = to_constant_ars(
        frame, ["gmv"], month_column="day", base_month=date(2026, 3, 1), cpi=CPI
    )
    assert constant["gmv"].tolist() == pytest.approx([1210.0, 1210.0])
    january = to_constant_ars(
        frame, ["gmv"], month_column="day", base_month=date(2026, 1, 1), cpi=CPI
    )
    assert january["gmv"].tolist() == pytest.approx([1000.0, 1000.0])


def test_months_outside_the_table_use_the_nearest_month():
    months = pd.Series([date(2025, 6, 1), date(2026, 9, 1)])
    assert cpi_factors(months, date(2026, 2, 1), CPI).tolist() == pytest.approx([1.1, 110 / 121])


def test_nominal_leaves_the_frame_alone_and_bad_tables_are_refused():
    frame = pd.DataFrame({"day": [date(2026, 1, 1)], "gmv": [5.0]})
    assert to_constant_ars(frame, ["gmv"], month_column="day", base_month=None, cpi=CPI) is frame
    with pytest.raises(ValueError, match="empty"):
        cpi_factors(frame["day"], date(2026, 1, 1), CPI.iloc[0:0])
    with pytest.raises(ValueError, match="non-positive"):
        cpi_factors(frame["day"], date(2026, 1, 1), CPI.assign(index_value=[0.0, 1.0, 2.0]))
