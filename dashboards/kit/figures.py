"""Legends and forecast bands, placed the same way on every chart."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import translator


def room_for_legend(figure: go.Figure) -> go.Figure:
    """Keep a legend that wraps to two lines clear of the title: the title moves to the
    top of a taller margin and the legend sits between it and the plot."""
    figure.update_layout(
        margin={"t": 108},
        title={"y": 0.985, "yanchor": "top"},
        legend={"y": 1.02, "yanchor": "bottom"},
    )
    return figure


def legend_below(figure: go.Figure) -> None:
    """Legends of many series go under the plot, where they cannot cover the title."""
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0},
        margin={"b": 8},
    )


def add_band(
    figure: go.Figure,
    x: Iterable[object],
    band: pd.DataFrame,
    *,
    locale: str,
    name: str,
    hover_money: bool = False,
) -> None:
    """The 95 % and 80 % prediction intervals as shaded areas and the forecast as a
    dashed line (``band`` has forecast, lower_80, upper_80, lower_95, upper_95)."""
    _ = translator(locale)
    x = list(x)
    value = (
        (lambda v: fmt.format_money(v, locale=locale))
        if hover_money
        else (lambda v: fmt.format_count(v, locale=locale))
    )
    for level, opacity in (("95", 0.12), ("80", 0.22)):
        figure.add_scatter(
            x=x + x[::-1],
            y=list(band[f"upper_{level}"]) + list(band[f"lower_{level}"])[::-1],
            mode="lines",
            fill="toself",
            fillcolor=f"rgba(217, 119, 6, {opacity})",
            line={"width": 0},
            hoverinfo="skip",
            name=_("{level} % interval").format(level=level),
            showlegend=True,
        )
    custom = [
        [value(f), value(lo), value(hi)]
        for f, lo, hi in zip(band["forecast"], band["lower_80"], band["upper_80"], strict=True)
    ]
    figure.add_scatter(
        x=x,
        y=band["forecast"],
        mode="lines",
        name=name,
        line={"color": "#d97706", "width": 2, "dash": "dash"},
        customdata=custom,
        hovertemplate="%{customdata[0]} (80 %: %{customdata[1]} – %{customdata[2]})<extra>"
        + name
        + "</extra>",
    )


def accuracy_note(accuracy: pd.DataFrame | None, series: str, *, locale: str) -> str:
    """One sentence on how well the forecast of ``series`` did in its backtest."""
    _ = translator(locale)
    if accuracy is None or accuracy.empty or series not in set(accuracy["series"]):
        return ""
    row = accuracy[accuracy["series"] == series].iloc[0]
    if pd.isna(row.get("mase_model")):
        note = str(row.get("note") or "")
        return _("Forecast accuracy not measured yet: {why}.").format(why=note or "-")
    return _(
        "Backtest over {origins} forecast origins (each {horizon} {unit} ahead): MASE {mase} "
        "vs {naive} for the {baseline}; sMAPE {smape} vs {smape_naive}; the 95 % interval "
        "held {coverage} of the actual values. MASE below 1 beats the naive forecast's "
        "in-sample error."
    ).format(
        origins=int(row["origins"]),
        horizon=int(row["horizon"]),
        unit=_("days") if row["grain"] == "day" else _("months"),
        mase=fmt.format_number(row["mase_model"], digits=2, locale=locale),
        naive=fmt.format_number(row["mase_naive"], digits=2, locale=locale),
        baseline=_(str(row["baseline"])),
        smape=fmt.format_percent(row["smape_model"], locale=locale),
        smape_naive=fmt.format_percent(row["smape_naive"], locale=locale),
        coverage=fmt.format_percent(row["coverage_95"], locale=locale),
    )


MONTH_TO_DATE_OPACITY = 0.45


def mark_month_to_date(
    figure: go.Figure, month: pd.Timestamp | None, *, through: int | None, locale: str
) -> go.Figure:
    """Mark the month to date on a monthly chart (x: first days of months): its bars
    paler, its points hollow, "month to date, 1–N" on their hover and over the plot, so
    nobody reads a partial month as a drop. Nothing to do when ``month`` is None."""
    if month is None or through is None:
        return figure
    _ = translator(locale)
    label = _("month to date, 1–{day}").format(day=through)
    month = pd.Timestamp(month)
    marked = False
    for trace in figure.data:
        if trace.type not in ("bar", "scatter") or trace.x is None:
            continue
        partial = [pd.Timestamp(x) == month for x in trace.x]
        if not any(partial):
            continue
        marked = True
        template = trace.hovertemplate or "%{y}<extra></extra>"
        if not isinstance(template, str):
            continue  # already marked
        tagged = (
            template.replace("<extra>", f" · {label}<extra>", 1)
            if "<extra>" in template
            else f"{template} · {label}"
        )
        trace.hovertemplate = [tagged if p else template for p in partial]
        if trace.type == "bar":
            trace.marker.opacity = [MONTH_TO_DATE_OPACITY if p else 1.0 for p in partial]
        else:
            trace.marker.symbol = ["circle-open" if p else "circle" for p in partial]
    if marked:
        end = month + pd.offsets.MonthBegin(1)
        figure.add_vrect(
            x0=month - pd.Timedelta(days=15),
            x1=end - pd.Timedelta(days=15),
            fillcolor="rgba(148, 163, 184, 0.12)",
            line_width=0,
            layer="below",
            annotation_text=label,
            annotation_position="top left",
            annotation_font_size=11,
        )
    return figure
