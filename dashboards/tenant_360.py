"""Tenant 360: one tenant's profile, health, churn risk, trends and history, for reading.

Pure functions of ``core.queries.tenant_360.Tenant360`` (no SQL, no Streamlit): profile
lines, signal tiles, a weekly bookings-and-GMV chart, the health history, and the tables
in the user's language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.inflation.deflate import to_constant_ars
from core.metrics.registry import METRICS
from core.models.health.definitions import GREEN_FROM, RED_BELOW
from dashboards.filters import Filters
from dashboards.kit import DayRange, Tile, definition_tile, metric_tile
from dashboards.theme import Colors, empty_figure, new_figure

BAND_COLOURS = {"green": Colors.POSITIVE, "yellow": Colors.ACCENT, "red": Colors.NEGATIVE}
BANDS = {"green": N_("green"), "yellow": N_("yellow"), "red": N_("red")}
TRENDS = {"up": N_("up"), "down": N_("down"), "same": N_("same")}
PROFILE_FIELDS = (
    ("legal_name", N_("Legal name")),
    ("trade_name", N_("Trade name")),
    ("cuit", N_("CUIT")),
    ("tax_status", N_("Tax status")),
    ("vertical", N_("Vertical")),
    ("tier", N_("Tier")),
    ("plan", N_("Plan")),
    ("mrr_ars", N_("MRR")),
    ("province", N_("Province")),
    ("city", N_("City")),
    ("owner_name", N_("Owner")),
    ("email", N_("E-mail")),
    ("phone", N_("Phone")),
    ("signup_date", N_("Signed up")),
    ("status", N_("Status")),
    ("churned_on", N_("Churned on")),
    ("churn_reason", N_("Churn reason")),
    ("partner", N_("Partner")),
    ("cs_owner", N_("CS owner")),
)
# The signal tiles: metrics of the registry (core/metrics/registry.py), in display order.
SIGNALS = (
    "health_score",
    "churn_probability",
    "bookings_28d",
    "logins_30d",
    "failed_invoices_90d",
    "open_tickets",
    "last_nps",
)


def profile_lines(profile: dict[str, Any], *, locale: str) -> list[tuple[str, str]]:
    """(label, value) pairs of the profile, in the user's language; empty fields skipped."""
    _ = translator(locale)
    lines = []
    for key, label in PROFILE_FIELDS:
        value = profile.get(key)
        if value is None or value == "":
            continue
        if key == "mrr_ars":
            text = fmt.format_money(value, locale=locale)
        elif isinstance(value, date):
            text = fmt.format_date(value, locale=locale)
        elif key in ("vertical", "tier", "status", "plan", "churn_reason"):
            text = _(str(value))
        else:
            text = str(value)
        lines.append((_(label), text))
    return lines


def signal_tiles(
    signals: dict[str, Any],
    health: pd.DataFrame,
    churn: dict[str, Any] | None,
    *,
    locale: str,
) -> list[Tile]:
    """Health and churn when the models have stored them, then the raw signals."""
    _ = translator(locale)

    def signal(key: str, value: str, change: str | None = None, note: str = "") -> Tile:
        return metric_tile(METRICS[key], value, locale=locale, change=change, note=note)

    tiles = []
    scored = health.dropna(subset=["score"]) if not health.empty else health
    if not scored.empty:
        last = scored.iloc[-1]
        band = _(BANDS.get(str(last.get("band")), str(last.get("band"))))
        delta = last.get("delta_7d")
        missing = list(last.get("missing") or [])
        note = ""
        if missing:
            note = _("Missing components (left out): {names}.").format(names=", ".join(missing))
        tiles.append(
            signal(
                "health_score",
                f"{fmt.format_number(float(last['score']), digits=0, locale=locale)} · {band}",
                None if pd.isna(delta) else fmt.format_signed_count(float(delta), locale=locale),
                note=note,
            )
        )
    if churn is not None:
        tiles.append(
            signal(
                "churn_probability",
                fmt.format_percent(churn["probability"], locale=locale),
                note=_("Scored {when}, model v{version}.").format(
                    when=fmt.format_datetime(churn["scored_at"], locale=locale),
                    version=churn["model_version"],
                ),
            )
        )
    window = signals.get("bookings_window")
    tiles.append(
        definition_tile(
            METRICS["bookings_28d"],
            signals["bookings_28d"],
            signals.get("bookings_prev_28d"),
            locale=locale,
            flow=True,
            period=None if window is None else DayRange(*window),
        )
    )
    for key in ("logins_30d", "failed_invoices_90d", "open_tickets"):
        tiles.append(signal(key, fmt.format_count(signals[key], locale=locale)))
    nps = signals.get("last_nps")
    when = signals.get("last_nps_at")
    tiles.append(
        signal(
            "last_nps",
            fmt.format_count(nps, locale=locale) if nps is not None else fmt.MISSING,
            note="" if when is None else fmt.format_date(when, locale=locale),
        )
    )
    return tiles


