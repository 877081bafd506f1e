"""Enterprise import: locations, services and staff of a chain from CSV or XLSX files.

Each file is checked whole before anything is saved: size (before parsing), format, an
.xlsx's zip directory (before decompressing: ``core.security.uploads``), encoding, line,
cell and row bounds, columns, formulas, then every row through the same validators as
the wizard's steps. A file no parser can read gets one file-level message, never a
traceback. The result is either a report of every problem (file, row, column, message; rows
numbered as the spreadsheet shows them, header = row 1) or the draft's locations, hours,
services and staff replaced in one transaction. Nothing is saved unless every row of
every file is valid.

Formats: CSV in UTF-8 (``,`` or ``;`` separated, as Excel in Spanish writes it) or an
Excel workbook (.xlsx: the sheet named like the file's kind, else the first sheet).
Numbers in CSV may use Argentine separators (``12.000,50``). Hours are written as
``09:00-13:00, 14:00-20:00`` (empty = closed). A staff member's services are separated
by ``;``, or ``*`` for all of them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.clock import now
from core.commands import Actor
from core.errors import DomainError
from core.i18n import N_
from core.security.uploads import (
    MAX_FIELD_CHARS,
    MAX_UPLOAD_BYTES,
    PARSER_ERRORS,
    XLSX_BROKEN,
    UploadError,
    check_xlsx_archive,
    read_csv_rows,
)
from core.validation import looks_like_formula
from core.workflows.onboarding.drafts import (
    _enter,
    completed_steps,
    get_session,
    open_session,
    reachable_steps,
    reset_verification,
)
from core.workflows.onboarding.messages import message
from core.workflows.onboarding.steps import (
    MAX_STAFF_SERVICES,
    STEPS,
    StepValidationError,
    validate_step,
)

__all__ = ["MAX_UPLOAD_BYTES", "looks_like_formula"]  # re-exported: the page and tests use them
MAX_ROWS = 50_000
KINDS = ("locations", "services", "staff")
WEEKDAY_COLUMNS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
COLUMNS: dict[str, tuple[str, ...]] = {
    "locations": ("name", "address", "province", "city", *WEEKDAY_COLUMNS),
    "services": ("name", "category", "duration_min", "price_ars"),
    "staff": ("name", "location", "role", "services", *WEEKDAY_COLUMNS),
}
EXAMPLES: dict[str, list[tuple[str, ...]]] = {
    "locations": [
        ("Centro", "San Martín 120", "Córdoba", "Córdoba", *["09:00-20:00"] * 6, ""),
        (
            "Nueva Córdoba",
            "Obispo Trejo 900",
            "Córdoba",
            "Córdoba",
            *["10:00-14:00, 15:00-20:00"] * 5,
            "10:00-14:00",
            "",
        ),
    ],
    "services": [
        ("Corte clásico", "corte", "30", "12000"),
        ("Corte + barba", "corte", "45", "17000"),
    ],
    "staff": [
        ("Juan Pérez", "Centro", "barbero", "*", *["10:00-19:00"] * 5, "", ""),
        (
            "Sofía Díaz",
            "Nueva Córdoba",
            "barbero",
            "Corte clásico; Corte + barba",
            "",
            *["10:00-19:00"] * 5,
            "",
        ),
    ],
}
# Which column a validator's field points at, per file.
_FIELD_COLUMN = {
    "opening_hours": "mon–sun",
    "working_hours": "mon–sun",
    "duration": "duration_min",
    "price": "price_ars",
    "staff": "services",
    "locations": "name",
}
_SHIFT = re.compile(r"\s*(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})\s*")


@dataclass(frozen=True)
class RowError:
    file: str
    row: int | None  # spreadsheet row (header = 1); None for the whole file
    column: str
    message: str


class ImportRejectedError(DomainError):
    """The upload has problems; nothing was saved (``errors``: one per row and column)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("import_rejected", N_("{n} problem(s) in the upload"), {"n": len(errors)})
        self.errors = errors


@dataclass(frozen=True)
class ImportSummary:
    locations: int
    services: int
    staff: int


# ----------------------------------------------------------------------------- reading


def _reject(
    kind: str, code: str, locale: str, column: str = "", row: int | None = None, **params: Any
) -> ImportRejectedError:
    return ImportRejectedError([RowError(kind, row, column, message(code, locale, **params))])


