"""Platform Operations: is the console's own machinery healthy?

Refresh duration and rows touched per run, snapshot age and scheduler heartbeat (the
tiles of ``dashboards.refresh_jobs``), job outcomes and failures, the detail providers'
timings, and the data-quality checks of ``core/metrics/frames/platform.py``. Pure
functions of small frames: job runs read live by the page, the rest from snapshots.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from core import formatting as fmt
from core.i18n import N_, translator
from core.metrics.registry import METRICS
from dashboards.kit import Tile, metric_tile
from dashboards.theme import Colors, empty_figure, new_figure

CATEGORIES = {
    "rows": N_("Row count"),
    "orphans": N_("Orphan rows"),
    "nulls": N_("Missing required values"),
    "future": N_("Future-dated rows"),
}
CHECK_STATUSES = {"ok": N_("ok"), "warning": N_("warning")}
# Stages a refresh reports in its job detail, in the order they run.
STAGE_TITLES = {
    "read_changes": N_("Read changes"),
    "rollup_cells": N_("Rollup cells"),
    "rollup_days": N_("Platform days"),
    "dimensions": N_("Dimensions"),
    "read_day_rollup": N_("Read day rollup"),
    "window_totals": N_("Window totals"),
    "compute_metrics": N_("Compute metrics"),
    "today_so_far": N_("Today so far"),
    "write_snapshot": N_("Write snapshot"),
    "commit": N_("Commit"),
}
WINDOWS = {
    "6h": (6, N_("Last 6 hours")),
    "24h": (24, N_("Last 24 hours")),
    "7d": (168, N_("Last 7 days")),
}


def refresh_tiles(
    runs: pd.DataFrame, summary: pd.DataFrame, quality: pd.DataFrame | None, *, locale: str
) -> list[Tile]:
    """Median refresh time and rows of the shown runs, failures, data-quality warnings."""
    _ = translator(locale)
    ok = runs[runs["status"] == "success"] if not runs.empty else runs
    median_s = float(ok["duration_s"].median()) if not ok.empty else None
    last_rows = (
        None
        if ok.empty or pd.isna(ok["rows_touched"].iloc[-1])
        else float(ok["rows_touched"].iloc[-1])
    )
    failures = int(summary["failed"].sum()) if not summary.empty else 0
    warnings = None if quality is None else int((quality["status"] == "warning").sum())
    count = lambda value: fmt.format_count(value, locale=locale)  # noqa: E731
    return [
        metric_tile(
            METRICS["refresh_duration"],
            median_s,
            locale=locale,
            note=_("Successful runs shown below: {n}.").format(n=len(ok)),
        ),
        metric_tile(METRICS["rows_touched"], count(last_rows), locale=locale),
        metric_tile(METRICS["job_failures"], count(failures), locale=locale),
        metric_tile(
            METRICS["quality_warnings"],
            fmt.MISSING if warnings is None else count(warnings),
            locale=locale,
        ),
    ]


def refresh_figure(runs: pd.DataFrame, *, locale: str) -> go.Figure:
    """Seconds per refresh (line) over rows touched per refresh (bars)."""
    _ = translator(locale)
    title = _("Metrics refresh: duration and rows touched per run")
    if runs.empty:
        return empty_figure(
            title=title, locale=locale, message=_("No refresh has run in this window")
        )
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=runs["started_at"],
        y=runs["rows_touched"].astype("float"),
        name=_("Rows touched"),
        marker={"color": Colors.PRIMARY_LIGHT},
        yaxis="y2",
        hovertemplate="%{y:,.0f}<extra>" + _("Rows touched") + "</extra>",
    )
    failed = runs["status"] == "failed"
    figure.add_scatter(
        x=runs["started_at"],
        y=runs["duration_s"],
        name=_("Seconds"),
        mode="lines+markers",
        line={"color": Colors.PRIMARY, "width": 2},
        marker={"size": 5, "color": [Colors.NEGATIVE if f else Colors.PRIMARY for f in failed]},
        hovertemplate="%{y:.3f} s<extra>" + _("Duration") + "</extra>",
    )
    figure.update_layout(
        yaxis={"title": {"text": _("Seconds")}, "rangemode": "tozero"},
        yaxis2={
            "title": {"text": _("Rows touched")},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
        },
    )
    figure.update_xaxes(tickformat="%H:%M", hoverformat="%d/%m %H:%M:%S")
    return figure


def stage_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Median and maximum seconds per refresh stage over the shown successful runs."""
    ok = runs[runs["status"] == "success"] if not runs.empty else runs
    rows = [
        (stage, float(seconds))
        for timings in ok.get("timings", [])
        for stage, seconds in timings.items()
    ]
    if not rows:
        return pd.DataFrame(columns=["stage", "median_s", "max_s", "runs"])
    frame = pd.DataFrame(rows, columns=["stage", "seconds"])
    table = (
        frame.groupby("stage")["seconds"]
        .agg(median_s="median", max_s="max", runs="count")
        .reset_index()
    )
    order = {stage: i for i, stage in enumerate(STAGE_TITLES)}
    return table.sort_values(
        "stage", key=lambda s: s.map(lambda v: order.get(v, len(order)))
    ).reset_index(drop=True)