def weekly(daily: pd.DataFrame, filters: Filters, *, cpi: pd.DataFrame | None) -> pd.DataFrame:
    """Bookings, completed, no-shows, GMV and payments per week (Monday) in the period.

    GMV and payments are restated in constant ARS when the filters ask for it.
    """
    columns = [
        "week",
        "bookings",
        "completed",
        "no_show",
        "gmv_ars",
        "payments_approved_ars",
        "payments_failed",
    ]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    frame = filters.in_range(daily.assign(day=pd.to_datetime(daily["day"])), "day")
    if frame.empty:
        return pd.DataFrame(columns=columns)
    if filters.constant_ars_month is not None and cpi is not None:
        frame = to_constant_ars(
            frame,
            ["gmv_ars", "payments_approved_ars"],
            month_column="day",
            base_month=filters.constant_ars_month,
            cpi=cpi,
        )
    frame = frame.assign(week=frame["day"].dt.to_period("W-SUN").dt.start_time)
    return frame.groupby("week", as_index=False)[columns[1:]].sum()


def trend_figure(weeks: pd.DataFrame, *, locale: str, money_label: str) -> go.Figure:
    _ = translator(locale)
    title = _("Bookings and GMV per week")
    if weeks.empty or weeks["bookings"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_("No bookings in this period"))
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=weeks["week"],
        y=weeks["bookings"],
        name=_("Bookings"),
        marker={"color": Colors.PRIMARY_LIGHT},
        hovertemplate="%{y:,.0f}<extra>" + _("Bookings") + "</extra>",
    )
    figure.add_scatter(
        x=weeks["week"],
        y=weeks["gmv_ars"],
        name=money_label,
        yaxis="y2",
        mode="lines+markers",
        line={"color": Colors.SECONDARY, "width": 2.5},
        customdata=[[fmt.format_money(v, locale=locale)] for v in weeks["gmv_ars"]],
        hovertemplate="%{customdata[0]}<extra>" + money_label + "</extra>",
    )
    figure.update_layout(
        yaxis={"title": {"text": _("Bookings")}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": money_label},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickprefix": "$ ",
            "tickformat": "~s",
        },
    )
    figure.update_xaxes(tickformat="%d/%m/%y", hoverformat="%d/%m/%Y")
    return figure


def health_figure(health: pd.DataFrame, *, locale: str, note: str | None = None) -> go.Figure:
    """The tenant's daily health score; ``note`` says why there is none (a failed job)."""
    _ = translator(locale)
    title = _("Health score, daily")
    scored = health.dropna(subset=["score"]) if not health.empty else health
    if scored.empty:
        return empty_figure(
            title=title,
            locale=locale,
            message=note or _("No health score stored for this tenant yet"),
        )
    figure = new_figure(title=title, locale=locale)
    bands = (
        (0, RED_BELOW, Colors.NEGATIVE),
        (RED_BELOW, GREEN_FROM, Colors.ACCENT),
        (GREEN_FROM, 100, Colors.POSITIVE),
    )
    for low, high, colour in bands:
        figure.add_hrect(y0=low, y1=high, fillcolor=colour, opacity=0.06, line_width=0)
    figure.add_scatter(
        x=pd.to_datetime(scored["day"]),
        y=scored["score"],
        mode="lines+markers",
        name=_("Health score"),
        line={"color": Colors.PRIMARY, "width": 2.5},
        marker={"size": 5, "color": [BAND_COLOURS.get(b, Colors.PRIMARY) for b in scored["band"]]},
        hovertemplate="%{y:.0f}<extra></extra>",
    )
    figure.update_yaxes(range=[0, 100])
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    figure.update_layout(showlegend=False)
    return figure


def onboarding_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Minutes spent per step of the tenant's onboarding sessions."""
    if steps.empty:
        return pd.DataFrame(columns=["session_id", "step", "entered_at", "completed_at", "minutes"])
    frame = steps.copy()
    frame["minutes"] = (
        pd.to_datetime(frame["completed_at"]) - pd.to_datetime(frame["entered_at"])
    ).dt.total_seconds() / 60
    return frame