def _csv_rows(kind: str, data: bytes, locale: str) -> list[list[str]]:
    if b"\x00" in data:  # UTF-16 or a binary file
        raise _reject(kind, "import_encoding", locale)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _reject(kind, "import_encoding", locale) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return read_csv_rows(text, delimiter=delimiter, max_rows=MAX_ROWS + 1)


def _xlsx_rows(kind: str, data: bytes, locale: str) -> tuple[list[list[str]], list[RowError]]:
    check_xlsx_archive(data)  # before openpyxl decompresses anything
    try:
        return _read_sheet(kind, data, locale)
    except (UploadError, ImportRejectedError):
        raise
    except PARSER_ERRORS:  # a damaged or cut-short workbook, whatever the parser says
        raise UploadError(XLSX_BROKEN) from None


def _read_sheet(kind: str, data: bytes, locale: str) -> tuple[list[list[str]], list[RowError]]:
    from openpyxl import load_workbook  # imported here: only uploads need it
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    # A few columns past the template's show a stray one; a sheet declaring column XFD
    # in every row must not become 16,384 cells a row.
    width = len(COLUMNS[kind]) + 8
    try:
        sheet = workbook[kind] if kind in workbook.sheetnames else workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):  # the declared size is the file's word only
            sheet.reset_dimensions()
        rows: list[list[str]] = []
        formulas: list[tuple[int, int]] = []
        errors: list[RowError] = []
        for r, cells in enumerate(sheet.iter_rows(max_col=width, values_only=True), start=1):
            if r > MAX_ROWS + 1:
                raise _reject(kind, "import_too_many_rows", locale, max=MAX_ROWS)
            values = []
            for c, value in enumerate(cells, start=1):
                if isinstance(value, ArrayFormula | DataTableFormula) or (
                    isinstance(value, str) and value.startswith("=")
                ):
                    formulas.append((r, c))
                    value = ""
                text = _cell_text(value)
                if len(text) > MAX_FIELD_CHARS:
                    raise UploadError(
                        N_("A cell has more than {max} characters."), r, max=MAX_FIELD_CHARS
                    )
                values.append(text)
            while values and not values[-1]:
                values.pop()
            rows.append(values)
    finally:
        workbook.close()
    header = [v.strip().lower() for v in rows[0]] if rows else []
    errors += [
        RowError(
            kind,
            r,
            header[c - 1] if c - 1 < len(header) else str(c),
            message("import_formula", locale),
        )
        for r, c in formulas
    ]
    return rows, errors


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime):
        return value.strftime("%H:%M") if value.date().year < 1901 else value.isoformat()
    return str(value)


