"""Operational Efficiency: utilization, no-shows, cancellations, rebooking, revenue per
staff hour and client retention, by tier and vertical, with the best and worst tenants.

Pure functions of ``efficiency_tenant_week`` (core/metrics/frames/efficiency.py),
``bookings_tenant_day``, ``bookings_rebooking_monthly`` and ``bookings_clients_monthly``
(core/metrics/frames/bookings.py) and the snapshot's ``tenants``. Utilization and revenue
per staff hour (capacity is kept per week) cover the whole weeks that start in the
period; bookings, no-shows and cancellations cover exactly the period's days, as on
Bookings & Demand (the same kit functions); rebooking and clients cover the months it
touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import translator
from core.inflation.deflate import to_constant_ars
from core.metrics.booking_definitions import REBOOK_DAYS
from core.metrics.registry import METRICS
from core.vocabulary import TIERS, VERTICALS
from dashboards.filters import Filters
from dashboards.kit import (
    NO_DATA,
    OUTCOME_RATES,
    DayRange,
    Tile,
    daily_totals,
    day_range,
    definition_tile,
    keep_tenants,
    no_data_reason,
    outcome_rates,
    outcome_sums,
    ratio,
    room_for_legend,
    tenant_ids,
)
from dashboards.theme import COLORWAY, Colors, empty_figure, new_figure

RATE_KEYS = ("utilization", "no_show_rate", "cancellation_rate", "rebooking_rate")
TILE_KEYS = (*RATE_KEYS, "revenue_per_staff_hour", "returning_share")
MIN_APPOINTMENTS = 50  # a tenant needs this many in the period to be ranked
RANKED = 8
WEEK_MEASURES = ("bookings", "completed", "cancelled", "no_show", "booked_minutes", "gmv_ars")
# Summed over whole weeks (capacity is kept per week) ...
CAPACITY = ("booked_minutes", "available_minutes", "gmv_ars")
# ... and over exactly the period's days, as the registry defines the rates read from them.
OUTCOME_COUNTS = ("bookings", "completed", "cancelled", "no_show")
TENANT_COLUMNS = [
    "tenant_id",
    "trade_name",
    "tier",
    "vertical",
    "province",
    "bookings",
    *TILE_KEYS,
    "staff_hours",
    "gmv_ars",
]
assert REBOOK_DAYS == 45, "the rebooking definition text says 45 days"


@dataclass
class EfficiencyView:
    message: str | None = None
    tiles: list[Tile] = field(default_factory=list)
    trend: go.Figure | None = None
    by_tier: go.Figure | None = None
    by_vertical: go.Figure | None = None
    revenue_per_hour: go.Figure | None = None
    retention: go.Figure | None = None
    best: pd.DataFrame | None = None
    worst: pd.DataFrame | None = None
    detail: pd.DataFrame | None = None


# -------------------------------------------------------------------------- numbers


def rates(total: pd.Series) -> dict[str, float | None]:
    """The ratios of summed capacity, rebooking and client measures (as present); the
    no-show and cancellation rates come from the kit's ``outcome_rates``."""

    def get(column: str) -> float:
        return float(total.get(column, 0.0))

    return {
        "utilization": ratio(get("booked_minutes"), get("available_minutes")),
        "rebooking_rate": ratio(get("rebooked"), get("eligible")),
        "revenue_per_staff_hour": ratio(get("gmv_ars"), get("available_minutes") / 60.0),
        "returning_share": ratio(get("clients") - get("new_clients"), get("clients")),
    }


