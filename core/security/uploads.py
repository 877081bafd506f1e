"""Uploaded files, read within bounds: size, zip bombs, CSV fields and rows, parser errors.

Every upload (the onboarding import, the CPI table) goes through here before a parser
sees it, so a hostile or broken file costs a few MiB and gets one clear message:

- ``MAX_UPLOAD_MB``: the one upload limit; ``.streamlit/config.toml``'s
  ``server.maxUploadSize`` says the same (a test keeps them equal), so Streamlit itself
  refuses a larger file before the app reads a byte.
- ``check_xlsx_archive``: an .xlsx is a zip; its directory (entry sizes, compression
  ratios, total) is checked before anything is decompressed.
- ``read_csv_rows``: the rows of CSV text with bounded line, field and row counts,
  without touching ``csv.field_size_limit`` (process-wide).
- ``PARSER_ERRORS``: what a spreadsheet parser raises on a malformed file; callers turn
  it into one file-level message, never a traceback.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from core.errors import DomainError
from core.i18n import N_

MAX_UPLOAD_MB = 10
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20
# A real .xlsx of MAX_ROWS rows unzips to a few tens of MiB, its XML compressing 5-50x;
# a zip bomb is hundreds or thousands to one.
MAX_XLSX_ENTRY_BYTES = 64 * 2**20
MAX_XLSX_TOTAL_BYTES = 128 * 2**20
MAX_XLSX_RATIO = 200
MAX_XLSX_ENTRIES = 1_000
XLSX_BROKEN = N_(
    "The Excel workbook cannot be read: it is damaged or cut short. Open it in Excel, save it "
    "again as .xlsx and upload it."
)
_RATIO_FREE_BYTES = 2**20  # small entries cannot hurt, whatever their ratio
# No template column needs more; well below csv's own 128 KiB field limit.
MAX_FIELD_CHARS = 10_000
MAX_LINE_CHARS = 100_000
MAX_COLUMNS = 64

# What openpyxl (zipfile, zlib, expat/ElementTree, lxml when installed) and the values it
# converts raise on a malformed or truncated workbook.
PARSER_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    ParseError,
    ExpatError,
    EOFError,
    OSError,
    LookupError,  # KeyError, IndexError
    TypeError,
    AttributeError,
    ValueError,  # UnicodeDecodeError too
    ArithmeticError,  # OverflowError
    NotImplementedError,  # a zip version or compression method zipfile does not know
    RuntimeError,  # an encrypted entry
)
try:  # lxml's parse error is not a ParseError
    from lxml.etree import LxmlError

    PARSER_ERRORS += (LxmlError,)
except ImportError:  # pragma: no cover - lxml is optional for openpyxl
    pass


def upload_limit_problem(configured: object) -> str | None:
    """Why Streamlit's ``server.maxUploadSize`` (``configured``) is not the app's limit.

    A flag or ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE`` can override ``config.toml``; a larger
    value lets Streamlit buffer files the app then refuses, a smaller one refuses files the
    app accepts. None when they agree.
    """
    if configured == MAX_UPLOAD_MB:
        return None
    return (
        f"server.maxUploadSize must be {MAX_UPLOAD_MB} (MB, the app's upload limit, "
        f"core.security.uploads.MAX_UPLOAD_MB); it is {configured!r}"
    )


class UploadError(DomainError):
    """An upload refused before or while parsing; nothing was read into the database.

    Attributes
    ----------
    row
        The CSV record (header = 1) or sheet row at fault, or None for the whole file.
    """

    def __init__(self, msgid: str, row: int | None = None, **params: Any) -> None:
        super().__init__("upload_rejected", msgid, params)
        self.row = row


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an .xlsx whose zip directory promises too much, before decompressing it.

    Each entry's declared size and compression ratio, the number of entries and their
    total are bounded. The declared sizes are what ``zipfile`` enforces while reading
    (a lying entry fails its CRC check), so a workbook that passes cannot unzip to more
    than ``MAX_XLSX_TOTAL_BYTES``.

    Raises
    ------
    UploadError
        For a file that is not a zip, or one that unzips beyond the bounds.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except PARSER_ERRORS:
        raise UploadError(XLSX_BROKEN) from None
    if len(entries) > MAX_XLSX_ENTRIES:
        raise UploadError(
            N_("The Excel workbook has {n} parts; a workbook has at most {max}."),
            n=len(entries),
            max=MAX_XLSX_ENTRIES,
        )
    total = 0
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        too_big = entry.file_size > MAX_XLSX_ENTRY_BYTES
        if too_big or (entry.file_size > _RATIO_FREE_BYTES and ratio > MAX_XLSX_RATIO):
            raise UploadError(
                N_(
                    "The Excel workbook would unzip to {size} MB in {part} ({ratio:.0f} times its "
                    "compressed size); a real sheet is far smaller. Save it again as .xlsx or "
                    "export it as CSV."
                ),
                size=f"{entry.file_size / 2**20:.0f}",
                part=entry.filename[:60],
                ratio=ratio,
            )
        total += entry.file_size
    if total > MAX_XLSX_TOTAL_BYTES:
        raise UploadError(
            N_("The Excel workbook would unzip to {size} MB; the limit is {limit} MB."),
            size=f"{total / 2**20:.0f}",
            limit=MAX_XLSX_TOTAL_BYTES // 2**20,
        )


def read_csv_rows(
    text: str,
    *,
    delimiter: str,
    max_rows: int,
    max_field: int = MAX_FIELD_CHARS,
    max_line: int = MAX_LINE_CHARS,
) -> list[list[str]]:
    """The records of CSV ``text``, every one within bounds.

    Parameters
    ----------
    text
        The decoded file.
    delimiter
        ``,`` or ``;``.
    max_rows
        Records allowed, the header included.
    max_field, max_line
        Characters allowed in one cell and in one physical line.

    Returns
    -------
    list of list of str
        One list of cells per record.

    Raises
    ------
    UploadError
        For the first record at fault (``row``: its number, header = 1): a line or a cell
        too long, a malformed record (a NUL byte, a quote never closed), too many records.
    """
    rows: list[list[str]] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            if len(line) > max_line:
                raise UploadError(
                    N_("The row is longer than {max} characters."),
                    len(rows) + 1,
                    max=max_line,
                )
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        for record in reader:
            number = len(rows) + 1
            if number > max_rows:
                raise UploadError(N_("The file has more than {max} rows."), max=max_rows - 1)
            if len(record) > MAX_COLUMNS:
                raise UploadError(
                    N_("The row has {n} cells; at most {max} are read."),
                    number,
                    n=len(record),
                    max=MAX_COLUMNS,
                )
            if any(len(cell) > max_field for cell in record):
                raise UploadError(
                    N_("A cell has more than {max} characters."), number, max=max_field
                )
            rows.append(record)
    except csv.Error as exc:  # a field over csv's own limit, a NUL byte, a stray quote
        raise UploadError(
            N_(
                "The row cannot be read as CSV: a cell is too long, a quote is not closed "
                "or it holds a NUL character."
            ),
            len(rows) + 1,
        ) from exc
    return rows