def read_table(
    kind: str, filename: str, data: bytes, *, locale: str = "es_AR"
) -> list[tuple[int, dict[str, str]]]:
    """The data rows of one upload as ``(spreadsheet row, {column: text})``.

    Raises ImportRejectedError for a file that cannot be read as the template says.
    """
    if len(data) > MAX_UPLOAD_BYTES:  # before parsing anything
        size = f"{len(data) / 2**20:.1f}"
        raise _reject(kind, "import_too_large", locale, size=size, limit=MAX_UPLOAD_BYTES // 2**20)
    if not data.strip():
        raise _reject(kind, "import_empty", locale)
    is_zip = data[:4] == b"PK\x03\x04"
    errors: list[RowError] = []
    try:
        if is_zip:
            rows, errors = _xlsx_rows(kind, data, locale)
        elif (
            filename.lower().endswith((".xlsx", ".xls", ".xlsm")) or data[:4] == b"\xd0\xcf\x11\xe0"
        ):
            raise _reject(kind, "import_format", locale)
        else:
            rows = _csv_rows(kind, data, locale)
    except UploadError as exc:
        raise ImportRejectedError([RowError(kind, exc.row, "", exc.text(locale))]) from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise _reject(kind, "import_empty", locale)
    if len(rows) > MAX_ROWS + 1:
        raise _reject(kind, "import_too_many_rows", locale, max=MAX_ROWS)
    header = [cell.strip().lstrip("\ufeff").lower() for cell in rows[0]]
    while header and not header[-1]:
        header.pop()
    expected = COLUMNS[kind]
    errors += [
        RowError(kind, 1, c, message("import_missing_column", locale, column=c))
        for c in expected
        if c not in header
    ]
    errors += [
        RowError(kind, 1, c, message("import_unknown_column", locale, column=c))
        for c in header
        if c not in expected
    ]
    if errors and any(e.row == 1 for e in errors):
        raise ImportRejectedError(errors)
    if len(rows) == 1:
        raise _reject(kind, "import_no_rows", locale)
    table = []
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            errors.append(
                RowError(
                    kind,
                    number,
                    "",
                    message("import_ragged_row", locale, count=len(cells), expected=len(header)),
                )
            )
            continue
        record = {
            name: (cells[i] if i < len(cells) else "").strip() for i, name in enumerate(header)
        }
        for name, value in record.items():
            if looks_like_formula(value):
                errors.append(RowError(kind, number, name, message("import_formula", locale)))
        table.append((number, record))
    if errors:
        raise ImportRejectedError(errors)
    return table


# ----------------------------------------------------------------------------- building


def parse_number(text: str) -> float | None:
    """``12000``, ``12000.5``, ``12.000`` (thousands), ``12.000,50``, ``12,5``; else None."""
    value = text.strip().replace(" ", "").replace("$", "")
    if "," in value and "." in value:
        decimal = "," if value.rfind(",") > value.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        value = value.replace(thousands, "").replace(decimal, ".")
    elif "," in value:
        value = value.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", value):
        value = value.replace(".", "")
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def parse_week(record: Mapping[str, str]) -> dict[str, list[list[str]]] | None:
    """A week of shifts from the seven weekday columns; None if a cell is not ``HH:MM-HH:MM``."""
    week: dict[str, list[list[str]]] = {}
    for day, column in enumerate(WEEKDAY_COLUMNS):
        text = record.get(column, "").strip()
        shifts = []
        if text:
            for part in text.split(","):
                match = _SHIFT.fullmatch(part)
                if match is None:
                    return None
                shifts.append([match.group(1), match.group(2)])
        week[str(day)] = shifts
    return week


def _bad_week_cells(
    kind: str, number: int, record: Mapping[str, str], locale: str
) -> list[RowError]:
    errors = []
    for column in WEEKDAY_COLUMNS:
        if parse_week({column: record.get(column, "")}) is None:
            errors.append(
                RowError(
                    kind, number, column, message("import_hours", locale, value=record[column][:30])
                )
            )
    return errors


def _payloads(
    tables: Mapping[str, list[tuple[int, dict[str, str]]]], draft: Mapping[str, Any], locale: str
):
    errors: list[RowError] = []
    payload: dict[str, Any] = {}
    if "locations" in tables:
        payload["locations"], payload["hours"] = [], {}
        for number, rec in tables["locations"]:
            payload["locations"].append(
                {k: rec.get(k, "") for k in ("name", "address", "province", "city")}
            )
            week = parse_week(rec)
            if week is None:
                errors += _bad_week_cells("locations", number, rec, locale)
            payload["hours"][rec.get("name", "")] = week or {}
    if "services" in tables:
        payload["services"] = []
        for number, rec in tables["services"]:
            item: dict[str, Any] = {
                "name": rec.get("name", ""),
                "category": rec.get("category", ""),
            }
            for column in ("duration_min", "price_ars"):
                value = parse_number(rec.get(column, ""))
                if value is None and rec.get(column, "").strip():
                    errors.append(
                        RowError(
                            "services",
                            number,
                            column,
                            message("import_number", locale, value=rec[column][:30]),
                        )
                    )
                item[column] = (
                    int(value)
                    if column == "duration_min" and value is not None and value.is_integer()
                    else value
                )
            payload["services"].append(item)
    services = payload.get("services", draft.get("services") or [])
    all_services = [s["name"] for s in services]
    if "staff" in tables:
        payload["staff"] = []
        pairs = 0
        for number, rec in tables["staff"]:
            named = rec.get("services", "").strip()
            performed = (
                all_services
                if named == "*"
                else [s.strip() for s in re.split(r"[;|]", named) if s.strip()]
            )
            pairs += len(performed)
            if pairs > MAX_STAFF_SERVICES:  # "*" x thousands of people: stop expanding here
                raise ImportRejectedError(
                    [
                        RowError(
                            "staff",
                            number,
                            "services",
                            message("too_many_staff_services", locale, max=MAX_STAFF_SERVICES),
                        )
                    ]
                )
            week = parse_week(rec)
            if week is None:
                errors += _bad_week_cells("staff", number, rec, locale)
            payload["staff"].append(
                {
                    "name": rec.get("name", ""),
                    "location": rec.get("location", ""),
                    "role": rec.get("role", ""),
                    "services": performed,
                    "hours": week or {},
                }
            )
    return payload, errors


def _validate(
    payload: dict[str, Any],
    tables: Mapping[str, list[tuple[int, dict[str, str]]]],
    draft: Mapping[str, Any],
    locale: str,
) -> tuple[dict[str, Any], list[RowError]]:
    """Run the wizard's validators in step order over the imported data."""
    merged = dict(draft)
    steps = {}
    errors: list[RowError] = []
    files = {
        "locations": "locations",
        "hours": "locations",
        "services": "services",
        "staff": "staff",
    }
    for step in ("locations", "hours", "services", "staff"):
        source = payload.get(step, merged.get(step))
        try:
            result = validate_step(step, source, merged, locale=locale)
        except StepValidationError as exc:
            kind = files[step]
            numbers = [n for n, _ in tables.get(kind, [])]
            for e in exc.errors:
                row = numbers[e.row] if e.row is not None and e.row < len(numbers) else None
                errors.append(RowError(kind, row, _FIELD_COLUMN.get(e.field, e.field), e.message))
            continue
        merged[step] = result.data
        steps[step] = result.data
    return steps, errors


def check_upload(
    files: Mapping[str, tuple[str, bytes]], draft: Mapping[str, Any], *, locale: str = "es_AR"
) -> dict[str, Any]:
    """Every check of an upload, without saving: the validated step data, or ImportRejectedError."""
    errors: list[RowError] = []
    tables = {}
    for kind in KINDS:
        if kind not in files:
            continue
        filename, data = files[kind]
        try:
            tables[kind] = read_table(kind, filename, data, locale=locale)
        except ImportRejectedError as exc:
            errors += exc.errors
    if errors:
        raise ImportRejectedError(errors)
    payload, errors = _payloads(tables, draft, locale)
    steps, more = _validate(payload, tables, draft, locale)  # the draft's size too
    errors += more
    if errors:
        errors.sort(key=lambda e: (KINDS.index(e.file), e.row or 0))
        raise ImportRejectedError(errors)
    return steps


@dataclass
class ImportFiles:
    """Check the upload and, only if every row is valid, save it into the draft (one
    transaction). ``files`` maps a kind (locations, services, staff) to (name, bytes)."""

    required_capability = Capability.RUN_ONBOARDING

    session_id: int
    files: Mapping[str, tuple[str, bytes]]
    locale: str = "es_AR"
    at: datetime | None = None
    # The session's version the wizard read when the upload began: an import that
    # started before another window saved a step is refused, never writes over it.
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        open_session(session, self.session_id, self.locale, expected_version=self.expected_version)

    def run(self, *, session: Session, actor: Actor) -> ImportSummary:
        at = self.at or now()
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        draft = dict(row.draft or {})
        steps = check_upload(self.files, draft, locale=self.locale)
        draft.update(steps)
        done = set(completed_steps(draft)) | set(steps)
        draft["completed"] = [s for s in STEPS if s in done]
        reset_verification(row, draft)
        row.draft = draft
        row.updated_at = at
        reachable = reachable_steps(row)
        first_open = next((s for s in reachable if s not in done), reachable[-1])
        if STEPS.index(row.current_step) < STEPS.index(first_open) and row.current_step in steps:
            _enter(session, row, first_open, at)
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="onboarding.import",
            entity="onboarding_session",
            entity_id=row.id,
            after={"files": {kind: name for kind, (name, _data) in self.files.items()}},
        )
        return ImportSummary(
            locations=len(draft.get("locations") or []),
            services=len(draft.get("services") or []),
            staff=len(draft.get("staff") or []),
        )


# ----------------------------------------------------------------------------- templates


def template_csv(kind: str) -> bytes:
    """The expected columns of ``kind`` and two example rows, as UTF-8 CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS[kind])
    writer.writerows(EXAMPLES[kind])
    return out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """One workbook with a sheet per kind, each with its columns and two example rows."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for kind in KINDS:
        sheet = workbook.create_sheet(kind)
        sheet.append(list(COLUMNS[kind]))
        for example in EXAMPLES[kind]:
            sheet.append(list(example))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
