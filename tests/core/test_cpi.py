"""The CPI table: bundled seed, CSV validation (nothing saved unless valid), audited edits."""

import shutil
import sqlite3
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.commands import Actor, execute
from core.db import create_engine_for
from core.inflation.deflate import to_constant_ars
from core.inflation.reference import MONTHLY_CPI_PCT
from core.inflation.table import (
    BASE_MONTH,
    SOURCE_BUNDLED,
    CpiError,
    CpiUpdate,
    bundled_levels,
    cpi_frame,
    edits_to_update,
    load_cpi,
    parse_cpi_csv,
    parse_month,
    seed_cpi,
    seed_cpi_if_empty,
    upload_to_update,
)
from core.metrics.frames.cpi import compute_cpi
from core.migrate import upgrade_database
from core.schema import AuditEvent, CpiMonth

ADMIN = Actor(1)  # the console user who makes every change below


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("cpi") / "template.db"
    upgrade_database(f"sqlite:///{path}")  # seeds the bundled series
    with sqlite3.connect(path) as connection:  # fold the WAL in, so a file copy has it all
        connection.execute(
            "INSERT INTO console_users (id, full_name, email, role, active, updated_at) "
            "VALUES (?, 'Ana Admin', 'ana@example.com', 'admin', 1, '2026-01-01 00:00:00')",
            (ADMIN.user_id,),
        )
        connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def engine(tmp_path, template):
    shutil.copy(template, tmp_path / "cpi.db")
    engine = create_engine_for(f"sqlite:///{tmp_path / 'cpi.db'}")
    yield engine
    engine.dispose()


def table(engine) -> pd.DataFrame:
    with Session(engine) as session:
        return load_cpi(session=session)


def audit_count(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def test_migrate_seeds_the_bundled_series_on_indec_base(engine):
    cpi = table(engine)
    assert len(cpi) == len(MONTHLY_CPI_PCT)
    assert cpi["approximate"].all() and set(cpi["source"]) == {SOURCE_BUNDLED}
    levels = dict(zip(cpi["month"], cpi["index_value"], strict=True))
    assert levels[BASE_MONTH] == pytest.approx(100.0)
    # Each month's level is the previous one times (1 + its % change), by hand:
    assert levels[date(2017, 1, 1)] == pytest.approx(100 * 1.016)
    assert levels[date(2017, 2, 1)] == pytest.approx(100 * 1.016 * 1.021)
    assert levels[date(2016, 11, 1)] == pytest.approx(100 / 1.012)
    assert levels[date(2024, 1, 1)] / levels[date(2023, 12, 1)] == pytest.approx(1.206)


def test_seeding_never_overwrites_a_table_with_rows(engine):
    with Session(engine) as session, session.begin():
        session.get(CpiMonth, date(2024, 1, 1)).index_value = 1.0
    assert seed_cpi_if_empty(engine) == 0
    with Session(engine) as session:
        assert seed_cpi(session=session, monthly_pct={"2020-01": 1.0}) == 0
        assert session.get(CpiMonth, date(2024, 1, 1)).index_value == 1.0


def test_provider_frame_stops_at_the_snapshot_month_and_restates(engine):
    with Session(engine) as session:
        frame = compute_cpi(session, date(2026, 4, 10))["cpi_monthly"]
    assert list(frame.columns) == ["month", "index_value", "approximate"]
    assert frame["month"].max() == pd.Timestamp("2026-04-01")
    amounts = pd.DataFrame({"month": [date(2026, 3, 1)], "gmv_ars": [1000.0]})
    constant = to_constant_ars(
        amounts, ["gmv_ars"], month_column="month", base_month=date(2026, 4, 1), cpi=frame
    )
    assert constant["gmv_ars"].iloc[0] == pytest.approx(
        1000 * (1 + MONTHLY_CPI_PCT["2026-04"] / 100)
    )


def test_provider_seeds_an_empty_table(engine):
    with Session(engine) as session, session.begin():
        session.query(CpiMonth).delete()
    with Session(engine) as session:
        frame = compute_cpi(session, date(2026, 4, 10))["cpi_monthly"]
    assert len(frame) == len(
        bundled_levels({k: v for k, v in MONTHLY_CPI_PCT.items() if k <= "2026-04"})
    )


BAD_UPLOADS = {
    "empty file": b"",
    "only whitespace": b"  \n\n",
    "header only": b"month,index_value\n",
    "wrong columns": b"fecha,valor\n2026-01,100\n",
    "both value columns": b"month,index_value,monthly_pct\n2026-01,100,2\n",
    "bad month": b"month,index_value\n2026-13,100\n",
    "not a month": b"month,index_value\nenero,100\n",
    "mid-month date": b"month,index_value\n2026-01-15,100\n",
    "negative index": b"month,index_value\n2026-01,-5\n",
    "zero index": b"month,index_value\n2026-01,0\n",
    "not a number": b"month,index_value\n2026-01,abc\n",
    "duplicate month": b"month,index_value\n2026-01,100\n2026-01,101\n",
    "missing field": b"month,index_value\n2026-01\n",
    "utf-16": "month,index_value\n2026-01,100\n".encode("utf-16"),
    "latin-1 binary": b"month,index_value\n2026-01,1\xe9\xff\n",
    "pct gap": b"month,monthly_pct\n2026-01,2\n2026-03,2\n",
    "absurd pct": b"month,monthly_pct\n2026-01,900\n",
}


@pytest.mark.parametrize("data", BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
def test_bad_uploads_are_refused_and_change_nothing(engine, data):
    before, audits = table(engine), audit_count(engine)
    parsed = parse_cpi_csv(data, locale="en")
    assert not parsed.ok and parsed.errors and not parsed.values
    with pytest.raises(CpiError):
        execute(upload_to_update(parsed), actor=ADMIN, engine=engine)
    pd.testing.assert_frame_equal(table(engine), before)
    assert audit_count(engine) == audits


def test_row_errors_name_their_lines():
    parsed = parse_cpi_csv(
        b"month,index_value\n2026-01,100\nfoo,3\n2026-02,-1\n2026-01,7\n", locale="en"
    )
    assert [(e.line, e.column) for e in parsed.errors] == [
        (3, "month"),
        (4, "index_value"),
        (5, "month"),
    ]
    assert "first on line 2" in parsed.errors[2].message


def test_spreadsheet_csv_with_semicolons_and_decimal_commas():
    parsed = parse_cpi_csv(
        "\ufeffMonth;Index_Value\n01/2026;1.234,5\n2026-03;1300\n".encode(), locale="en"
    )
    assert parsed.ok
    assert parsed.values == {date(2026, 1, 1): 1234.5, date(2026, 3, 1): 1300.0}
    assert parsed.warnings and "2026-02" in parsed.warnings[0]  # a gap warns, never blocks


def test_index_upload_upserts_and_audits_each_month(engine):
    parsed = parse_cpi_csv(b"month,index_value\n2026-03,12000\n2027-01,15000\n", locale="en")
    assert parsed.ok
    changed = execute(upload_to_update(parsed), actor=ADMIN, engine=engine)
    assert changed == 2
    with Session(engine) as session:
        march = session.get(CpiMonth, date(2026, 3, 1))
        assert (march.index_value, march.source, march.approximate) == (12000.0, "upload", False)
        assert session.get(CpiMonth, date(2027, 1, 1)).index_value == 15000.0
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.entity, e.entity_id) for e in events] == [
        ("cpi.upload", "cpi_month", "2026-03"),
        ("cpi.upload", "cpi_month", "2027-01"),
    ]
    assert (
        events[0].before["source"] == SOURCE_BUNDLED and events[0].after["index_value"] == 12000.0
    )
    assert events[1].before is None
    assert {e.actor_id for e in events} == {ADMIN.user_id}


