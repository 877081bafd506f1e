"""Table cells in the console's language: each column's unit, and its cells as text.

Every table of the console (ui.render.show_table) formats its cells here, with the same
formatters as the KPI tiles (core.formatting through ``tiles.format_value``), so a peso
reads ``$ 1.147.648.000`` in a table and ``$ 1.148 M`` on a tile, never ``1147648000``.

The choice, for sorting: a cell's text is a *display value* over the number it shows
(a pandas Styler), so a click on a column header still sorts by the number. Streamlit's
own ``format="localized"`` would follow the browser's locale, not the console's language,
and printf formats cannot write ``1.234,5``.

A column's format comes from, in order: what the page says (``units=``); the column's
name (a registry metric, ``*_ars``, ``*_id``); the printf hint of its Streamlit column
(``"%d"``, ``"percent"``, ``"DD/MM/YYYY"``); its dtype. Text columns holding stored codes
read their labels (core.labels). Pure: no Streamlit, no SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from babel.dates import format_date as babel_format_date

from core import formatting as fmt
from core.labels import ALL_CODE, code_label, kind_of
from core.metrics.registry import METRICS
from dashboards.kit.tiles import DIGITS, format_value

# Units a table column may have beyond the tiles' (dashboards/kit/tiles.py UNITS).
TABLE_ONLY_UNITS = frozenset(
    {"change", "signed", "date", "datetime", "datetime_seconds", "month", "id", "label", "text"}
)
NUMBER_UNITS = frozenset({"ars", "ratio", "change", "signed", "count", "number", "id"}) | set(
    DIGITS
)
# Column names whose whole numbers are identifiers, shown without thousand separators.
ID_NAMES = frozenset({"id", "version", "line", "year", "attempt", "attempts", "#"})
MONEY_NAMES = frozenset({"mrr", "arr", "gmv", "amount", "price", "ltv", "cac", "revenue"})
_ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DIGITS_HINT = re.compile(r"^%[+]?\.(\d)f$")
_TEXT_MISSING = frozenset({"", "None", "nan", "NaN", "NaT", "<NA>"})


@dataclass(frozen=True)
class ColumnFormat:
    """How one column's cells read: a unit, the decimals of a plain number (None: up to
    three, trailing zeros dropped) and, for ``label``, the kind of code."""

    unit: str
    digits: int | None = 0
    kind: str | None = None


def _hint(config: Any) -> tuple[str | None, str | None]:
    """(column type, format) of a Streamlit column config (a dict), when it has them."""
    if not isinstance(config, Mapping):
        return None, None
    type_config = config.get("type_config") or {}
    return type_config.get("type"), type_config.get("format")


def _from_hint(kind: str | None, hint: str | None) -> ColumnFormat | None:
    if kind in ("datetime", "date") and hint:
        if "mm:ss" in hint:
            return ColumnFormat("datetime_seconds")
        if "HH" in hint:
            return ColumnFormat("datetime")
        return ColumnFormat("month") if hint.startswith("MM") else ColumnFormat("date")
    if kind != "number" or not hint:
        return None
    if hint == "percent":
        return ColumnFormat("ratio")
    if hint in ("dollar", "accounting") or hint.startswith("$"):
        return ColumnFormat("ars")
    if hint in ("%d", "%i"):
        return ColumnFormat("count")
    digits = _DIGITS_HINT.match(hint)
    if digits:
        unit = "signed" if hint.startswith("%+") else "number"
        return ColumnFormat(unit, int(digits.group(1)))
    return ColumnFormat("number", None)  # %g, %.3g: a measured value, its own precision


def _from_name(name: str) -> ColumnFormat | None:
    lowered = name.lower()
    if lowered in ID_NAMES or lowered.endswith("_id"):
        return ColumnFormat("id")
    metric = METRICS.get(name)
    if metric is not None and metric.unit != "text":
        return ColumnFormat(metric.unit, DIGITS.get(metric.unit, 0))
    if lowered.endswith("_ars") or lowered in MONEY_NAMES:
        return ColumnFormat("ars")
    return None


def _from_values(series: pd.Series) -> ColumnFormat | None:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None  # a checkbox, drawn by Streamlit
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnFormat("datetime")
    if pd.api.types.is_integer_dtype(dtype):
        return ColumnFormat("count")
    if pd.api.types.is_float_dtype(dtype):
        whole = series.dropna()
        return (
            ColumnFormat("count") if (whole == whole.round()).all() else ColumnFormat("number", 1)
        )
    values = [v for v in series.head(200).tolist() if not _is_missing(v)]
    if not values:
        return None
    if all(isinstance(v, datetime | pd.Timestamp) for v in values):
        return ColumnFormat("datetime")
    if all(isinstance(v, date) for v in values):
        return ColumnFormat("date")
    if all(isinstance(v, str) for v in values):
        dated = [v for v in values if v != ALL_CODE] or ["-"]
        if all(_ISO_MONTH.match(v) for v in dated):
            return ColumnFormat("month")
        if all(_ISO_DAY.match(v) for v in dated):
            return ColumnFormat("date")
        kind = kind_of(str(series.name), series.dropna().unique())
        if kind is not None:
            return ColumnFormat("label", kind=kind)
    return None


def column_format(
    name: str, series: pd.Series, config: Any = None, unit: str | None = None
) -> ColumnFormat | None:
    """The format of one column (module docstring's order); None: shown as it is (links,
    checkboxes, progress bars, free text)."""
    kind, hint = _hint(config)
    if kind not in (None, "number", "datetime", "date", "text"):
        return None  # links, checkboxes, progress bars and charts draw themselves
    if unit is not None:
        return ColumnFormat(unit, DIGITS.get(unit, 0))
    hinted = _from_hint(kind, hint)
    if _is_text(series):
        # Text a builder already wrote ("$ 2.289", "12,3 % *"), codes, or ISO dates.
        found = _from_values(series)
        dated = found is not None and found.unit in ("date", "datetime")
        return hinted if dated and hinted is not None else found
    named = _from_name(name)  # a money column with a "%.0f" hint is still money
    if named is not None:
        return named
    if hinted is not None:
        return hinted
    return _from_values(series)


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return isinstance(value, str) and value in _TEXT_MISSING


def _as_datetime(value: Any) -> datetime | date:
    if isinstance(value, str):
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).to_pydatetime()
    return value  # type: ignore[no-any-return]


def cell_text(column: ColumnFormat, value: Any, *, locale: str) -> str:
    """One cell as the console shows it in ``locale``; a missing value is a dash."""
    if _is_missing(value):
        return fmt.MISSING
    unit = column.unit
    if value == ALL_CODE:
        return code_label("any", value, locale)
    if unit == "label":
        return code_label(column.kind or "", value, locale)
    if unit == "text":
        return str(value)
    if unit in ("date", "datetime", "datetime_seconds", "month"):
        moment = _as_datetime(value)
        if unit == "month":
            return babel_format_date(moment, "MMM yyyy", locale=locale)
        day = fmt.format_date(moment, locale=locale)
        if unit == "date" or not isinstance(moment, datetime):
            return day
        return f"{day} {moment.strftime('%H:%M:%S' if unit == 'datetime_seconds' else '%H:%M')}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)  # text in a number column: shown as it is, never a traceback
    if unit == "id":
        return str(int(number)) if number == int(number) else str(value)
    if unit == "change":
        return fmt.format_signed_percent(number, locale=locale)
    if unit == "signed":
        text = fmt.format_number(abs(number), digits=column.digits or 0, locale=locale)
        return ("+" if number >= 0 else "-") + text
    if unit == "number":
        if column.digits is None:  # a fitted value (an α, a β): 3 significant digits
            whole = len(str(int(abs(number)))) if abs(number) >= 1 else 0
            return fmt.format_measure(number, max_digits=max(0, 3 - whole), locale=locale)
        return fmt.format_number(number, digits=column.digits, locale=locale)
    return format_value(unit, number, locale=locale, compact=False)


def table_formats(
    frame: pd.DataFrame,
    *,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    configs: Mapping[str, Any] | None = None,
) -> dict[str, ColumnFormat]:
    """Every column of ``frame`` that the console formats, with its format.

    ``units`` names a column's unit (``ars``, ``ratio``, ``change``, ``count``, ``date``...)
    and ``labels`` the kind of code a text column holds (core.labels.LABELS), where the
    name and the data cannot tell.
    """
    units = units or {}
    labels = labels or {}
    configs = configs or {}
    formats: dict[str, ColumnFormat] = {}
    for name in frame.columns:
        key = str(name)
        if key in labels:
            formats[key] = ColumnFormat("label", kind=labels[key])
            continue
        found = column_format(key, frame[name], configs.get(key), units.get(key))
        if found is not None:
            formats[key] = found
    return formats


def cell_formatters(
    formats: Mapping[str, ColumnFormat], *, locale: str
) -> dict[str, Callable[[Any], str]]:
    """column -> the function turning its cells into text (what a Styler's format takes)."""
    return {
        name: (lambda value, column=column: cell_text(column, value, locale=locale))
        for name, column in formats.items()
    }


def formatted(
    frame: pd.DataFrame, formats: Mapping[str, ColumnFormat], *, locale: str
) -> pd.DataFrame:
    """``frame`` with its formatted columns as text: what a reader sees, cell by cell."""
    shown = frame.copy()
    for name, function in cell_formatters(formats, locale=locale).items():
        shown[name] = [function(value) for value in frame[name].tolist()]
    return shown


# Pixels per character of the grid's 14 px font, and the cell's padding (measured on
# the console at 1440 px: "$ 1.147.648.000" needs about 125 px).
CHAR_PX = 7
PADDING_PX = 20
MAX_WIDTH_PX = 320


def column_widths(
    frame: pd.DataFrame,
    formats: Mapping[str, ColumnFormat],
    headers: Mapping[str, str],
    *,
    locale: str,
    sample: int = 2000,
) -> dict[str, int]:
    """Pixel widths that fit every formatted cell and its header, so no number is cut
    (Streamlit sizes a column from its first rows only)."""
    rows = frame.head(sample)
    widths: dict[str, int] = {}
    for name, function in cell_formatters(formats, locale=locale).items():
        longest = max((len(function(v)) for v in rows[name].tolist()), default=0)
        header = len(headers.get(name, name))
        widths[name] = min(MAX_WIDTH_PX, max(longest, header) * CHAR_PX + PADDING_PX)
    return widths