def rate_columns(sums: pd.DataFrame) -> pd.DataFrame:
    """Every tile's rate for each row of a frame of summed measures (NaN where undefined),
    with ``rates``' and ``outcome_rates``' formulas."""

    def column(name: str) -> pd.Series:
        if name in sums:
            return sums[name].astype(float)
        return pd.Series(0.0, index=sums.index)

    def div(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
        return numerator / denominator.where(denominator > 0)

    return sums.assign(
        utilization=div(column("booked_minutes"), column("available_minutes")),
        no_show_rate=div(column("no_show"), column("completed") + column("no_show")),
        cancellation_rate=div(column("cancelled"), column("bookings")),
        rebooking_rate=div(column("rebooked"), column("eligible")),
        revenue_per_staff_hour=div(column("gmv_ars"), column("available_minutes") / 60.0),
        returning_share=div(column("clients") - column("new_clients"), column("clients")),
    )


def _weeks(weekly: pd.DataFrame, period: DayRange) -> pd.DataFrame:
    return weekly[period.contains(weekly["week"])]


def _months(frame: pd.DataFrame, period: DayRange) -> pd.DataFrame:
    return frame[period.touches_month(frame["month"])]


def _sums(
    weekly: pd.DataFrame, daily: pd.DataFrame, period: DayRange, days: DayRange, by: str
) -> pd.DataFrame:
    """Capacity over the period's whole weeks and outcomes over ``days``, per ``by``."""
    capacity = _weeks(weekly, period).groupby(by)[list(CAPACITY)].sum()
    outcomes = outcome_sums(daily, days, by)[list(OUTCOME_COUNTS)]
    return outcomes.join(capacity, how="outer")


def per_tenant(
    weekly: pd.DataFrame,
    daily: pd.DataFrame,
    rebooking: pd.DataFrame,
    clients: pd.DataFrame,
    period: DayRange,
    days: DayRange,
) -> pd.DataFrame:
    """One row per tenant: summed measures of the period and their rates."""
    rebook = _months(rebooking, period).groupby("tenant_id")[["eligible", "rebooked"]].sum()
    client = _months(clients, period).groupby("tenant_id")[["clients", "new_clients"]].sum()
    merged = _sums(weekly, daily, period, days, "tenant_id")
    merged = merged.join(rebook, how="outer").join(client, how="outer").fillna(0)
    out = rate_columns(merged).rename_axis("tenant_id").reset_index()
    out["staff_hours"] = out["available_minutes"] / 60.0
    return out


def by_dimension(
    weekly: pd.DataFrame,
    daily: pd.DataFrame,
    rebooking: pd.DataFrame,
    tenants: pd.DataFrame,
    period: DayRange,
    days: DayRange,
    dimension: str,
    order: tuple[str, ...],
) -> pd.DataFrame:
    """Rates per tier or vertical (a tenant's current profile)."""
    profile = tenants.set_index("tenant_id")[dimension]

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(key=frame["tenant_id"].map(profile))

    rebook = keyed(_months(rebooking, period))
    sums = _sums(keyed(weekly), keyed(daily), period, days, "key").fillna(0)
    sums = sums.join(rebook.groupby("key")[["eligible", "rebooked"]].sum(), how="left").fillna(0)
    sums = sums.reindex([v for v in order if v in sums.index])
    out = rate_columns(sums).rename_axis(dimension).reset_index()
    return out[[dimension, *TILE_KEYS]]


# -------------------------------------------------------------------------- figures


def trend_figure(weekly: pd.DataFrame, period: DayRange, *, as_of: date, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Utilization, no-show and cancellation rates per week")
    rows = _weeks(weekly, period)
    # complete weeks only: a week cut at its Thursday lacks the busy Friday and Saturday
    rows = rows[rows["week"] + pd.Timedelta(days=6) <= pd.Timestamp(as_of)]
    if rows.empty or rows["available_minutes"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    sums = rows.groupby("week")[[*WEEK_MEASURES, "available_minutes"]].sum()
    utilization = sums["booked_minutes"] / sums["available_minutes"].where(
        sums["available_minutes"] > 0
    )
    decided = (sums["completed"] + sums["no_show"]).where(lambda v: v > 0)
    figure = new_figure(title=title, locale=locale)
    for values, name, color in (
        (utilization, _("Utilization"), Colors.PRIMARY),
        (sums["no_show"] / decided, _("No-show rate"), Colors.NEGATIVE),
        (
            sums["cancelled"] / sums["bookings"].where(sums["bookings"] > 0),
            _("Cancellation rate"),
            Colors.ACCENT,
        ),
    ):
        figure.add_scatter(
            x=sums.index,
            y=values,
            mode="lines+markers",
            name=name,
            line={"color": color, "width": 2},
            marker={"size": 4},
            hovertemplate="%{y:.1%}<extra>" + name + "</extra>",
        )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    figure.update_xaxes(tickformat="%d/%m/%y", hoverformat=_("week of %d/%m/%Y"))
    return room_for_legend(figure)


def dimension_figure(table: pd.DataFrame, dimension: str, *, title: str, locale: str) -> go.Figure:
    """Grouped bars of the four rates per tier or vertical; a click filters to it."""
    _ = translator(locale)
    if table.empty:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    labels = [_(str(v)) for v in table[dimension]]
    for key, color in zip(RATE_KEYS, COLORWAY, strict=False):
        name = _(METRICS[key].label)
        figure.add_bar(
            x=labels,
            y=table[key],
            name=name,
            marker={"color": color},
            customdata=[[v] for v in table[dimension]],
            hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>",
        )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    figure.update_layout(barmode="group", hovermode="closest")
    return room_for_legend(figure)


def revenue_per_hour_figure(
    by_tier: pd.DataFrame, by_vertical: pd.DataFrame, *, locale: str, constant: bool
) -> go.Figure:
    _ = translator(locale)
    title = _("Revenue per staff hour (constant ARS)") if constant else _("Revenue per staff hour")
    if by_tier.empty and by_vertical.empty:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    for table, dimension, color, name in (
        (by_tier, "tier", Colors.PRIMARY, _("Tier")),
        (by_vertical, "vertical", Colors.SECONDARY, _("Vertical")),
    ):
        figure.add_bar(
            x=[_(str(v)) for v in table[dimension]],
            y=table["revenue_per_staff_hour"],
            name=name,
            marker={"color": color},
            customdata=[
                [v, fmt.format_money(m, locale=locale)]
                for v, m in zip(table[dimension], table["revenue_per_staff_hour"], strict=True)
            ],
            hovertemplate="%{x}: %{customdata[1]}<extra></extra>",
        )
    figure.update_yaxes(tickprefix="$ ", tickformat="~s", rangemode="tozero")
    figure.update_layout(hovermode="closest")
    return figure


def retention_figure(clients: pd.DataFrame, period: DayRange, *, locale: str) -> go.Figure:
    """New and returning clients per month; a click filters the page to that month."""
    _ = translator(locale)
    title = _("Clients served per month: new vs returning")
    rows = _months(clients, period)
    if rows.empty or rows["clients"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    monthly = rows.groupby("month")[["clients", "new_clients"]].sum()
    figure = new_figure(title=title, locale=locale)
    for values, name, color in (
        (monthly["clients"] - monthly["new_clients"], _("Returning"), Colors.PRIMARY),
        (monthly["new_clients"], _("New"), Colors.ACCENT),
    ):
        figure.add_bar(
            x=monthly.index,
            y=values,
            name=name,
            marker={"color": color},
            hovertemplate="%{y:,.0f}<extra>" + name + "</extra>",
        )
    figure.update_layout(barmode="stack")
    figure.update_xaxes(tickformat="%m/%Y", dtick="M1")
    figure.update_yaxes(tickformat=",.0f")
    return room_for_legend(figure)


# ------------------------------------------------------------------------- the view


def _restate(weekly: pd.DataFrame, filters: Filters, cpi: pd.DataFrame | None) -> pd.DataFrame:
    if filters.constant_ars_month is None or cpi is None or weekly.empty:
        return weekly
    return to_constant_ars(
        weekly, ["gmv_ars"], month_column="week", base_month=filters.constant_ars_month, cpi=cpi
    )


def ranked(table: pd.DataFrame, *, best: bool, n: int = RANKED) -> pd.DataFrame:
    """Tenants with at least ``MIN_APPOINTMENTS`` bookings, by utilization."""
    eligible = table[(table["bookings"] >= MIN_APPOINTMENTS) & table["utilization"].notna()]
    return eligible.sort_values("utilization", ascending=not best).head(n).reset_index(drop=True)


def build_view(
    frames: dict[str, pd.DataFrame],
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
    cpi: pd.DataFrame | None = None,
) -> EfficiencyView:
    """The page for these filters; ``frames`` holds efficiency_tenant_week,
    bookings_tenant_day, bookings_rebooking_monthly and bookings_clients_monthly."""
    _ = translator(locale)
    message = no_data_reason(tenants, filters, as_of=as_of, locale=locale)
    if message:
        return EfficiencyView(message=message)
    ids = tenant_ids(tenants, filters)
    weekly = _restate(keep_tenants(frames["efficiency_tenant_week"], ids), filters, cpi)
    tenant_day = frames["bookings_tenant_day"]
    daily = keep_tenants(tenant_day, ids)
    rebooking = keep_tenants(frames["bookings_rebooking_monthly"], ids)
    clients = keep_tenants(frames["bookings_clients_monthly"], ids)
    earliest = pd.Timestamp(weekly["week"].min()).date() if len(weekly) else None
    period = day_range(filters, as_of=as_of, earliest=earliest)
    if period is None or _weeks(weekly, period)["bookings"].sum() == 0:
        return EfficiencyView(message=_(NO_DATA))
    # The no-show and cancellation rates are Bookings & Demand's: the same days (its
    # period, open start included, comes from its own frame) and the same function.
    first_day = pd.to_datetime(tenant_day["day"]).min().date() if len(tenant_day) else None
    days = day_range(filters, as_of=as_of, earliest=first_day) or period

    def totals(p: DayRange) -> dict[str, float | None]:
        combined = pd.concat(
            [
                _weeks(weekly, p)[list(CAPACITY)].sum(),
                _months(rebooking, p)[["eligible", "rebooked"]].sum(),
                _months(clients, p)[["clients", "new_clients"]].sum(),
            ]
        )
        return rates(combined)

    now = {**totals(period), **outcome_rates(daily_totals(daily, days))}
    before: dict[str, float | None] = dict.fromkeys(now)
    if earliest is not None and period.previous.start >= earliest:
        # a previous period reaching before the data would compare with nothing
        before.update(totals(period.previous))
    if first_day is not None and days.previous.start >= first_day:
        before.update(outcome_rates(daily_totals(daily, days.previous)))
    tiles = [
        definition_tile(
            METRICS[k],
            now[k],
            before[k],
            locale=locale,
            flow=True,
            period=days if k in OUTCOME_RATES else period,
        )
        for k in TILE_KEYS
    ]
    by_tier = by_dimension(weekly, daily, rebooking, tenants, period, days, "tier", TIERS)
    by_vertical = by_dimension(
        weekly, daily, rebooking, tenants, period, days, "vertical", VERTICALS
    )
    table = per_tenant(weekly, daily, rebooking, clients, period, days)
    profile = tenants.set_index("tenant_id")
    for column in ("trade_name", "tier", "vertical", "province"):
        table[column] = table["tenant_id"].map(profile[column]) if column in profile else None
    table["trade_name"] = table["trade_name"].fillna(table["tenant_id"].astype(str))
    table = table[TENANT_COLUMNS].sort_values("bookings", ascending=False).reset_index(drop=True)
    constant = filters.constant_ars_month is not None and cpi is not None
    return EfficiencyView(
        tiles=tiles,
        trend=trend_figure(weekly, period, as_of=as_of, locale=locale),
        by_tier=dimension_figure(by_tier, "tier", title=_("Rates by tier"), locale=locale),
        by_vertical=dimension_figure(
            by_vertical, "vertical", title=_("Rates by vertical"), locale=locale
        ),
        revenue_per_hour=revenue_per_hour_figure(
            by_tier, by_vertical, locale=locale, constant=constant
        ),
        retention=retention_figure(clients, period, locale=locale),
        best=ranked(table, best=True),
        worst=ranked(table, best=False),
        detail=table,
    )


FRAMES = (
    "efficiency_tenant_week",
    "bookings_tenant_day",
    "bookings_rebooking_monthly",
    "bookings_clients_monthly",
)