def test_monthly_pct_upload_chains_from_the_previous_month(engine):
    with Session(engine) as session:
        february = session.get(CpiMonth, date(2026, 2, 1)).index_value
    parsed = parse_cpi_csv(b"month,monthly_pct\n2026-03,10\n2026-04,-5\n", locale="en")
    execute(upload_to_update(parsed), actor=ADMIN, engine=engine)
    with Session(engine) as session:
        assert session.get(CpiMonth, date(2026, 3, 1)).index_value == pytest.approx(february * 1.1)
        assert session.get(CpiMonth, date(2026, 4, 1)).index_value == pytest.approx(
            february * 1.1 * 0.95
        )


def test_monthly_pct_without_an_anchor_month_is_refused(engine):
    before = table(engine)
    # Within the plausible months (today + 24), past the bundled series' end (2026-12).
    parsed = parse_cpi_csv(b"month,monthly_pct\n2027-06,2\n", locale="en")
    assert parsed.ok  # well-formed, but the table has no 2027-05 to chain from
    with pytest.raises(CpiError, match="2027-05 is not in the table"):
        execute(upload_to_update(parsed), actor=ADMIN, engine=engine)
    pd.testing.assert_frame_equal(table(engine), before)


def test_editor_changes_become_one_audited_transaction(engine):
    original = table(engine).tail(3).reset_index(drop=True)
    edited = original[["month", "index_value"]].copy()
    # Plausible values: a monthly change over +100 % is refused (test_cpi_plausibility.py).
    edited.loc[2, "index_value"] = round(original["index_value"][2] * 1.01, 4)
    edited = edited.drop(index=0)
    edited.loc[9] = [date(2027, 1, 1), round(original["index_value"][2] * 1.03, 4)]
    update = edits_to_update(original, edited)
    assert update.deletions == (pd.Timestamp(original["month"][0]).date(),)
    assert set(update.levels) == {pd.Timestamp(original["month"][2]).date(), date(2027, 1, 1)}
    assert execute(update, actor=ADMIN, engine=engine) == 3
    assert audit_count(engine) == 3
    with Session(engine) as session:
        assert session.get(CpiMonth, update.deletions[0]) is None


@pytest.mark.parametrize(
    ("month", "value", "message"),
    [("2026-13", 5.0, "not a month"), ("2026-01", -1.0, "positive"), (None, 5.0, "missing")],
)
def test_bad_editor_rows_are_refused(engine, month, value, message):
    original = table(engine).tail(1).reset_index(drop=True)
    edited = pd.DataFrame({"month": [month], "index_value": [value]})
    with pytest.raises(CpiError, match=message):
        edits_to_update(original, edited)


def test_the_table_cannot_be_emptied(engine):
    months = tuple(pd.Timestamp(m).date() for m in table(engine)["month"])
    with pytest.raises(CpiError, match="cannot be left empty"):
        execute(CpiUpdate(source="manual", deletions=months), actor=ADMIN, engine=engine)
    assert len(table(engine)) == len(months)


def test_months_parse_strictly():
    assert parse_month("2026-03") == date(2026, 3, 1)
    assert parse_month("2026-03-01") == date(2026, 3, 1)
    assert parse_month("03/2026") == date(2026, 3, 1)
    for bad in ("2026-03-02", "2026", "March", "2026-00"):
        with pytest.raises(ValueError):
            parse_month(bad)


def test_frame_types():
    frame = cpi_frame(
        pd.DataFrame({"month": [date(2026, 2, 1)], "index_value": [5], "approximate": [0]})
    )
    assert (
        str(frame.dtypes["index_value"]) == "float64" and str(frame.dtypes["approximate"]) == "bool"
    )
