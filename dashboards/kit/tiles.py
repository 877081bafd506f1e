"""The dashboard kit: tiles, values by unit, deltas, periods and legends, once.

Every dashboard builds its KPI tiles, formats its values and compares periods with
these, so the same unit reads the same on every page. Pure: no Streamlit, no SQL.

The delta rule, for every tile of every dashboard:

- a ratio changes in percentage points (``+2,1 p.p.``);
- a stock (a level at a moment: tenants, days, a score, a multiple) changes by the
  difference, in the value's own precision (``+12``, ``-0,4``);
- a flow (a volume over the period: bookings, pesos, minutes) and an estimate in months
  change relatively (``+12,3 %``), and have no delta when the previous value was zero;
- a change that rounds to zero at the shown precision has no sign and no colour or arrow
  (``0,0 %``, not ``-0,0 %`` in red).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

from core import formatting as fmt
from core.i18n import N_, translator
from core.metrics.registry import Metric
from dashboards.kit.periods import DayRange, MonthRange, describe


# --------------------------------------------------------------------------- tiles
@dataclass(frozen=True)
class Tile:
    """One st.metric: what the pages read (label, value, delta, colours, help, icon)."""

    label: str
    value: str
    help: str = ""
    delta: str | None = None
    delta_color: str = "normal"  # normal, inverse or off, as st.metric takes it
    delta_arrow: str = "auto"  # auto, or off when the change rounds to zero
    icon: str | None = None
    key: str = ""


# ------------------------------------------------------------------------- values
# Decimals of the units shown as plain numbers (count: whole, compact on tiles).
DIGITS = {"count": 0, "days": 1, "multiple": 2, "months": 1, "number": 1, "score": 1}
# Units whose change is relative unless a caller says otherwise; the others are stocks,
# compared by difference at their DIGITS.
FLOW_UNITS = {"ars", "number", "months", "minutes", "hours", "seconds"}
# Every unit a metric may have (core/metrics/registry.py); ``text`` is a value that is
# not a number (a status, a version), shown as it is.
UNITS = frozenset({"ars", "ratio", "minutes", "hours", "seconds", "text", *DIGITS})


def is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_minutes(minutes: float | None, *, locale: str) -> str:
    """``42 min``, ``3,5 h`` or ``2,1 d``: the unit a person would say."""
    if is_missing(minutes):
        return fmt.MISSING
    assert minutes is not None
    if minutes < 120:
        return f"{fmt.format_number(minutes, digits=0, locale=locale)} min"
    if minutes < 48 * 60:
        return f"{fmt.format_number(minutes / 60, digits=1, locale=locale)} h"
    return f"{fmt.format_number(minutes / 1440, digits=1, locale=locale)} d"


def format_value(unit: str, value: float | str | None, *, locale: str, compact: bool = True) -> str:
    """``value`` as a tile (``compact``) or a help text shows it, by its unit."""
    if is_missing(value):
        return fmt.MISSING
    if unit == "ars":
        return (fmt.format_money_compact if compact else fmt.format_money)(value, locale=locale)
    if unit == "ratio":
        return fmt.format_percent(value, locale=locale)
    if unit == "minutes":
        return format_minutes(value, locale=locale)
    if unit == "hours":
        return format_minutes(None if value is None else value * 60, locale=locale)
    if unit == "seconds":
        assert value is not None
        if value < 60:
            return f"{fmt.format_number(value, digits=2, locale=locale)} s"
        return format_minutes(value / 60, locale=locale)
    if unit == "text":
        return str(value)
    if unit in DIGITS and unit != "count":
        return fmt.format_number(value, digits=DIGITS[unit], locale=locale)
    return (fmt.format_compact if compact else fmt.format_count)(value, locale=locale)


# ------------------------------------------------------------------------- deltas
class Delta(NamedTuple):
    text: str
    flat: bool  # rounds to zero: shown without sign, colour or arrow


def delta(
    unit: str,
    value: float | None,
    previous: float | None,
    *,
    locale: str,
    flow: bool | None = None,
) -> Delta | None:
    """The change from ``previous`` to ``value`` by the kit's one rule (module docstring);
    ``flow`` overrides the unit's default (a count of bookings is a flow). None when
    there is nothing to compare."""
    if is_missing(value) or is_missing(previous):
        return None
    assert value is not None and previous is not None
    if flow is None:
        flow = unit in FLOW_UNITS
    if unit == "ratio":
        change = value - previous
        text = fmt.format_signed_points(change, locale=locale)
        flat = round(change * 100, 1) == 0
    elif flow:
        if previous == 0:
            return None
        change = value / previous - 1
        text = fmt.format_signed_percent(change, locale=locale)
        flat = round(change * 100, 1) == 0
    else:
        change = value - previous
        digits = DIGITS.get(unit, 0)
        sign = "+" if change >= 0 else "-"
        text = sign + fmt.format_number(abs(change), digits=digits, locale=locale)
        flat = round(change, digits) == 0
    return Delta(text.lstrip("+-") if flat else text, flat)


def delta_color(change: Delta | None, higher_is_better: bool | None) -> str:
    """st.metric's colour: good changes green, bad red; off when flat or neutral."""
    if change is None or change.flat or higher_is_better is None:
        return "off"
    return "normal" if higher_is_better else "inverse"


