"""Enterprise import: a chain goes in whole, a bad upload gets a report and changes nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from bench.onboarding import chain_files, run_command
from core.schema import OnboardingSession
from core.workflows.onboarding_drafts import StartOnboarding, SubmitStep
from core.workflows.onboarding_import import (
    COLUMNS,
    KINDS,
    MAX_UPLOAD_BYTES,
    ImportFiles,
    ImportRejectedError,
    looks_like_formula,
    parse_number,
    template_csv,
    template_xlsx,
)
from core.workflows.onboarding_samples import clean_steps


@pytest.fixture
def session_id(sqlite_engine):  # type: ignore[no-untyped-def]
    sid = run_command(sqlite_engine, StartOnboarding())
    steps = clean_steps()
    for step in ("business", "contact"):
        run_command(sqlite_engine, SubmitStep(sid, step, steps[step]))
    return sid


def draft(engine, sid):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.get(OnboardingSession, sid).draft


def rejected(engine, sid, files, locale="en"):  # type: ignore[no-untyped-def]
    before = draft(engine, sid)
    with pytest.raises(ImportRejectedError) as caught:
        run_command(engine, ImportFiles(sid, files, locale=locale))
    assert draft(engine, sid) == before  # nothing changed
    return [(e.file, e.row, e.column, e.message) for e in caught.value.errors]


def test_a_chain_imports_whole(sqlite_engine, session_id):
    summary = run_command(sqlite_engine, ImportFiles(session_id, chain_files(5, 4, 6)))
    assert (summary.locations, summary.staff, summary.services) == (5, 20, 6)
    saved = draft(sqlite_engine, session_id)
    assert saved["completed"] == ["business", "contact", "locations", "hours", "services", "staff"]
    assert saved["hours"]["Sucursal 01"]["0"] == [["09:00", "20:00"]]
    assert saved["staff"][0]["services"] == [f"Servicio {j:02d}" for j in range(1, 7)]
    assert saved["staff"][0]["hours"]["0"] == [["10:00", "14:00"], ["15:00", "19:00"]]


def test_the_templates_import_as_they_are(sqlite_engine, session_id):
    files = {kind: (f"{kind}.csv", template_csv(kind)) for kind in KINDS}
    assert run_command(sqlite_engine, ImportFiles(session_id, files)).staff == 2
    workbook = template_xlsx()
    files = {kind: ("templates.xlsx", workbook) for kind in KINDS}
    assert run_command(sqlite_engine, ImportFiles(session_id, files)).locations == 2
    assert load_workbook(io.BytesIO(workbook)).sheetnames == list(KINDS)


def test_row_errors_name_file_row_and_column(sqlite_engine, session_id):
    files = chain_files(3, 2, 4)
    services = files["services"][1].decode().replace("Servicio 02,corte,30", "Servicio 02,corte,33")
    staff = files["staff"][1].decode().replace("Sucursal 02", "Sucursal 09", 1)
    locations = files["locations"][1].decode().replace("Córdoba,Córdoba", "Narnia,Córdoba", 1)
    files.update(
        services=("s.csv", services.encode()),
        staff=("st.csv", staff.encode()),
        locations=("l.csv", locations.encode()),
    )
    errors = rejected(sqlite_engine, session_id, files)
    where = [(f, r, c) for f, r, c, _ in errors]
    assert ("locations", 2, "province") in where
    assert ("services", 3, "duration") in where or ("services", 3, "duration_min") in where
    assert any(f == "staff" and c == "location" for f, _, c in where)


def test_wrong_columns(sqlite_engine, session_id):
    bad = "nombre,direccion\nCentro,San Martín 1\n".encode()
    errors = rejected(sqlite_engine, session_id, {"locations": ("l.csv", bad)})
    assert ("locations", 1, "name", "The column name is missing.") in errors
    assert ("locations", 1, "nombre", "The column nombre is not part of the template.") in errors


def test_wrong_encoding_empty_and_header_only(sqlite_engine, session_id):
    latin1 = template_csv("locations").decode().encode("latin-1")
    assert rejected(sqlite_engine, session_id, {"locations": ("l.csv", latin1)})[0][3].startswith(
        "The file is not UTF-8"
    )
    utf16 = template_csv("locations").decode().encode("utf-16")
    assert "UTF-8" in rejected(sqlite_engine, session_id, {"locations": ("l.csv", utf16)})[0][3]
    assert (
        rejected(sqlite_engine, session_id, {"services": ("s.csv", b"")})[0][3]
        == "The file is empty."
    )
    header = ",".join(COLUMNS["services"]).encode()
    assert (
        "no data rows" in rejected(sqlite_engine, session_id, {"services": ("s.csv", header)})[0][3]
    )
    es = rejected(sqlite_engine, session_id, {"services": ("s.csv", b"   \n")}, locale="es_AR")
    assert es[0][3] == "El archivo está vacío."


def test_a_50_mb_file_is_rejected_by_its_size(sqlite_engine, session_id):
    huge = b"\xff" * (50 * 2**20)  # not even text: it must never be parsed
    errors = rejected(sqlite_engine, session_id, {"staff": ("big.csv", huge)})
    assert errors == [
        ("staff", None, "", f"The file is 50.0 MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    ]


def test_formulas_are_rejected_in_csv_and_xlsx(sqlite_engine, session_id):
    csv = template_csv("services").decode().replace("12000", "=HYPERLINK(A1)")
    csv = csv.replace("Corte + barba", "@SUM(A1)")
    errors = rejected(sqlite_engine, session_id, {"services": ("s.csv", csv.encode())})
    assert [(r, c) for _f, r, c, _m in errors] == [(2, "price_ars"), (3, "name")]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS["services"]))
    sheet.append(["Corte", "corte", 30, "=10*1200"])
    out = io.BytesIO()
    workbook.save(out)
    errors = rejected(sqlite_engine, session_id, {"services": ("s.xlsx", out.getvalue())})
    assert errors == [
        ("services", 2, "price_ars", "Cells cannot hold formulas; paste the value instead.")
    ]


def test_a_fake_xlsx_and_an_old_xls_get_a_clear_message(sqlite_engine, session_id):
    errors = rejected(sqlite_engine, session_id, {"staff": ("s.xlsx", b"PK\x03\x04garbage")})
    assert errors[0][3].startswith("The Excel workbook cannot be read")
    errors = rejected(sqlite_engine, session_id, {"staff": ("s.xls", b"\xd0\xcf\x11\xe0rest")})
    assert errors[0][3] == "The file is neither CSV nor an Excel workbook (.xlsx)."


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("=1+1", True),
        ("@cmd", True),
        ("+A1", True),
        ("-2+3+cmd|' /C calc'!A0", True),
        ("-5", False),
        ("+54 9 11 2345-6789", False),
        ("Corte + barba", False),
        ("", False),
    ],
)
def test_what_looks_like_a_formula(text, formula):
    assert looks_like_formula(text) is formula


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12000", 12000.0),
        ("12.000", 12000.0),
        ("12.000,50", 12000.5),
        ("12,5", 12.5),
        ("1,234.5", 1234.5),
        ("$ 9.500", 9500.0),
        ("doce", None),
        ("nan", None),
    ],
)
def test_argentine_numbers(text, number):
    assert parse_number(text) == number