def stage_figure(stages: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Where a refresh spends its time (median per stage)")
    if stages.empty:
        return empty_figure(
            title=title, locale=locale, message=_("No refresh has run in this window")
        )
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=stages["median_s"] * 1000,
        y=[_(STAGE_TITLES.get(s, s)) for s in stages["stage"]],
        orientation="h",
        marker={"color": Colors.SECONDARY},
        hovertemplate="%{x:.1f} ms<extra></extra>",
    )
    figure.update_xaxes(title={"text": "ms"})
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(showlegend=False, hovermode="closest")
    return figure


def provider_table(timings: dict[str, float] | None, errors: dict[str, str] | None) -> pd.DataFrame:
    """Seconds per detail-frame provider in the newest detail snapshot, and its error if any."""
    timings, errors = timings or {}, errors or {}
    names = sorted(set(timings) | set(errors))
    frame = pd.DataFrame(
        {
            "provider": names,
            "seconds": [timings.get(n) for n in names],
            "error": [errors.get(n) for n in names],
        }
    )
    return frame.sort_values("seconds", ascending=False, na_position="first").reset_index(drop=True)


def provider_figure(providers: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Detail tables: seconds per provider (newest detail refresh)")
    shown = providers.dropna(subset=["seconds"])
    if shown.empty:
        return empty_figure(title=title, locale=locale, message=_("No detail refresh yet"))
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=shown["seconds"],
        y=shown["provider"],
        orientation="h",
        marker={"color": [Colors.NEGATIVE if e else Colors.ACCENT for e in shown["error"]]},
        hovertemplate="%{y}: %{x:.2f} s<extra></extra>",
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(
        showlegend=False, hovermode="closest", height=max(300, 26 * len(shown) + 120)
    )
    return figure


def quality_table(
    quality: pd.DataFrame, *, locale: str, problems_only: bool = False
) -> pd.DataFrame:
    """The checks in the user's language, warnings first."""
    _ = translator(locale)
    frame = quality.copy()
    if problems_only:
        frame = frame[frame["status"] == "warning"]
    frame["category_title"] = [_(CATEGORIES.get(c, c)) for c in frame["category"]]
    frame["check_title"] = [_(c) for c in frame["check"]]
    frame["status_title"] = [_(CHECK_STATUSES.get(s, s)) for s in frame["status"]]
    frame["_order"] = (frame["status"] != "warning").astype(int)
    frame = frame.sort_values(["_order", "category", "table_name", "check_id"]).drop(
        columns="_order"
    )
    return frame[
        [
            "status",
            "status_title",
            "category_title",
            "table_name",
            "check_title",
            "count",
            "check_id",
            "checked_at",
        ]
    ].reset_index(drop=True)


def style_quality(table: pd.DataFrame, *, locale: str) -> Styler:
    def colour(status: object) -> str:
        return (
            f"color: {Colors.NEGATIVE}; font-weight: 600"
            if status == "warning"
            else f"color: {Colors.POSITIVE}"
        )

    styler = table.style.apply(
        lambda col: [colour(s) for s in table["status"]], subset=["status_title"]
    )
    return styler.format({"count": lambda v: fmt.format_count(v, locale=locale)})


def checked_at(quality: pd.DataFrame | None) -> datetime | None:
    if quality is None or quality.empty:
        return None
    return pd.Timestamp(quality["checked_at"].iloc[0]).to_pydatetime()
