"""What the Bookings & Demand and Operational Efficiency dashboards share: metric
definitions (one per tile, shown as its help), KPI tiles with period-over-period deltas,
tenant and period selection, and the forecast band drawn on a time chart.

Pure functions: no Streamlit, no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from dashboards.filters import Filters


@dataclass(frozen=True)
class Definition:
    key: str
    label: str  # English msgid
    unit: str  # count, ars, ratio, number
    definition: str  # English msgid
    higher_is_better: bool = True


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    delta: str | None
    delta_color: str  # normal, inverse or off (st.metric)
    help: str
    delta_arrow: str = "auto"  # off when the change rounds to zero


def format_value(unit: str, value: float | None, *, locale: str, compact: bool = True) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return fmt.MISSING
    if unit == "ars":
        return (fmt.format_money_compact if compact else fmt.format_money)(value, locale=locale)
    if unit == "ratio":
        return fmt.format_percent(value, locale=locale)
    if unit == "number":
        return fmt.format_number(value, digits=1, locale=locale)
    return (fmt.format_compact if compact else fmt.format_count)(value, locale=locale)


def _delta(unit: str, value: float | None, previous: float | None, locale: str) -> str | None:
    if value is None or previous is None or np.isnan(value) or np.isnan(previous):
        return None
    if unit == "ratio":
        change = value - previous
        text = fmt.format_signed_points(change, locale=locale)
    elif previous == 0:
        return None
    else:
        change = value / previous - 1
        text = fmt.format_signed_percent(change, locale=locale)
    # a change that rounds to zero is shown without a sign ("0,0 p.p.", not "-0,0 p.p.")
    return text.lstrip("+-") if round(change * 100, 1) == 0 else text


def build_tile(
    spec: Definition, value: float | None, previous: float | None, *, locale: str
) -> Tile:
    """One KPI tile: its help is the metric's definition plus both periods' values."""
    _ = translator(locale)
    help_text = (
        _(spec.definition)
        + "\n\n"
        + _("Now: {now} · previous period: {before}").format(
            now=format_value(spec.unit, value, locale=locale, compact=False),
            before=format_value(spec.unit, previous, locale=locale, compact=False),
        )
    )
    delta = _delta(spec.unit, value, previous, locale)
    flat = delta is not None and delta[:1] not in "+-"
    return Tile(
        key=spec.key,
        label=_(spec.label),
        value=format_value(spec.unit, value, locale=locale),
        delta=delta,
        delta_color="off" if flat else ("normal" if spec.higher_is_better else "inverse"),
        delta_arrow="off" if flat else "auto",
        help=help_text,
    )


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


# ----------------------------------------------------------------- tenants and periods


def tenant_ids(tenants: pd.DataFrame, filters: Filters) -> set[int] | None:
    """The ids the tier/vertical/province/partner filters keep; None = every tenant."""
    if not filters.narrows_tenants:
        return None
    return set(filters.filter_tenants(tenants)["tenant_id"].astype(int))


def keep_tenants(frame: pd.DataFrame, ids: set[int] | None) -> pd.DataFrame:
    return frame if ids is None else frame[frame["tenant_id"].isin(ids)]


@dataclass(frozen=True)
class Period:
    """An inclusive day range ending at most on the data's as-of day."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def months(self) -> list[date]:
        """First days of the months the period touches."""
        months = pd.period_range(self.start, self.end, freq="M")
        return [m.to_timestamp().date() for m in months]

    def contains(self, days: pd.Series) -> pd.Series:
        values = days if days.dtype.kind == "M" else pd.to_datetime(days)
        return (values >= pd.Timestamp(self.start)) & (values <= pd.Timestamp(self.end))

    def touches_month(self, months: pd.Series) -> pd.Series:
        """Rows whose month (first day) overlaps the period."""
        values = months if months.dtype.kind == "M" else pd.to_datetime(months)
        first = pd.Timestamp(self.start).to_period("M").to_timestamp()
        return (values >= first) & (values <= pd.Timestamp(self.end))


def period_of(filters: Filters, *, as_of: date, earliest: date | None = None) -> Period | None:
    """The filters' range cut at ``as_of``; None when nothing is left."""
    start = filters.start or earliest or as_of
    end = min(filters.end or as_of, as_of)
    return None if start > end else Period(start, end)


def no_data_reason(
    tenants: pd.DataFrame, filters: Filters, *, as_of: date, locale: str
) -> str | None:
    """Why these filters cannot show anything (bad range, no tenant), or None."""
    _ = translator(locale)
    problem = filters.problem(today=as_of, locale=locale)
    if problem:
        return problem
    if filters.narrows_tenants and filters.filter_tenants(tenants).empty:
        return _("No tenant matches these filters (tier, vertical, province, partner).")
    return None


NO_DATA = N_("No data for these filters")


# --------------------------------------------------------------------- forecast band


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


def room_for_legend(figure: go.Figure) -> go.Figure:
    """Keep a legend that wraps to two lines clear of the title: the title moves to the
    top of a taller margin and the legend sits between it and the plot."""
    figure.update_layout(
        margin={"t": 108},
        title={"y": 0.985, "yanchor": "top"},
        legend={"y": 1.02, "yanchor": "bottom"},
    )
    return figure


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
