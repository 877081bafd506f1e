"""The filter bar of a dashboard: widgets whose state lives in the URL query string.

``filters = filter_bar(ctx, page="revenue")`` draws the widgets, applies a pending
cross-filter (a click on a chart, see ``cross_filter``), writes the selection into the
URL so the view can be shared as a link, and returns a ``dashboards.filters.Filters``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from core.inflation.deflate import constant_ars_notes
from core.labels import code_label
from core.vocabulary import TIERS, VERTICALS
from dashboards.filters import ORGANIC, PARAMS, Filters, from_params
from ui.i18n import _
from ui.live import LiveContext

ALL_DIMENSIONS = ("date", "tier", "vertical", "province", "partner")
_PENDING = "{page}__pending_filter"


def _key(page: str, name: str) -> str:
    return f"{page}__filter_{name}"


def cross_filter(page: str, dimension: str, value: Any) -> None:
    """Filter ``page`` to ``value`` on ``dimension`` (tier, vertical, province, partner,
    or month: a date inside the month), then rerun. Call from a chart's selection handler."""
    st.session_state[_PENDING.format(page=page)] = (dimension, value)
    st.rerun(scope="fragment")


def _apply_pending(page: str, today: date) -> None:
    pending = st.session_state.pop(_PENDING.format(page=page), None)
    if pending is None:
        return
    dimension, value = pending
    if dimension == "month":
        first = pd.Timestamp(value).date().replace(day=1)
        last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
        # the current month runs to yesterday, its last complete day: month to date
        end = min(last, today - timedelta(days=1))
        st.session_state[_key(page, "date")] = (first, end if end >= first else today)
    elif dimension in ("tier", "vertical", "province"):
        st.session_state[_key(page, dimension)] = [value]
    elif dimension == "partner":
        st.session_state[_key(page, "partner")] = [int(value)]


def _init_from_url(page: str, filters: Filters, default_range: tuple[date, date]) -> None:
    if st.session_state.get(_key(page, "_initialized")):
        return
    st.session_state[_key(page, "_initialized")] = True
    st.session_state[_key(page, "date")] = (
        filters.start or default_range[0],
        filters.end or default_range[1],
    )
    st.session_state[_key(page, "tier")] = list(filters.tiers)
    st.session_state[_key(page, "vertical")] = list(filters.verticals)
    st.session_state[_key(page, "province")] = list(filters.provinces)
    st.session_state[_key(page, "partner")] = list(filters.partners)
    month = filters.constant_ars_month
    st.session_state[_key(page, "ars")] = month.strftime("%Y-%m") if month else ""


def _partner_names(ctx: LiveContext) -> dict[int, str]:
    names = {ORGANIC: _("Organic (no partner)")}
    if ctx.has_frame("partners"):
        partners = ctx.frame("partners")
        names.update(dict(zip(partners["partner_id"].astype(int), partners["name"], strict=False)))
    elif ctx.snapshot is not None and "tenants" in ctx.snapshot.frames:
        ids = ctx.snapshot.frames["tenants"]["partner_id"].dropna().astype(int).unique()
        names.update({int(i): _("Partner {id}").format(id=int(i)) for i in sorted(ids)})
    return names


def _ars_months(ctx: LiveContext) -> list[str]:
    if not ctx.has_frame("cpi_monthly"):
        return []
    months = pd.to_datetime(ctx.frame("cpi_monthly")["month"])
    return [m.strftime("%Y-%m") for m in sorted(months, reverse=True)]


