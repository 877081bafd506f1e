"""Triage: the alert queue as a readable table, and the tenant card's charts and tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.metrics.registry import METRICS
from core.workflows.alerts.definitions import ACTION_LABELS, OUTCOME_LABELS, REASON_LABELS
from dashboards.kit import Tile, metric_tile
from dashboards.links import tenant_url
from dashboards.theme import Colors, empty_figure, new_figure

STATUS_LABELS = {"open": N_("Open"), "snoozed": N_("Snoozed"), "closed": N_("Closed")}
EVENT_LABELS = {
    "nps": N_("NPS"),
    "invoice": N_("Invoice"),
    "ticket": N_("Support ticket"),
    "cs_action": N_("CS action"),
}
BAND_COLORS = {"red": Colors.NEGATIVE, "yellow": Colors.ACCENT, "green": Colors.POSITIVE}


def reason_label(reason: str, locale: str) -> str:
    return translator(locale)(REASON_LABELS.get(reason, reason))


def outcome_label(outcome: str | None, locale: str) -> str:
    return translator(locale)(OUTCOME_LABELS.get(outcome, outcome)) if outcome else fmt.MISSING


def action_label(kind: str, locale: str) -> str:
    return translator(locale)(ACTION_LABELS.get(kind, kind))


@dataclass(frozen=True)
class QueueSummary:
    open: int
    snoozed: int
    escalated: int
    priority_total: float


def summarize(queue: pd.DataFrame) -> QueueSummary:
    return QueueSummary(
        open=int((queue["status"] == "open").sum()),
        snoozed=int((queue["status"] == "snoozed").sum()),
        escalated=int(queue["escalated"].sum()) if len(queue) else 0,
        priority_total=float(queue["priority"].sum()) if len(queue) else 0.0,
    )


def queue_tiles(summary: QueueSummary, *, locale: str) -> list[Tile]:
    """The queue's tiles: metrics of the registry, over the alerts the filters show."""
    count = lambda value: fmt.format_count(value, locale=locale)  # noqa: E731
    return [
        metric_tile(METRICS["open_alerts"], count(summary.open), locale=locale),
        metric_tile(METRICS["snoozed_alerts"], count(summary.snoozed), locale=locale),
        metric_tile(METRICS["escalated_alerts"], count(summary.escalated), locale=locale),
        metric_tile(
            METRICS["priority_in_queue"],
            fmt.format_money(summary.priority_total, locale=locale),
            locale=locale,
        ),
    ]


def card_tiles(alert: dict[str, Any], *, locale: str) -> list[Tile]:
    """The tenant card's tiles: the alert's priority, the MRR and churn probability it
    was computed from, and how many signals fired it."""
    _ = translator(locale)
    model = alert["probability_source"] == "model"
    source = _("churn model") if model else _("prior: holdout churn")
    return [
        metric_tile(
            METRICS["priority"], fmt.format_money(alert["priority"], locale=locale), locale=locale
        ),
        metric_tile(
            METRICS["alert_mrr_at_risk"],
            fmt.format_money(alert["mrr_at_risk"], locale=locale),
            locale=locale,
        ),
        metric_tile(
            METRICS["churn_probability"],
            fmt.format_percent(alert["churn_probability"], locale=locale),
            locale=locale,
            note=source,
        ),
        metric_tile(
            METRICS["signal_count"],
            fmt.format_count(alert["signal_count"], locale=locale),
            locale=locale,
        ),
    ]


