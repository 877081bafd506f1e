"""How every page draws charts, tables, tiles and downloads, so they look the same everywhere."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

from core.formatting import MISSING
from core.security import csv_safe
from dashboards.kit import tables
from ui.auth import current_scope
from ui.i18n import _, current_locale

if TYPE_CHECKING:
    from dashboards.filters import Filters
    from ui.live import LiveContext

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def show_figure(figure: go.Figure) -> None:
    """A plotly figure in the console's own template (dashboards/theme.py), not Streamlit's."""
    st.plotly_chart(figure, theme=None, config=PLOTLY_CONFIG)


def selectable_figure(figure: go.Figure, *, key: str) -> list[dict[str, Any]]:
    """A plotly figure whose clicked points rerun the page; returns the selected points."""
    event = st.plotly_chart(
        figure,
        theme=None,
        config=PLOTLY_CONFIG,
        on_select="rerun",
        selection_mode="points",
        key=key,
    )
    return list(getattr(getattr(event, "selection", None), "points", None) or [])


def in_scope(data: Any) -> Any:
    """Tenant-level rows (a ``tenant_id`` column) only for tenants in the user's book.

    Every table and CSV of the console goes through here, so a page cannot forget it.
    """
    if isinstance(data, pd.DataFrame) and "tenant_id" in data.columns:
        return current_scope().rows(data)
    if isinstance(data, Styler) and "tenant_id" in data.data.columns:
        # Pages scope their rows before styling; a styled table that still holds rows
        # outside the book loses its styling rather than showing them.
        scoped = current_scope().rows(data.data)
        return data if len(scoped) == len(data.data) else scoped
    return data


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as formulas, prefixed with a quote (OWASP)."""
    # pandas 3 gives text columns its "str" dtype (a StringDtype), older pandas object.
    text_columns = [
        c
        for c in frame.columns
        if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)
    ]
    if not text_columns:
        return frame
    fixed = frame.copy()
    for column in text_columns:
        fixed[column] = fixed[column].map(csv_safe)
    return fixed