def filter_bar(
    ctx: LiveContext,
    *,
    page: str,
    dimensions: Sequence[str] = ALL_DIMENSIONS,
    money: bool = True,
    default_days: int = 180,
    whole_weeks: bool = True,
) -> Filters:
    """Draw the filters that apply to ``page`` and return the selection.

    The default period is ``default_days`` rounded to whole weeks and ending yesterday,
    the last complete day (``whole_weeks``): every weekday counts equally and no
    appointment is still unresolved, so a period compares fairly with the one before.
    Pages whose period selects tenants rather than activity pass ``whole_weeks=False``
    to end it today.
    """
    today = ctx.at.date()
    if whole_weeks:
        end, days = today - timedelta(days=1), 7 * max(1, round(default_days / 7))
    else:
        end, days = today, default_days
    default_range = (end - timedelta(days=days - 1), end)
    parsed, problems = from_params(st.query_params.to_dict(), locale=ctx.locale)
    for problem in problems:
        st.warning(problem, icon=":material/link_off:")
    _init_from_url(page, parsed, default_range)
    _apply_pending(page, today)

    tenants = ctx.snapshot.frames.get("tenants") if ctx.snapshot is not None else None
    provinces = sorted(tenants["province"].dropna().unique()) if tenants is not None else []
    partner_names = _partner_names(ctx)
    ars_months = _ars_months(ctx) if money else []

    shown = [d for d in dimensions if d in ALL_DIMENSIONS] + (["ars"] if ars_months else [])
    widths = [2.2 if d == "date" else 1.6 if d == "ars" else 1.4 for d in shown]
    cells = dict(zip(shown, st.columns(widths), strict=True)) if shown else {}
    values: dict[str, Any] = {}
    if "date" in cells:
        values["date"] = cells["date"].date_input(
            _("Period"),
            key=_key(page, "date"),
            format="DD/MM/YYYY",
            help=_("Inclusive date range of the charts and tables on this page."),
        )
    options = {
        "tier": (_("Tier"), list(TIERS)),
        "vertical": (_("Vertical"), list(VERTICALS)),
        "province": (_("Province"), provinces),
        "partner": (_("Partner"), list(partner_names)),
    }
    for dimension, (label, choices) in options.items():
        if dimension in cells:
            values[dimension] = cells[dimension].multiselect(
                label,
                choices,
                key=_key(page, dimension),
                placeholder=_("All"),
                format_func=(
                    partner_names.get
                    if dimension == "partner"
                    else partial(code_label, dimension, locale=ctx.locale)
                ),
            )
    if "ars" in cells:
        values["ars"] = cells["ars"].selectbox(
            _("Money in"),
            ["", *ars_months],
            key=_key(page, "ars"),
            format_func=lambda m: (
                _("Nominal ARS") if m == "" else _("ARS of {month}").format(month=m)
            ),
            help=_(
                "Constant ARS remove inflation: each month's amounts are restated in pesos "
                "of the chosen month using the CPI table (Operations › Inflation)."
            ),
        )

    start, end = _period(values.get("date"), default_range)
    month = values.get("ars") or ""
    filters = Filters(
        start=start,
        end=end,
        tiers=tuple(values.get("tier", ())),
        verticals=tuple(values.get("vertical", ())),
        provinces=tuple(values.get("province", ())),
        partners=tuple(int(p) for p in values.get("partner", ())),
        constant_ars_month=date.fromisoformat(f"{month}-01") if month else None,
    )
    _write_url(filters, default_range)
    if money:
        _projection_notes(ctx, filters)
    return filters


def _projection_notes(ctx: LiveContext, filters: Filters) -> None:
    """Say so when constant ARS restate months outside the CPI table (projected after
    it, at its first month before it): never a silent 0 % inflation."""
    if filters.constant_ars_month is None or not ctx.has_frame("cpi_monthly"):
        return
    start, end = filters.start, filters.end
    if start is None or end is None:
        return
    notes = constant_ars_notes(
        start, end, filters.constant_ars_month, ctx.frame("cpi_monthly"), locale=ctx.locale
    )
    for note in notes:
        st.caption(f":material/trending_up: {note}")


def _period(value: Any, default: tuple[date, date]) -> tuple[date, date]:
    # While the user is picking a range, the widget holds only its first day.
    if not value:
        return default
    if isinstance(value, date):
        return value, value
    days = list(value)
    return days[0], days[-1]


def _write_url(filters: Filters, default_range: tuple[date, date]) -> None:
    params = filters.to_params()
    if (filters.start, filters.end) == default_range:  # defaults stay out of shared links
        params.pop(PARAMS["start"], None)
        params.pop(PARAMS["end"], None)
    for param in PARAMS.values():
        if param in params:
            if st.query_params.get(param) != params[param]:
                st.query_params[param] = params[param]
        elif param in st.query_params:
            del st.query_params[param]
