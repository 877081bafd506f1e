"""parse_id, csv_safe and markdown_safe with the inputs of issue 15."""

from __future__ import annotations

import csv
import io
import re

import markdown_it
import pytest

from core.security import csv_safe, markdown_safe, parse_id


@pytest.mark.parametrize(
    "value",
    ["²", "٣", "1" * 25, "9" * 13, "", " ", "-1", "0", "1.0", "1e3", "0x10", "+5", None, True],
)
def test_parse_id_refuses_what_is_not_an_ascii_id(value):
    assert parse_id(value) is None


@pytest.mark.parametrize(("value", "expected"), [("42", 42), (" 7 ", 7), ("9" * 12, 10**12 - 1)])
def test_parse_id_reads_ascii_digits(value, expected):
    assert parse_id(value) == expected


def test_parse_id_bound_is_configurable():
    assert parse_id("12345", max_digits=4) is None
    assert parse_id("1234", max_digits=4) == 1234


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x","y")', "+54 11 5555", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_csv_safe_quotes_formula_starts(cell):
    assert csv_safe(cell) == "'" + cell
    # A spreadsheet reading the CSV sees text starting with the quote, not a formula.
    rows = list(csv.reader(io.StringIO(f'"{csv_safe(cell).replace(chr(34), chr(34) * 2)}"\n')))
    assert rows[0][0].startswith("'")


@pytest.mark.parametrize("value", [-3, 2.5, None, "Peluquería Ana", "a=b"])
def test_csv_safe_leaves_numbers_and_plain_text(value):
    assert csv_safe(value) == value


def _rendered(markdown: str) -> str:
    # CommonMark with GFM tables, strikethrough and bare-URL links (linkify), close to what
    # st.markdown renders; the browser test of bad links checks Streamlit's own renderer.
    parser = markdown_it.MarkdownIt("commonmark", {"linkify": True})
    return parser.enable(["table", "strikethrough", "linkify"]).render(markdown)


@pytest.mark.parametrize(
    "text",
    [
        "![pixel](https://evil.example/track.png)",
        "[click here](https://evil.example)",
        "<img src=x onerror=alert(1)>",
        "<https://evil.example>",
        "# Heading",
        "- a list\n- item",
        "**bold** _it_ `code` ~~x~~ | a | b |",
        "1. first",
        ":material/home: :smile:",
        "$x^2$",
        "https://evil.example/path",
        "www.evil.example",
        "ana@evil.example",
    ],
)
def test_markdown_safe_shows_text_as_itself(text):
    html = _rendered(markdown_safe(text))
    for tag in ("<a ", "<img", "<h1", "<ul", "<ol", "<strong", "<em", "<code", "<del", "<table"):
        assert tag not in html, (text, html)
    # Every visible character of the (whitespace-collapsed) text survives.
    visible = " ".join(text.split())
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        visible = visible.replace(raw, entity)
    assert visible in html.replace("\u2060", "")
    # GitHub's autolinks run on the parsed text, escapes or not (remark-gfm): none of
    # their triggers may survive in it.
    text_only = re.sub(r"<[^>]+>", "", html)
    assert not re.search(r"(?i)(https?://|www\.\w|\w@\w|[a-z]+:[a-z/])", text_only), text_only


def test_markdown_safe_cuts_long_text():
    assert markdown_safe("abcdef", max_length=4) == "abc…"
