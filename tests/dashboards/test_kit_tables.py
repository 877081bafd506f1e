"""Table cells by unit, in both languages, against strings written by hand."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
import streamlit as st

from dashboards.kit.tables import (
    ColumnFormat,
    cell_text,
    column_widths,
    formatted,
    table_formats,
)


@pytest.mark.parametrize(
    ("unit", "value", "es", "en"),
    [
        ("ars", 1147648000, "$ 1.147.648.000", "ARS 1,147,648,000"),
        ("ars", 29900.0, "$ 29.900", "ARS 29,900"),
        ("ars", -500.0, "-$ 500", "-ARS 500"),
        ("ratio", 0.9394, "93,9 %", "93.9%"),
        ("change", -0.3257, "-32,6 %", "-32.6%"),
        ("change", 0.157, "+15,7 %", "+15.7%"),
        ("count", 4000, "4.000", "4,000"),
        ("count", np.int64(1234567), "1.234.567", "1,234,567"),
        ("id", 12345, "12345", "12345"),
        ("score", 74.6418, "74,6", "74.6"),
        ("minutes", 42.0, "42 min", "42 min"),
    ],
)
def test_a_cell_reads_by_its_unit(unit, value, es, en):
    column = ColumnFormat(unit)
    assert cell_text(column, value, locale="es_AR") == es
    assert cell_text(column, value, locale="en") == en


def test_fitted_values_keep_their_precision_and_fixed_decimals_are_kept():
    fitted = ColumnFormat("number", None)
    assert cell_text(fitted, 1840000000.0, locale="es_AR") == "1.840.000.000"
    assert cell_text(fitted, 74.6418, locale="es_AR") == "74,6"
    assert cell_text(fitted, 841.142, locale="es_AR") == "841"
    assert cell_text(fitted, 0.12345, locale="es_AR") == "0,123"
    assert cell_text(fitted, 0.5, locale="en") == "0.5"
    assert cell_text(ColumnFormat("number", 2), 3.0, locale="es_AR") == "3,00"
    assert cell_text(ColumnFormat("signed", 1), -0.25, locale="es_AR") == "-0,2"


def test_dates_months_and_missing_values():
    moment = datetime(2026, 6, 4, 9, 3, 4)
    assert cell_text(ColumnFormat("date"), moment, locale="es_AR") == "04/06/2026"
    assert cell_text(ColumnFormat("date"), date(2026, 6, 4), locale="en") == "2026-06-04"
    assert cell_text(ColumnFormat("datetime"), moment, locale="es_AR") == "04/06/2026 09:03"
    stamp = pd.Timestamp(moment)
    assert cell_text(ColumnFormat("datetime_seconds"), stamp, locale="en") == "2026-06-04 09:03:04"
    assert cell_text(ColumnFormat("month"), "2026-06", locale="es_AR") == "jun 2026"
    assert cell_text(ColumnFormat("month"), "2026-06", locale="en") == "Jun 2026"
    for missing in (None, float("nan"), pd.NaT, "None"):
        assert cell_text(ColumnFormat("ars"), missing, locale="es_AR") == "—"


def test_codes_read_as_labels_in_both_languages():
    column = ColumnFormat("label", kind="payment_method")
    assert cell_text(column, "transfer", locale="es_AR") == "Transferencia"
    assert cell_text(column, "transfer", locale="en") == "Bank transfer"
    # One English word, two Spanish ones: the context decides.
    booking = ColumnFormat("label", kind="booking_status")
    payment = ColumnFormat("label", kind="payment_status")
    assert cell_text(booking, "cancelled", locale="es_AR") == "Cancelada"
    assert cell_text(payment, "cancelled", locale="es_AR") == "Cancelado"


def test_a_columns_unit_comes_from_the_page_its_name_its_config_or_its_data():
    frame = pd.DataFrame(
        {
            "tenant_id": [7, 8],
            "gmv_ars": [1147648000.0, 29900.0],
            "mrr": [0.157, -0.05],
            "rate": [0.5, 0.25],
            "alpha": [74.6418, 1840000000.0],
            "bookings": [3, 4000],
            "vertical": ["barbershop", "spa"],
            "status": ["paid", "written_off"],
            "cohort": ["2026-05", "2026-06"],
            "name": ["Barbería Sur", "Spa Norte"],
            "active": [True, False],
        }
    )
    formats = table_formats(
        frame,
        units={"mrr": "change"},
        configs={
            "gmv_ars": st.column_config.NumberColumn("GMV", format="%.0f"),
            "rate": st.column_config.NumberColumn("Rate", format="percent"),
            "alpha": st.column_config.NumberColumn("α", format="%.4f"),
        },
    )
    assert formats["tenant_id"].unit == "id"
    assert formats["gmv_ars"].unit == "ars"  # money by name, despite its "%.0f"
    assert formats["mrr"].unit == "change"  # the page said so
    assert formats["rate"].unit == "ratio"
    assert formats["alpha"] == ColumnFormat("number", 4)
    assert formats["bookings"].unit == "count"  # a registry metric
    assert formats["vertical"] == ColumnFormat("label", kind="vertical")
    assert formats["status"] == ColumnFormat("label", kind="invoice_status")  # by its codes
    assert formats["cohort"].unit == "month"
    assert "name" not in formats and "active" not in formats
    shown = formatted(frame, formats, locale="es_AR")
    assert shown.loc[0].to_dict() == {
        "tenant_id": "7",
        "gmv_ars": "$ 1.147.648.000",
        "mrr": "+15,7 %",
        "rate": "50,0 %",
        "alpha": "74,6418",
        "bookings": "3",
        "vertical": "Barbería",
        "status": "Pagada",
        "cohort": "may 2026",
        "name": "Barbería Sur",
        "active": True,
    }


def test_a_status_that_fits_two_kinds_is_left_for_the_page_to_name():
    frame = pd.DataFrame({"status": ["open", "open"]})
    assert "status" not in table_formats(frame)
    named = table_formats(frame, labels={"status": "alert_status"})
    assert named["status"] == ColumnFormat("label", kind="alert_status")


def test_widths_fit_the_longest_cell_anywhere_in_the_column_and_its_header():
    frame = pd.DataFrame({"gmv_ars": [1.0] * 50 + [1147648000.0], "n": [1] * 51})
    formats = table_formats(frame)
    headers = {"gmv_ars": "GMV", "n": "Tenants in the book"}
    widths = column_widths(frame, formats, headers, locale="es_AR")
    assert widths["gmv_ars"] == len("$ 1.147.648.000") * 7 + 20  # the last row's, not the first's
    assert widths["n"] == len("Tenants in the book") * 7 + 20