def show_table(
    data: Any,
    *,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    column_config: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """A read-only table in the console's language: every column formatted by its unit,
    stored codes shown as labels, no index, missing values as a dash.

    Cells get their text from dashboards/kit/tables.py as a Styler's display values over
    the numbers, so sorting stays numeric (that module's docstring says why). ``units``
    and ``labels`` name what a column's name, config and data cannot tell.
    """
    data = in_scope(data)
    styler = data if isinstance(data, Styler) else None
    frame = styler.data if styler is not None else data
    if not isinstance(frame, pd.DataFrame) or frame.columns.has_duplicates:
        st.dataframe(
            data, hide_index=True, placeholder=MISSING, column_config=column_config, **kwargs
        )
        return
    formats = tables.table_formats(frame, units=units, labels=labels, configs=column_config)
    if styler is None:
        styler = frame.reset_index(drop=True).style
    else:
        formats = {k: v for k, v in formats.items() if k not in _formatted_by_caller(styler)}
    locale = current_locale()
    if formats:
        styler = styler.format(tables.cell_formatters(formats, locale=locale), subset=list(formats))
    config = _without_formats(column_config, formats)
    headers = {name: _label(config.get(name), name) for name in formats}
    for name, width in tables.column_widths(frame, formats, headers, locale=locale).items():
        column = config.get(name)
        if isinstance(column, Mapping) and column.get("width"):
            continue  # the page chose this column's width
        config[name] = (
            {**column, "width": width}
            if isinstance(column, Mapping)
            else {
                "label": headers[name],
                "width": width,
            }
        )
    st.dataframe(styler, hide_index=True, placeholder=MISSING, column_config=config, **kwargs)


def _label(column: Any, name: str) -> str:
    """The header a column config gives (a string or a config's label), else its name."""
    if isinstance(column, str):
        return column
    if isinstance(column, Mapping) and column.get("label"):
        return str(column["label"])
    return name


def _formatted_by_caller(styler: Styler) -> set[str]:
    """Columns a page's own Styler already formats (the at-risk list, the job runs)."""
    # pandas gives every column a formatter once .format() ran with a dict (the default
    # one for the columns the dict leaves out), so a column counts as formatted when its
    # first value reads differently from pandas' default.
    frame = styler.data
    default = frame.style._display_funcs  # a defaultdict of the default formatter
    own = getattr(styler, "_display_funcs", {})
    formatted = set()
    for position, name in enumerate(frame.columns):
        present = np.flatnonzero(frame.iloc[:, position].notna().to_numpy())
        if not len(present) or (int(present[0]), position) not in own:
            continue
        row = int(present[0])
        sample = frame.iat[row, position]
        if own[(row, position)](sample) != default[(row, position)](sample):
            formatted.add(str(name))
    return formatted


def _without_formats(
    config: Mapping[str, Any] | None, formats: Mapping[str, Any]
) -> dict[str, Any]:
    """The page's column config minus the number/date formats of the formatted columns:
    Streamlit shows a Styler's text only where the config sets no format."""
    if config is None:
        return {}
    cleaned: dict[str, Any] = {}
    for name, column in config.items():
        type_config = column.get("type_config") if isinstance(column, Mapping) else None
        if name in formats and isinstance(type_config, Mapping) and type_config.get("format"):
            column = {**column, "type_config": {**type_config, "format": None}}
        cleaned[name] = column
    return cleaned


def show_tiles(tiles: Sequence[Any], per_row: int | None = 4) -> None:
    """KPI tiles in rows of ``per_row`` (None: all in one row), each with a border.

    Dashboards' tile classes differ: the delta, its arrow and an icon are optional.
    """
    width = per_row or len(tiles)
    rows = math.ceil(len(tiles) / width) if width else 0
    cells = [cell for _row in range(rows) for cell in st.columns(width)]
    for cell, tile in zip(cells, tiles, strict=False):
        cell.metric(
            tile.label,
            tile.value,
            getattr(tile, "delta", None),
            delta_color=getattr(tile, "delta_color", "normal"),
            delta_arrow=getattr(tile, "delta_arrow", "auto"),
            help=tile.help,
            icon=getattr(tile, "icon", None),
            border=True,
        )


def download_csv(
    frame: pd.DataFrame,
    file_name: str,
    *,
    label: str | None = None,
    key: str | None = None,
    bom: bool = True,
    rerun: bool = False,
    stretch: bool = False,
) -> None:
    """A "Download CSV" button for a frame: dot decimals, ISO dates, no index.

    ``bom`` starts the file with a UTF-8 BOM so spreadsheet apps read accents; ``rerun``
    reruns the page on click (Streamlit's default) instead of just downloading.
    """
    frame = neutralised(in_scope(frame))
    st.download_button(
        label or _("Download CSV"),
        frame.to_csv(index=False).encode("utf-8-sig" if bom else "utf-8"),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        on_click="rerun" if rerun else "ignore",
        key=key,
        width="stretch" if stretch else "content",
    )


def detail_version(ctx: LiveContext) -> int:
    """The detail snapshot's version, 0 until the detail job has run."""
    return ctx.detail.version if ctx.detail is not None else 0


def snapshot_versions(ctx: LiveContext) -> tuple[int, int]:
    """(metrics, detail) snapshot versions: a page's view cache key (0 when missing)."""
    return (ctx.snapshot.version if ctx.snapshot else 0, detail_version(ctx))


def detail_as_of(ctx: LiveContext) -> date:
    """The day the detail tables were computed, the data's "today" (now until they exist)."""
    return (ctx.detail.as_of if ctx.detail is not None else ctx.at).date()


def cpi_for(ctx: LiveContext, filters: Filters) -> pd.DataFrame | None:
    """The CPI frame when the filters ask for constant ARS and it exists, else None."""
    if filters.constant_ars_month and ctx.has_frame("cpi_monthly"):
        return ctx.frame("cpi_monthly")
    return None
