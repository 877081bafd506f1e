"""The Inflation (CPI) table page's chart and table: the index, its monthly change, and
which months come from the bundled approximate series."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.i18n import translator
from dashboards.theme import Colors, empty_figure, new_figure


def with_monthly_change(table: pd.DataFrame) -> pd.DataFrame:
    """The table oldest first with ``monthly_pct`` (change against the previous month, when
    that month is in the table) and ``month_key`` (``YYYY-MM``) for editing."""
    frame = table.copy()
    if frame.empty:
        return frame.assign(monthly_pct=pd.Series(dtype=float), month_key=pd.Series(dtype=str))
    frame["month"] = pd.to_datetime(frame["month"])
    frame = frame.sort_values("month").reset_index(drop=True)
    consecutive = frame["month"].diff().dt.days.between(28, 31)
    change = (frame["index_value"].astype(float).pct_change() * 100).where(consecutive)
    frame["monthly_pct"] = change
    frame["month_key"] = frame["month"].dt.strftime("%Y-%m")
    return frame


def cpi_figure(table: pd.DataFrame, *, locale: str) -> go.Figure:
    """Monthly % change as bars, hatched where the value is approximate."""
    _ = translator(locale)
    title = _("Monthly inflation (% change of the index)")
    frame = with_monthly_change(table).dropna(subset=["monthly_pct"]) if not table.empty else table
    if frame.empty:
        return empty_figure(title=title, locale=locale, message=_("The CPI table is empty"))
    figure = new_figure(title=title, locale=locale)
    for approximate, name, colour in (
        (False, _("Official or entered"), Colors.PRIMARY),
        (True, _("Approximate (bundled)"), Colors.FUTURE),
    ):
        part = frame[frame["approximate"].astype(bool) == approximate]
        if part.empty:
            continue
        figure.add_bar(
            x=part["month"],
            y=part["monthly_pct"],
            name=name,
            marker={"color": colour, "pattern": {"shape": "/" if approximate else ""}},
            hovertemplate="%{x|%m/%Y}: %{y:.1f} %<extra>" + name + "</extra>",
        )
    figure.update_yaxes(ticksuffix=" %", rangemode="tozero")
    figure.update_xaxes(tickformat="%m/%Y")
    figure.update_layout(barmode="overlay", hovermode="closest")
    return figure


def errors_frame(errors: list, *, locale: str) -> pd.DataFrame:
    """Row-level upload errors as a table (line 0 = the whole file)."""
    _ = translator(locale)
    return pd.DataFrame(
        {
            "line": [e.line if e.line else None for e in errors],
            "column": [e.column for e in errors],
            "problem": [e.message for e in errors],
        }
    )