def tile(
    label: str,
    unit: str,
    value: float | None,
    previous: float | None,
    *,
    locale: str,
    help: str = "",
    key: str = "",
    higher_is_better: bool | None = True,
    flow: bool | None = None,
) -> Tile:
    """A KPI tile comparing ``value`` with ``previous`` (None: no delta)."""
    change = delta(unit, value, previous, locale=locale, flow=flow)
    return Tile(
        key=key,
        label=label,
        value=format_value(unit, value, locale=locale),
        delta=None if change is None else change.text,
        delta_color=delta_color(change, higher_is_better),
        delta_arrow="off" if change is not None and change.flat else "auto",
        help=help,
    )


def now_and_before(
    template: str, unit: str, value: float | None, previous: float | None, *, locale: str
) -> str:
    """``template`` (with {now} and {before}) filled with both values in full."""
    return template.format(
        now=format_value(unit, value, locale=locale, compact=False),
        before=format_value(unit, previous, locale=locale, compact=False),
    )


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


PREVIOUS_PERIOD = N_("Now: {now} · previous period: {before}")
PERIOD_AND_PREVIOUS = N_("{period}: {now} · {previous_period}: {before}")


def definition_tile(
    spec: Metric,
    value: float | None,
    previous: float | None,
    *,
    locale: str,
    note: str = "",
    flow: bool | None = None,
    period: DayRange | MonthRange | None = None,
    previous_period: DayRange | MonthRange | None = None,
) -> Tile:
    """The tile of ``spec``: its help is the definition, both periods' values (named by
    their dates when ``period`` is given, compared with ``previous_period`` or else
    ``period.previous``) and ``note``."""
    _ = translator(locale)
    compared = _(PREVIOUS_PERIOD)
    if period is not None:
        before = period.previous if previous_period is None else previous_period
        compared = (
            _(PERIOD_AND_PREVIOUS)
            .replace("{period}", describe(period, locale=locale))
            .replace("{previous_period}", describe(before, locale=locale, to_date=False))
        )
    both = now_and_before(compared, spec.unit, value, previous, locale=locale)
    return metric_tile(
        spec, value, previous, locale=locale, note=both + ("\n\n" + note if note else ""), flow=flow
    )


def metric_tile(
    spec: Metric,
    value: float | str | None,
    previous: float | None = None,
    *,
    locale: str,
    note: str = "",
    change: str | None = None,
    flow: bool | None = None,
    icon: str | None = None,
) -> Tile:
    """The tile of a registered metric: its label, direction and definition (the help,
    then ``note``: what only this render knows, such as counts or times).

    A number is shown by the metric's unit and compared with ``previous`` by the kit's
    rule; a string (a status, a value with its band, an age) is shown as given, and
    ``change``, if any, is the delta as given, coloured by the metric's direction.
    """
    _ = translator(locale)
    help_text = _(spec.definition) + ("\n\n" + note if note else "")
    if not isinstance(value, str):
        made = tile(
            _(spec.label),
            spec.unit,
            value,
            previous,
            locale=locale,
            help=help_text,
            key=spec.key,
            higher_is_better=spec.higher_is_better,
            flow=flow,
        )
        return replace(made, icon=icon)
    return Tile(
        key=spec.key,
        label=_(spec.label),
        value=value,
        help=help_text,
        delta=change,
        delta_color="off"
        if spec.higher_is_better is None
        else ("normal" if spec.higher_is_better else "inverse"),
        icon=icon,
    )