def queue_table(queue: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    """The queue for display: labels translated, a Tenant 360 link, numbers formatted."""
    _ = translator(locale)
    return pd.DataFrame(
        {
            "alert_id": queue["alert_id"],
            "tenant": [
                tenant_url(t, n, locale=locale)
                for t, n in zip(queue["tenant_id"], queue["tenant"], strict=True)
            ],
            "tier": queue["tier"],
            "reason": [reason_label(r, locale) for r in queue["reason"]],
            "priority": [fmt.format_money(v, locale=locale) for v in queue["priority"]],
            "churn_probability": [
                fmt.format_percent(p, locale=locale) + ("" if s == "model" else " *")
                for p, s in zip(
                    queue["churn_probability"], queue["probability_source"], strict=True
                )
            ],
            "mrr_at_risk": [fmt.format_money(v, locale=locale) for v in queue["mrr_at_risk"]],
            "status": [
                _(STATUS_LABELS.get(s, s)) + (" ↑" if e else "")
                for s, e in zip(queue["status"], queue["escalated"], strict=True)
            ],
            "assignee": queue["assignee"].fillna(fmt.MISSING),
            "triggered_at": [fmt.format_datetime(v, locale=locale) for v in queue["triggered_at"]],
            "arm": [_("Holdout") if a == "holdout" else _("Treated") for a in queue["arm"]],
        }
    )


def driver_texts(drivers: list[str], messages: list[dict[str, Any]], *, locale: str) -> list[str]:
    """The churn model's drivers in ``locale`` when it gave msgids, else its English text."""
    _ = translator(locale)
    texts = []
    for message in messages:
        try:
            texts.append(_(str(message["msgid"])).format(**dict(message.get("params") or {})))
        except (KeyError, IndexError, ValueError):
            return drivers
    return texts or drivers


def option_label(row: Any, *, locale: str) -> str:
    """``#12 · Barbería Sur · Failed invoice · $ 20.000`` for the alert picker."""
    return " · ".join(
        [
            f"#{row.alert_id}",
            str(row.tenant),
            reason_label(row.reason, locale),
            fmt.format_money(row.priority, locale=locale),
        ]
    )


def health_figure(health: pd.DataFrame | None, *, locale: str, note: str | None) -> go.Figure:
    _ = translator(locale)
    title = _("Health score, last 90 days")
    if health is None or health.empty or "score" not in health:
        return empty_figure(title=title, locale=locale, message=_(note or "No health score yet."))
    figure = new_figure(title=title, locale=locale)
    days = pd.to_datetime(health["day"])
    figure.add_trace(
        go.Scatter(
            x=days,
            y=health["score"].astype(float),
            mode="lines+markers",
            name=_("Score"),
            line={"color": Colors.PRIMARY},
            marker={
                "color": [BAND_COLORS.get(b, Colors.TEXT) for b in health.get("band", [])],
                "size": 6,
            },
        )
    )
    for level, color in ((40, Colors.NEGATIVE), (70, Colors.POSITIVE)):
        figure.add_hline(y=level, line={"dash": "dot", "color": color, "width": 1})
    figure.update_yaxes(range=[0, 100])
    figure.update_layout(height=260, showlegend=False, margin={"t": 40, "b": 30})
    return figure


def bookings_figure(bookings: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Appointments per day, last 60 days")
    if bookings.empty:
        figure = empty_figure(title=title, locale=locale, message=_("No appointments in 60 days."))
        figure.update_layout(height=260, margin={"t": 40, "b": 30})
        return figure
    figure = new_figure(title=title, locale=locale)
    days = pd.to_datetime(bookings["day"])
    figure.add_trace(
        go.Bar(x=days, y=bookings["bookings"], name=_("Appointments"), marker_color=Colors.PRIMARY)
    )
    figure.add_trace(
        go.Bar(x=days, y=bookings["no_show"], name=_("No-shows"), marker_color=Colors.NEGATIVE)
    )
    figure.update_layout(
        height=260,
        barmode="overlay",
        margin={"t": 40, "b": 30},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def events_table(events: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    _ = translator(locale)
    return pd.DataFrame(
        {
            "when": [fmt.format_datetime(v, locale=locale) for v in events["when"]],
            "kind": [_(EVENT_LABELS.get(k, k)) for k in events["kind"]],
            "text": events["text"],
        }
    )


def history_table(history: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    """The alert's audit trail: when, what, who, and the fields that changed."""

    def changes(before: Any, after: Any) -> str:
        before, after = before or {}, after or {}
        keys = [k for k in after if before.get(k) != after.get(k)]
        return "; ".join(f"{k}: {before.get(k, fmt.MISSING)} → {after[k]}" for k in keys)

    return pd.DataFrame(
        {
            "when": [fmt.format_datetime(v, locale=locale) for v in history["when"]],
            "action": history["action"],
            "who": history["who"].fillna(translator(locale)("rules (automatic)")),
            "changes": [
                changes(b, a) for b, a in zip(history["before"], history["after"], strict=True)
            ],
        }
    )


def signal_lines(reason: str, signal: dict[str, Any], *, locale: str) -> list[str]:
    """What triggered the alert, in a few plain sentences."""
    _ = translator(locale)
    g = signal.get
    if reason == "failed_invoice":
        return [
            _("Invoice of {amount} issued {day}: {status} after {n} attempts.").format(
                amount=fmt.format_money(g("amount_ars"), locale=locale),
                day=g("issued_on"),
                status=g("status"),
                n=g("attempts"),
            ),
            _("{n} failed invoices in the rule's window.").format(n=g("failed_invoices", 1)),
        ]
    if reason == "nps_detractor":
        comment = g("comment") or fmt.MISSING
        return [
            _("NPS {score}/10 on {day}: “{comment}”").format(
                score=g("score"), day=_when(g("responded_at"), locale), comment=comment
            )
        ]
    if reason == "no_bookings":
        return [
            _("No appointments for {days} days; the last one was on {day}.").format(
                days=g("days_without") or g("days"), day=g("last_booking_day") or fmt.MISSING
            )
        ]
    if reason == "onboarding_stalled":
        return [
            _("{n} appointments in the {days} days since signup ({signup}).").format(
                n=g("bookings_since_signup"), days=g("days_since_signup"), signup=g("signup_date")
            )
        ]
    if reason == "health_red":
        return [
            _("Health score {score} on {day} (trend: {trend}).").format(
                score=g("score"), day=g("day"), trend=g("trend_7d") or fmt.MISSING
            )
        ]
    if reason == "churn_risk":
        return [
            _("Churn probability {p} (threshold {t}), model {v}.").format(
                p=fmt.format_percent(g("probability"), locale=locale),
                t=fmt.format_percent(g("threshold"), locale=locale),
                v=g("model_version"),
            )
        ]
    return [str(signal)]


def _when(value: Any, locale: str) -> str:
    try:
        return fmt.format_datetime(datetime.fromisoformat(str(value)), locale=locale)
    except ValueError:
        return str(value)
