"""Hostile and broken uploads: one clear message each, bounded memory, nothing changed.

Each test is one finding of the hardening review, with its exact input: a zip-bomb .xlsx
(one 100 MiB cell), a truncated workbook, a CSV cell over csv's 128 KB field limit, a
staff file whose ``*`` services made 1.5 M staff-service rows, an oversized draft, and a
formula typed as the trade name in the wizard.
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from functools import lru_cache

import pytest

from bench.onboarding import run_command
from core.security.uploads import XLSX_BROKEN
from core.workflows.onboarding import steps as steps_module
from core.workflows.onboarding.drafts import StartOnboarding, SubmitStep
from core.workflows.onboarding.importer import (
    COLUMNS,
    ImportFiles,
    ImportRejectedError,
    read_table,
    template_csv,
    template_xlsx,
)
from core.workflows.onboarding.messages import message
from core.workflows.onboarding.samples import clean_steps
from core.workflows.onboarding.steps import (
    MAX_DRAFT_BYTES,
    MAX_STAFF_SERVICES,
    StepValidationError,
    validate_step,
)
from tests.db_fingerprint import assert_unchanged, fingerprint

CELL_MIB = 100


@pytest.fixture
def session_id(engine):  # type: ignore[no-untyped-def]
    sid = run_command(engine, StartOnboarding())
    steps = clean_steps()
    for step in ("business", "contact"):
        run_command(engine, SubmitStep(sid, step, steps[step]))
    return sid


def rejected(engine, sid, files, locale="en"):  # type: ignore[no-untyped-def]
    """The import's errors as (file, row, column, message); the database is unchanged."""
    before = fingerprint(engine)
    with pytest.raises(ImportRejectedError) as caught:
        run_command(engine, ImportFiles(sid, files, locale=locale))
    assert_unchanged(engine, before)
    return [(e.file, e.row, e.column, e.message) for e in caught.value.errors]


# ----------------------------------------------------------------------------- workbooks

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="staff" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


@lru_cache(maxsize=1)
def bomb_xlsx() -> bytes:
    """A valid workbook whose sheet holds one cell of 100 MiB ("A" repeated), written in
    chunks at the highest compression: about 100 KiB on disk."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
                b'<c r="A1" t="inlineStr"><is><t>'
            )
            chunk = b"A" * 2**20
            for _ in range(CELL_MIB):
                sheet.write(chunk)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return out.getvalue()


def test_the_zip_bomb_is_refused_before_decompression(engine, session_id):
    data = bomb_xlsx()
    assert len(data) < 200 * 2**10  # the finding: 106 KiB, far under the 10 MiB limit
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > CELL_MIB * 2**20
    errors = rejected(engine, session_id, {"staff": ("staff.xlsx", data)})
    assert len(errors) == 1
    file, row, _column, text = errors[0]
    assert (file, row) == ("staff", None)
    assert text.startswith("The Excel workbook would unzip to 100 MB in xl/worksheets/sheet1.xml")


def test_the_zip_bomb_costs_a_few_mib_at_most():
    data = bomb_xlsx()
    tracemalloc.start()
    try:
        with pytest.raises(ImportRejectedError):
            read_table("staff", "staff.xlsx", data, locale="en")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20, f"parsing the bomb allocated {peak / 2**20:.1f} MiB"


def _with_sheet_cut_short(workbook: bytes, sheet: str) -> bytes:
    """The same workbook, a valid zip, but ``sheet``'s XML ends in the middle."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            body = source.read(info)
            if info.filename == sheet:
                body = body[: len(body) // 2]
            target.writestr(info.filename, body)
    return out.getvalue()


@pytest.mark.parametrize("cut", ["file", "worksheet"])
def test_a_truncated_workbook_gets_one_message(engine, session_id, cut):
    workbook = template_xlsx()
    if cut == "file":  # the upload stopped half-way: no zip directory
        data = workbook[: len(workbook) // 2]
    else:  # a valid zip holding a worksheet cut short: an XML parse error inside openpyxl
        data = _with_sheet_cut_short(workbook, "xl/worksheets/sheet3.xml")
    errors = rejected(engine, session_id, {"staff": ("staff.xlsx", data)})
    assert errors == [("staff", None, "", XLSX_BROKEN)]


def test_an_xlsx_cell_over_the_cell_limit_names_its_row(engine, session_id):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS["services"]))
    sheet.append(["Corte", "corte", 30, 12000])
    sheet.append(["x" * 20_000, "corte", 30, 12000])
    out = io.BytesIO()
    workbook.save(out)
    errors = rejected(engine, session_id, {"services": ("s.xlsx", out.getvalue())})
    assert errors == [("services", 3, "", "A cell has more than 10000 characters.")]


# ----------------------------------------------------------------------------- CSV


def test_a_csv_field_over_128_kb_on_one_line(engine, session_id):
    # The finding: csv's own limit (131,072) raised "_csv.Error: field larger than field limit".
    csv = template_csv("services").decode().replace("Corte clásico", "x" * (129 * 2**10), 1)
    errors = rejected(engine, session_id, {"services": ("s.csv", csv.encode())})
    assert errors == [("services", 2, "", "The row is longer than 100000 characters.")]


