"""The CPI table refuses implausible months and values, with one message and no change.

The findings: a file starting ``0001-01`` and a CSV cell over 128 KB raised tracebacks;
index values 1e300 and 1e-300 and a month in the year 1000 were saved and broke every
constant-peso chart.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.commands import Actor, execute
from core.inflation.table import (
    MAX_MONTHLY_PCT,
    CpiError,
    CpiUpdate,
    month_range,
    parse_cpi_csv,
    parse_month,
    seed_cpi_if_empty,
    upload_to_update,
)
from core.schema import ConsoleUser, CpiMonth
from tests.db_fingerprint import assert_unchanged, fingerprint


@pytest.fixture
def admin(engine) -> Actor:  # type: ignore[no-untyped-def]
    seed_cpi_if_empty(engine)
    with Session(engine) as session, session.begin():
        user = ConsoleUser(
            email="ana@example.com", full_name="Ana Admin", role="admin", active=True
        )
        session.add(user)
        session.flush()
        return Actor(user.id)


def last_level(engine) -> tuple[date, float]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        row = session.scalars(select(CpiMonth).order_by(CpiMonth.month.desc()).limit(1)).one()
        return row.month, row.index_value


def one_error(data: bytes):  # type: ignore[no-untyped-def]
    parsed = parse_cpi_csv(data, locale="en")
    assert not parsed.ok and parsed.values == {}
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


# ----------------------------------------------------------------------------- the upload


def test_a_file_starting_0001_01_gets_one_message():
    error = one_error(b"month,index_value\n0001-01,100\n")
    assert (error.line, error.column) == (2, "month")
    first, last = month_range()
    assert error.message == (
        f"0001-01 is outside the months the console uses, 2000-01 to {last.year}-{last.month:02d}."
    )
    assert first == date(2000, 1, 1)
    error = one_error(b"month,monthly_pct\n0001-01,2\n")  # chaining it raised date(0, 12, 1)
    assert error.message.startswith("0001-01 is outside the months")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e300", "An index value must be a number between 0.01 and 100,000,000"),
        ("1e-300", "An index value must be a number between 0.01 and 100,000,000"),
        ("inf", "is not a number"),
        ("nan", "is not a number"),
    ],
)
def test_absurd_index_values_get_one_message(value, message):
    error = one_error(f"month,index_value\n2025-01,{value}\n".encode())
    assert (error.line, error.column) == (2, "index_value")
    assert message in error.message


def test_a_month_in_the_year_1000_and_a_twenty_digit_year():
    error = one_error(b"month,index_value\n1000-01,100\n")
    assert error.message.startswith("1000-01 is outside the months the console uses")
    error = one_error(b"month,index_value\n99999999999999999999-01,100\n")  # OverflowError
    assert error.message.startswith("'99999999999999999999-01' is not a month")
    with pytest.raises(ValueError):
        parse_month("01/99999999999999999999")


def test_monthly_changes_are_bounded_in_the_file():
    error = one_error(f"month,monthly_pct\n2025-01,{MAX_MONTHLY_PCT + 1}\n".encode())
    assert error.message == "A monthly change must be between -50 % and 100 %."
    error = one_error(b"month,index_value\n2025-01,10000\n2025-02,30000\n")
    assert (error.line, error.column) == (3, "index_value")
    assert error.message == (
        "From 2025-01 to 2025-02 the index changes +200.0 % a month; a monthly change "
        "must be between -50 % and 100 %."
    )


def test_a_month_too_far_ahead():
    current = now().date()
    ahead = date(current.year + 3, current.month, 1)
    error = one_error(f"month,index_value\n{ahead:%Y-%m},100\n".encode())
    assert "is outside the months the console uses" in error.message


@pytest.mark.parametrize("shape", ["one line", "quoted over many lines"])
def test_a_csv_field_over_128_kb_gets_one_message(shape):
    if shape == "one line":
        cell = "9" * (129 * 2**10)
    else:  # only csv's own field limit sees this one: "_csv.Error: field larger than ..."
        cell = '"' + "9" * 60 + ("\n" + "9" * 60) * 2_200 + '"'
    error = one_error(f"month,index_value\n2025-01,{cell}\n".encode())
    assert error.line == 2
    assert error.message in (
        "The row is longer than 100000 characters.",
        "The row cannot be read as CSV: a cell is too long, a quote is not closed or it "
        "holds a NUL character.",
    )


def test_a_nul_byte_and_too_many_rows():
    assert one_error(b"month,index_value\n2025-01,1\x0000\n").line == 2
    rows = "".join(f"{2000 + i // 12}-{i % 12 + 1:02d},100\n" for i in range(2_001))
    assert one_error(f"month,index_value\n{rows}".encode()).message == (
        "The file has more than 2000 rows."
    )


# ----------------------------------------------------------------------------- the command


@pytest.mark.parametrize(
    "levels",
    [
        {date(2025, 1, 1): 1e300},
        {date(2025, 1, 1): 1e-300},
        {date(1000, 1, 1): 100.0},
        {date(1, 1, 1): 100.0},
        {date(2025, 1, 1): float("nan")},
    ],
    ids=["1e300", "1e-300", "year 1000", "0001-01", "nan"],
)
def test_the_command_refuses_absurd_levels_and_changes_nothing(engine, admin, levels):
    before = fingerprint(engine)
    with pytest.raises(CpiError) as caught:
        execute(CpiUpdate(source="upload", levels=levels), actor=admin, engine=engine)
    assert_unchanged(engine, before)
    assert "must be a number between 0.01 and 100,000,000" in str(caught.value) or (
        "is outside the months the console uses, 2000-01 to" in str(caught.value)
    )


def test_the_command_checks_changes_against_the_table(engine, admin):
    month, level = last_level(engine)
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    before = fingerprint(engine)
    with pytest.raises(CpiError, match=r"the index changes \+200\.0 % a month"):
        execute(CpiUpdate(source="upload", levels={nxt: level * 3}), actor=admin, engine=engine)
    assert_unchanged(engine, before)
    # Changing a month already in the table is judged against the month before it.
    with pytest.raises(CpiError, match=r"% a month"):
        execute(CpiUpdate(source="manual", levels={month: level * 3}), actor=admin, engine=engine)
    assert_unchanged(engine, before)
    # A plausible next month still saves.
    assert execute(
        CpiUpdate(source="upload", levels={nxt: level * 1.02}), actor=admin, engine=engine
    )


def test_an_upload_of_1e300_through_the_page_path_changes_nothing(engine, admin):
    month, _level = last_level(engine)
    parsed = parse_cpi_csv(f"month,index_value\n{month:%Y-%m},1e300\n".encode(), locale="en")
    assert not parsed.ok
    before = fingerprint(engine)
    with pytest.raises(CpiError):  # the command refuses the same data on its own
        execute(
            upload_to_update(parsed.__class__(kind="index_value", values={month: 1e300})),
            actor=admin,
            engine=engine,
        )
    assert_unchanged(engine, before)
    with Session(engine) as session:
        assert session.scalar(select(func.max(CpiMonth.index_value))) < 1e8


def test_a_deletion_is_judged_by_the_neighbours_it_joins():
    from core.inflation.table import _check_changes

    jan, feb, mar = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
    stored = {jan: 100.0, feb: 150.0, mar: 500.0}  # Feb -> Mar already odd: not re-judged
    _check_changes(stored, {}, set())
    with pytest.raises(CpiError, match=r"From 2025-01 to 2025-03 the index changes \+123\.6 %"):
        _check_changes(stored, {}, {feb})
    _check_changes(stored, {}, {mar})  # Jan -> Feb is fine


@pytest.mark.parametrize(
    "data",
    [
        b"month,index_value\n0001-01,100\n2025-01,100\n",
        b"month,monthly_pct\n0001-01,2\n",
        b"month,index_value\n2025-01,1e300\n",
        b"month,index_value\n2025-01,1e-300\n",
        b"month,index_value\n1000-01,100\n",
        b"month,index_value\n2025-01," + b"9" * (129 * 2**10) + b"\n",
        b'month,index_value\n2025-01,"' + (b"9" * 60 + b"\n") * 2_200 + b'"\n',
    ],
    ids=["0001-01", "0001-01 pct", "1e300", "1e-300", "year 1000", "128 KB line", "128 KB quoted"],
)
def test_the_page_path_gives_one_message_and_changes_nothing(engine, admin, data):
    """What the CPI page does with an upload: parse, and save only a file without errors."""
    before = fingerprint(engine)
    parsed = parse_cpi_csv(data, locale="es_AR")
    assert len(parsed.errors) == 1 and not parsed.ok
    assert parsed.errors[0].line == 2
    assert "1e" not in parsed.errors[0].message  # numbers as Argentines write them
    if parsed.ok:  # pragma: no cover - the page's condition, never true here
        execute(upload_to_update(parsed), actor=admin, engine=engine)
    assert_unchanged(engine, before)
