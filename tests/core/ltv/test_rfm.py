"""rfm_summary against a hand-made transaction table with hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.ltv import rfm_summary

CALIBRATION_END = "2024-03-31"


@pytest.fixture
def transactions() -> pd.DataFrame:
    rows = [
        # "ana": three purchase days, two of them with two tickets, one after the end
        ("ana", "2024-01-01 09:00", 100.0),
        ("ana", "2024-01-01 18:30", 50.0),
        ("ana", "2024-01-08 10:00", 80.0),
        ("ana", "2024-01-20 11:00", 40.0),
        ("ana", "2024-01-20 12:00", 60.0),
        ("ana", "2024-04-05 10:00", 999.0),
        # "beto": one purchase only
        ("beto", "2024-02-15 16:00", 30.0),
        # "carla": every purchase after the end
        ("carla", "2024-04-02 10:00", 25.0),
        # "dani": the second purchase late on the calibration day itself, a free service
        ("dani", "2024-03-10 10:00", 10.0),
        ("dani", "2024-03-31 23:30", 0.0),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_hand_computed_summary(transactions):
    summary = rfm_summary(transactions, CALIBRATION_END)

    # 2024 is a leap year: Jan 1 -> Mar 31 is 31 + 29 + 30 = 90 days
    expected = pd.DataFrame(
        {
            "frequency": [2, 0, 1],
            "recency": [19 / 7, 0.0, 21 / 7],
            "T": [90 / 7, 45 / 7, 21 / 7],
            # ana's repeat days: 80 (Jan 8) and 40 + 60 (Jan 20); dani's: 0 (Mar 31)
            "monetary_value": [90.0, 0.0, 0.0],
        },
        index=pd.Index(["ana", "beto", "dani"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(summary, expected, rtol=1e-12)


def test_frequency_is_an_integer_column(transactions):
    summary = rfm_summary(transactions, CALIBRATION_END)
    assert summary["frequency"].dtype == np.int64


def test_time_unit_in_days_and_months(transactions):
    in_days = rfm_summary(transactions, CALIBRATION_END, time_unit_days=1)
    assert in_days.loc["ana", "recency"] == 19
    assert in_days.loc["ana", "T"] == 90
    in_months = rfm_summary(transactions, CALIBRATION_END, time_unit_days=30)
    assert math.isclose(in_months.loc["beto", "T"], 1.5, rel_tol=1e-12)


def test_earlier_calibration_end_drops_later_purchases(transactions):
    summary = rfm_summary(transactions, pd.Timestamp("2024-01-08"))
    assert list(summary.index) == ["ana"]
    assert summary.loc["ana", "frequency"] == 1
    assert summary.loc["ana", "recency"] == 1.0
    assert summary.loc["ana", "T"] == 1.0
    assert summary.loc["ana", "monetary_value"] == 80.0


def test_calibration_end_with_a_time_counts_the_whole_day(transactions):
    at_midnight = rfm_summary(transactions, CALIBRATION_END)
    at_noon = rfm_summary(transactions, "2024-03-31 12:00")
    pd.testing.assert_frame_equal(at_midnight, at_noon)


def test_timezone_aware_dates_use_local_days():
    # 23:30 in Buenos Aires is already the next day in UTC
    dates = pd.to_datetime(["2024-05-01 10:00", "2024-05-03 23:30"]).tz_localize(
        "America/Argentina/Buenos_Aires"
    )
    frame = pd.DataFrame({"customer_id": [7, 7], "date": dates, "amount": [1.0, 2.0]})
    summary = rfm_summary(frame, "2024-05-03", time_unit_days=1)
    assert summary.loc[7, "frequency"] == 1
    assert summary.loc[7, "recency"] == 2
    aware_end = pd.Timestamp("2024-05-04 01:00", tz="UTC")  # 22:00 on May 3 locally
    assert rfm_summary(frame, aware_end, time_unit_days=1).equals(summary)


def test_extra_columns_and_integer_ids_are_fine():
    frame = pd.DataFrame(
        {
            "customer_id": [2, 1, 2],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-15"]),
            "amount": [10, 20, 30],
            "tenant": ["x", "x", "x"],
        }
    )
    summary = rfm_summary(frame, "2024-01-15")
    assert list(summary.index) == [1, 2]
    assert list(summary.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert summary.loc[2, "monetary_value"] == 30.0


# --- bad input: one clear ValueError each ---------------------------------------------


def test_rejects_a_non_dataframe():
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        rfm_summary([("a", "2024-01-01", 1.0)], CALIBRATION_END)


def test_rejects_an_empty_frame():
    empty = pd.DataFrame(columns=["customer_id", "date", "amount"])
    with pytest.raises(ValueError, match="empty"):
        rfm_summary(empty, CALIBRATION_END)


def test_rejects_missing_columns(transactions):
    with pytest.raises(ValueError, match=r"missing column\(s\) \['amount'\]"):
        rfm_summary(transactions.drop(columns="amount"), CALIBRATION_END)


def test_rejects_negative_amounts(transactions):
    transactions.loc[0, "amount"] = -5.0
    with pytest.raises(ValueError, match="negative"):
        rfm_summary(transactions, CALIBRATION_END)


def test_rejects_missing_amounts(transactions):
    transactions.loc[0, "amount"] = np.nan
    with pytest.raises(ValueError, match="'amount' has missing"):
        rfm_summary(transactions, CALIBRATION_END)


def test_rejects_non_numeric_amounts(transactions):
    transactions["amount"] = transactions["amount"].astype(object)
    transactions.loc[0, "amount"] = "cien"
    with pytest.raises(ValueError, match="'amount' must be numeric"):
        rfm_summary(transactions, CALIBRATION_END)


def test_rejects_missing_dates(transactions):
    transactions.loc[0, "date"] = None
    with pytest.raises(ValueError, match="'date' has missing values"):
        rfm_summary(transactions, CALIBRATION_END)


@pytest.mark.filterwarnings("ignore:Could not infer format")
def test_rejects_unreadable_dates(transactions):
    transactions.loc[0, "date"] = "not a date"
    with pytest.raises(ValueError, match="'date' has values that are not dates"):
        rfm_summary(transactions, CALIBRATION_END)


def test_rejects_missing_customer_ids(transactions):
    transactions.loc[0, "customer_id"] = None
    with pytest.raises(ValueError, match="'customer_id' has missing values"):
        rfm_summary(transactions, CALIBRATION_END)


@pytest.mark.parametrize("unit", [0, -7, float("nan"), float("inf"), "7", True, None])
def test_rejects_a_bad_time_unit(transactions, unit):
    with pytest.raises(ValueError, match="time_unit_days must be a positive number"):
        rfm_summary(transactions, CALIBRATION_END, time_unit_days=unit)


@pytest.mark.parametrize("end", [None, "someday"])
def test_rejects_a_bad_calibration_end(transactions, end):
    with pytest.raises(ValueError, match="calibration_end must be a date"):
        rfm_summary(transactions, end)


def test_rejects_when_every_transaction_is_after_calibration_end(transactions):
    with pytest.raises(ValueError, match="every transaction is after calibration_end"):
        rfm_summary(transactions, "2023-12-31")
