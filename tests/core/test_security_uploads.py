"""core.security.uploads on its own: zip directories and CSV bounds."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from core.security.uploads import (
    MAX_XLSX_RATIO,
    XLSX_BROKEN,
    UploadError,
    check_xlsx_archive,
    read_csv_rows,
)


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return out.getvalue()


def test_zip_directory_bounds():
    check_xlsx_archive(_zip({"a.xml": b"<a/>" * 1000}))  # tiny entries pass, whatever the ratio
    with pytest.raises(UploadError) as caught:
        check_xlsx_archive(_zip({"big.xml": b"\0" * (2 * 2**20)}))
    assert "times its compressed size" in str(caught.value)
    assert caught.value.row is None
    assert MAX_XLSX_RATIO == 200
    with pytest.raises(UploadError, match="has 1001 parts"):
        check_xlsx_archive(_zip({f"{i}.xml": b"" for i in range(1001)}))
    with pytest.raises(UploadError) as caught:
        check_xlsx_archive(b"PK\x03\x04not a zip")
    assert caught.value.msgid == XLSX_BROKEN


def test_csv_reading_leaves_the_process_wide_limit_alone():
    limit = csv.field_size_limit()
    with pytest.raises(UploadError):
        read_csv_rows('a\n"' + "x" * 200_000 + '"\n', delimiter=",", max_rows=10)
    assert csv.field_size_limit() == limit


def test_csv_rows_are_counted_and_cells_bounded():
    assert read_csv_rows("a;b\n1;2\n", delimiter=";", max_rows=2) == [["a", "b"], ["1", "2"]]
    with pytest.raises(UploadError, match="more than 1 rows"):
        read_csv_rows("a\n1\n2\n", delimiter=",", max_rows=2)
    with pytest.raises(UploadError, match="has 65 cells") as caught:
        read_csv_rows("a\n" + "," * 64 + "\n", delimiter=",", max_rows=5)
    assert caught.value.row == 2
