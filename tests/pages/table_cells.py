"""What a reader sees in the cells of a rendered st.dataframe, and what is wrong with it.

A cell shows the page's text (a Styler's display value) when there is one and its
column sets no Streamlit format; otherwise Streamlit draws the raw value itself, which
follows neither the console's language nor its units. The scan finds:

- numbers, dates and times Streamlit draws itself (no console text over them);
- console text whose numbers are not written the locale's way (``1147648000``,
  ``93.94`` in Spanish, ``2026-06`` as a month);
- stored codes (core.labels) and ``None``/``nan`` as text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from core.labels import stored_codes

# Columns Streamlit draws as widgets (bars, links, boxes), not as text.
DRAWN = {"progress", "link", "checkbox", "line_chart", "bar_chart", "area_chart", "image", "list"}
# Identifiers shown on purpose: the Definitions page lists each metric's key, which the
# API takes, so a key may read like a code ("activated"); the data-quality checks name
# the database table an engineer would query ("staff").
IDENTIFIER_COLUMNS = frozenset({"key", "table_name"})
# Whole numbers that identify (a row, a version, a line) are written without separators.
ID_COLUMN = re.compile(r"^(id|#|version|line|year|attempts?)$|_id$")
NUMBER = {
    "es_AR": re.compile(r"^\d{1,3}(\.\d{3})*(,\d+)?$"),
    "en": re.compile(r"^\d{1,3}(,\d{3})*(\.\d+)?$"),
}
# Dates and times as the console writes them (core.formatting), removed before the
# numbers are checked: 04/03/2025, 2025-03-04 (en), 09:03(:04), "jun 2026".
DATES = {
    "es_AR": re.compile(r"\d{2}/\d{2}/\d{4}|\d{2}:\d{2}(:\d{2})?|[a-zé]{3,4}\.? \d{4}"),
    "en": re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}(:\d{2})?|[A-Z][a-z]{2} \d{4}"),
}
NUMBER_TOKEN = re.compile(r"\d[\d.,]*\d|\d")
ISO_CODE_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
CODES = frozenset().union(*stored_codes().values()) | {"all", "None", "nan", "NaN", "NaT"}


@dataclass(frozen=True)
class Problem:
    column: str
    cell: str
    why: str


def _frame(data: bytes) -> pd.DataFrame:
    if not data:
        return pd.DataFrame()
    return pa.ipc.open_stream(data).read_all().to_pandas()


def badly_written(text: str, locale: str) -> str | None:
    """Why ``text`` is not a number, date or time written the ``locale`` way (None: fine)."""
    rest = DATES[locale].sub(" ", text)
    for token in NUMBER_TOKEN.findall(rest):
        if not NUMBER[locale].match(token):
            return f"{token!r} is not written the {locale} way"
    return None


def table_problems(proto: object, locale: str) -> list[Problem]:
    """Every problem of one AppTest dataframe element's proto (module docstring)."""
    if proto.editing_mode != proto.EditingMode.READ_ONLY:  # type: ignore[attr-defined]
        # An editable grid (the CPI table, the wizard's) holds numbers a user types;
        # Streamlit edits them itself, so they cannot carry the console's text.
        return []
    arrow = proto.arrow_data  # type: ignore[attr-defined]
    raw = _frame(arrow.data)
    shown = _frame(arrow.styler.display_values) if arrow.HasField("styler") else None
    config = json.loads(proto.columns or "{}")  # type: ignore[attr-defined]
    problems: list[Problem] = []
    for position, name in enumerate(raw.columns):
        column = str(name)
        type_config = (config.get(column) or {}).get("type_config") or {}
        if type_config.get("type") in DRAWN or (config.get(column) or {}).get("hidden"):
            continue
        if column in IDENTIFIER_COLUMNS:
            continue
        values = raw[name]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        temporal = pd.api.types.is_datetime64_any_dtype(values)
        console_text = shown is not None and not type_config.get("format")
        for row, value in enumerate(values.tolist()):
            if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
                continue
            text = str(shown.iat[row, position]) if console_text else None  # type: ignore[union-attr]
            if numeric or temporal:
                if text is None:
                    problems.append(Problem(column, str(value), "drawn by Streamlit"))
                elif ID_COLUMN.search(column) and text.isdigit():
                    continue
                elif why := badly_written(text, locale):
                    problems.append(Problem(column, text, why))
                continue
            seen = text if text is not None else str(value)
            if seen in CODES:
                problems.append(Problem(column, seen, "a stored code"))
            elif ISO_CODE_DATE.match(seen) and locale != "en":
                problems.append(Problem(column, seen, "an ISO date"))
    return problems