def test_a_quoted_csv_field_over_128_kb_on_many_lines(engine, session_id):
    # Short lines, one quoted cell: only the csv module sees it grow past its limit.
    cell = '"' + "y" * 60 + ("\n" + "y" * 60) * 2_200 + '"'
    assert len(cell) > 128 * 2**10
    csv = template_csv("services").decode().replace("Corte clásico", cell, 1)
    errors = rejected(engine, session_id, {"services": ("s.csv", csv.encode())})
    assert len(errors) == 1
    assert errors[0][:2] == ("services", 2)
    assert errors[0][3].startswith("The row cannot be read as CSV")


def test_a_stray_quote_and_a_long_cell_name_their_rows(engine, session_id):
    csv = template_csv("services").decode() + "Barba,corte,30," + "9" * 10_001 + "\n"
    errors = rejected(engine, session_id, {"services": ("s.csv", csv.encode())})
    assert errors == [("services", 4, "", "A cell has more than 10000 characters.")]


# ----------------------------------------------------------------------------- staff x services


def _chain_with_every_service_for_everyone(
    services: int = 300, staff: int = 5_000
) -> dict[str, tuple[str, bytes]]:
    """The finding's upload: 300 services and 5,000 people doing ``*`` (every service),
    a 488 KiB staff file that became 1.5 M staff-service rows."""
    names = [f"Sucursal {i + 1:02d}" for i in range(50)]
    locations = [",".join(COLUMNS["locations"])] + [
        f"{n},Av. Colón {100 + i},Córdoba,Córdoba," + ",".join(["09:00-20:00"] * 6) + ","
        for i, n in enumerate(names)
    ]
    service_rows = [",".join(COLUMNS["services"])] + [
        f"Servicio {j + 1:03d},corte,30,{12000 + 10 * j}" for j in range(services)
    ]
    staff_rows = [",".join(COLUMNS["staff"])] + [
        f"Barbero {k + 1:07d},{names[k % 50]},barbero,*," + ",".join(["10:00-19:00"] * 5) + ",,"
        for k in range(staff)
    ]
    return {
        kind: (f"{kind}.csv", ("\n".join(rows) + "\n").encode())
        for kind, rows in (
            ("locations", locations),
            ("services", service_rows),
            ("staff", staff_rows),
        )
    }


def test_every_service_for_thousands_of_staff_is_capped_at_its_row(engine, session_id):
    files = _chain_with_every_service_for_everyone()
    assert 480 * 2**10 < len(files["staff"][1]) < 500 * 2**10  # the finding's 488 KiB
    errors = rejected(engine, session_id, files)
    crossing = MAX_STAFF_SERVICES // 300 + 1  # the person whose services cross the cap
    assert errors == [
        (
            "staff",
            crossing + 1,  # header = row 1
            "services",
            message("too_many_staff_services", "en", max=MAX_STAFF_SERVICES),
        )
    ]


def test_the_wizard_caps_staff_services_too():
    draft = {
        "locations": [{"name": "Centro"}],
        "services": [{"name": f"Servicio {j:03d}"} for j in range(300)],
    }
    every = [s["name"] for s in draft["services"]]
    week = {str(d): [["10:00", "19:00"]] for d in range(5)}
    staff = [
        {"name": f"Barbero {k}", "location": "Centro", "role": "barbero", "services": every}
        | {"hours": week}
        for k in range(5_000)
    ]
    with pytest.raises(StepValidationError) as caught:
        validate_step("staff", staff, draft, locale="en")
    assert [(e.field, e.row, e.code) for e in caught.value.errors] == [
        ("services", MAX_STAFF_SERVICES // 300, "too_many_staff_services")
    ]


def test_an_oversized_draft_is_refused_and_nothing_is_saved(engine, session_id, monkeypatch):
    assert MAX_DRAFT_BYTES == 16 * 2**20
    monkeypatch.setattr(steps_module, "MAX_DRAFT_BYTES", 2**20 // 10)  # 0.1 MiB for the test
    # 500 locations with long addresses: about 0.1 MiB of draft.
    locations = [
        {"name": f"Sucursal {i}", "address": "Av. Colón " + "9" * 180, "province": "Córdoba"}
        | {"city": "Córdoba"}
        for i in range(500)
    ]
    before = fingerprint(engine)
    with pytest.raises(StepValidationError) as caught:
        run_command(engine, SubmitStep(session_id, "locations", locations, locale="en"))
    assert_unchanged(engine, before)
    assert [e.code for e in caught.value.errors] == ["draft_too_large"]
    assert caught.value.errors[0].message == (
        "The onboarding data would take 0.1 MB; the limit is 0.1 MB. Import the chain in parts."
    )


# ----------------------------------------------------------------------------- the wizard


def test_a_formula_trade_name_is_refused_by_the_business_step(engine):
    sid = run_command(engine, StartOnboarding())
    business = dict(clean_steps()["business"], trade_name='=HYPERLINK("http://x","y")')
    before = fingerprint(engine)
    with pytest.raises(StepValidationError) as caught:
        run_command(engine, SubmitStep(sid, "business", business, locale="en"))
    assert_unchanged(engine, before)
    assert [(e.field, e.code) for e in caught.value.errors] == [("trade_name", "text_formula")]
    assert caught.value.errors[0].message.startswith("Text cannot start like a spreadsheet")


@pytest.mark.parametrize("name", ["+54 9 11 2345-6789", "-5", "Corte + barba", "@cmd", "=1+1"])
def test_the_wizard_and_the_import_share_one_formula_rule(name):
    from core.validation import looks_like_formula

    business = dict(clean_steps()["business"], trade_name=name)
    try:
        validate_step("business", business, {}, locale="en")
        refused = False
    except StepValidationError:
        refused = True
    assert refused is looks_like_formula(name)
