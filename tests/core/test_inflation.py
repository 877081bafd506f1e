"""Constant ARS: hand-computed restatements against small CPI tables, including the
months outside the table (projected after it, at its first level before it)."""

from datetime import date

import pandas as pd
import pytest

from core.inflation.deflate import (
    Projection,
    constant_ars_notes,
    cpi_factors,
    cpi_projection,
    projection_notes,
    to_constant_ars,
)

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


# Feb +100 % (outside the window), then Mar 0 %, Apr 0 %, May +33.1 %: the compound
# average of the last 3 monthly changes is 1.331 ** (1/3) - 1 = 10 % (arithmetic: 11.03 %).
LONG = pd.DataFrame(
    {
        "month": [date(2026, m, 1) for m in (1, 2, 3, 4, 5)],
        "index_value": [100.0, 200.0, 200.0, 200.0, 266.2],
    }
)


def test_months_before_the_table_take_its_first_level_and_months_after_are_projected():
    months = pd.Series([date(2025, 6, 1), date(2026, 9, 1)])
    # Before: CPI(Feb) / CPI(Jan) = 1.1. After: Sep is 6 months past Mar at the table's
    # average +10 %/month: 121 * 1.1 ** 6 = 214.358881.
    assert cpi_factors(months, date(2026, 2, 1), CPI).tolist() == pytest.approx(
        [1.1, 110 / 214.358881]
    )


def test_projected_levels_compound_the_average_of_the_last_three_months():
    months = pd.Series([date(2026, 5, 20), date(2026, 6, 1), date(2026, 7, 31)])
    # May is in the table; June = 266.2 * 1.1 = 292.82; July = 292.82 * 1.1 = 322.102.
    assert cpi_factors(months, date(2026, 4, 1), LONG).tolist() == pytest.approx(
        [200 / 266.2, 200 / 292.82, 200 / 322.102]
    )
    # A base month after the table is projected too: CPI(Aug) = 266.2 * 1.331 = 354.3122.
    aug = cpi_factors(pd.Series([date(2026, 5, 1)]), date(2026, 8, 1), LONG)
    assert aug.tolist() == pytest.approx([354.3122 / 266.2])
    restated = to_constant_ars(
        pd.DataFrame({"day": [date(2026, 7, 3)], "gmv": [1000.0]}),
        ["gmv"],
        month_column="day",
        base_month=date(2026, 5, 1),
        cpi=LONG,
    )
    assert restated["gmv"].tolist() == pytest.approx([1000 * 266.2 / 322.102])


def test_the_projection_names_the_months_outside_the_table_and_the_assumption():
    months = pd.Series([date(2025, 12, 3), date(2026, 3, 9), date(2026, 7, 1), date(2026, 6, 30)])
    projection = cpi_projection(months, LONG)
    assert projection == Projection(
        first_month=date(2026, 1, 1),
        last_month=date(2026, 5, 1),
        monthly_rate=pytest.approx(0.10),
        averaged=(date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)),
        after=(date(2026, 6, 1), date(2026, 7, 1)),
        before=(date(2025, 12, 1),),
    )
    assert projection_notes(projection, locale="en") == [
        "Months after 2026-05 are projected at 10.0% a month (the average of the last 3 "
        "months of the CPI table).",
        "Months before 2026-01 are before the CPI table and are restated at its first "
        "month (2026-01): no inflation is counted for them.",
    ]
    assert projection_notes(projection, locale="es_AR") == [
        "Los meses posteriores a 2026-05 se proyectan con un 10,0 % mensual (el promedio de "
        "los últimos 3 meses de la tabla de IPC).",
        "Los meses anteriores a 2026-01 están antes de la tabla de IPC y se expresan a precios "
        "de su primer mes (2026-01): para ellos no se cuenta inflación.",
    ]
    inside = pd.Series([date(2026, 1, 1), date(2026, 5, 31)])
    assert cpi_projection(inside, LONG) is None
    assert projection_notes(None, locale="en") == []


def test_short_and_single_month_tables_state_what_they_averaged():
    # Three months give two changes (+10 %, +10 %): the note names them.
    short = cpi_projection(pd.Series([date(2026, 4, 1)]), CPI)
    assert short is not None and short.monthly_rate == pytest.approx(0.10)
    assert projection_notes(short, locale="en") == [
        "Months after 2026-03 are projected at 10.0% a month (the average monthly "
        "inflation of the CPI table from 2026-02 to 2026-03)."
    ]
    single = CPI.iloc[:1]
    assert cpi_factors(pd.Series([date(2026, 4, 1)]), date(2026, 1, 1), single).tolist() == [1.0]
    flat = cpi_projection(pd.Series([date(2026, 4, 1)]), single)
    assert flat is not None and flat.monthly_rate == 0.0 and flat.averaged == ()
    assert projection_notes(flat, locale="en") == [
        "Months after 2026-01 are restated at the prices of 2026-01: the CPI table has a "
        "single month, so no inflation can be projected."
    ]


def test_constant_ars_notes_cover_the_period_and_the_base_month():
    # Nominal, or no table: nothing to say.
    assert constant_ars_notes(date(2026, 1, 1), date(2026, 9, 1), None, LONG, locale="en") == []
    assert (
        constant_ars_notes(date(2026, 1, 1), date(2026, 9, 1), date(2026, 2, 1), None, locale="en")
        == []
    )
    # A period inside the table, in ARS of a month inside it: nothing projected.
    assert (
        constant_ars_notes(date(2026, 2, 3), date(2026, 5, 31), date(2026, 3, 1), LONG, locale="en")
        == []
    )
    # The period runs into June: projected.
    (note,) = constant_ars_notes(
        date(2026, 2, 3), date(2026, 6, 2), date(2026, 3, 1), LONG, locale="en"
    )
    assert note.startswith("Months after 2026-05 are projected at 10.0% a month")
    # The period is inside, but the base month (from a shared link) is after the table.
    (note,) = constant_ars_notes(
        date(2026, 2, 3), date(2026, 3, 2), date(2026, 8, 1), LONG, locale="en"
    )
    assert note.startswith("Months after 2026-05")


def test_nominal_leaves_the_frame_alone_and_bad_tables_are_refused():
    frame = pd.DataFrame({"day": [date(2026, 1, 1)], "gmv": [5.0]})
    assert to_constant_ars(frame, ["gmv"], month_column="day", base_month=None, cpi=CPI) is frame
    with pytest.raises(ValueError, match="empty"):
        cpi_factors(frame["day"], date(2026, 1, 1), CPI.iloc[0:0])
    with pytest.raises(ValueError, match="non-positive"):
        cpi_factors(frame["day"], date(2026, 1, 1), CPI.assign(index_value=[0.0, 1.0, 2.0]))
