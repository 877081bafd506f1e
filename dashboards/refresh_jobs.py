"""Refresh & jobs: is the refresh keeping up, which jobs ran, how did they end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd
from pandas.io.formats.style import Styler

from core import formatting as fmt
from core.i18n import N_, translator
from core.jobs.failures import FAILURE_TEXTS, failure_kind
from core.metrics.registry import METRICS
from core.metrics.snapshot_types import RefreshStatus
from dashboards.kit import Tile, metric_tile
from dashboards.theme import Colors

# Material Symbols names (the font ships with Streamlit; emoji fonts often do not).
STATUS_ICONS = {
    "success": ":material/check_circle:",
    "failed": ":material/error:",
    "running": ":material/pending:",
    "skipped": ":material/skip_next:",
    "interrupted": ":material/stop_circle:",
}
STATUS_COLOURS = {
    "success": Colors.POSITIVE,
    "failed": Colors.NEGATIVE,
    "interrupted": Colors.NEGATIVE,
}
RUN_STATUSES = {
    "success": N_("success"),
    "failed": N_("failed"),
    "running": N_("running"),
    "skipped": N_("skipped"),
    "interrupted": N_("interrupted"),
}


def _age(moment: datetime | None, at: datetime, locale: str) -> str:
    if moment is None:
        return fmt.MISSING
    return fmt.format_age((at - moment).total_seconds(), locale=locale)


def status_tiles(
    status: RefreshStatus, *, at: datetime, interval_s: float, locale: str = fmt.DEFAULT_LOCALE
) -> list[Tile]:
    """Snapshot version and age, last refresh outcome, scheduler heartbeat."""
    _ = translator(locale)
    version = fmt.MISSING if status.snapshot_version is None else f"v{status.snapshot_version}"
    last = status.last_run_status
    finished = _("Finished {when}.").format(
        when=fmt.format_datetime(status.last_run_finished_at, locale=locale)
    )
    if last == "failed":
        # The kind of failure; the error's text is in the runs table below, for admins.
        reason = FAILURE_TEXTS[failure_kind(status.last_error)]
        finished += " " + _("Failed: {reason}.").format(reason=_(reason))
    computed = _("Computed {when}; a refresh is due every {interval}.").format(
        when=fmt.format_datetime(status.snapshot_created_at, locale=locale),
        interval=fmt.format_duration(interval_s, locale=locale),
    )
    return [
        metric_tile(METRICS["snapshot_version"], version, locale=locale),
        metric_tile(
            METRICS["snapshot_age"],
            _age(status.snapshot_created_at, at, locale),
            locale=locale,
            note=computed,
        ),
        metric_tile(
            METRICS["last_refresh"],
            _(RUN_STATUSES.get(last, last)) if last else fmt.MISSING,
            locale=locale,
            note=finished,
            icon=STATUS_ICONS.get(last or ""),
        ),
        metric_tile(METRICS["heartbeat"], _age(status.heartbeat_at, at, locale), locale=locale),
    ]


def _when(locale: str) -> Callable[[object], str]:
    return lambda v: fmt.format_datetime(v if pd.notna(v) else None, locale=locale)  # type: ignore[arg-type]


def _status_colour(status: object) -> str:
    colour = STATUS_COLOURS.get(str(status))
    return f"color: {colour}; font-weight: 600" if colour else ""


def style_job_runs(runs: pd.DataFrame, *, locale: str = fmt.DEFAULT_LOCALE) -> Styler:
    """Job runs with coloured statuses, local times and durations in seconds."""

    def seconds(value: float) -> str:
        return (
            fmt.MISSING
            if pd.isna(value)
            else f"{fmt.format_number(value, digits=2, locale=locale)} s"
        )

    _ = translator(locale)
    styler = runs.style.map(_status_colour, subset=["status"])
    return styler.format(
        {
            "status": lambda v: _(RUN_STATUSES.get(str(v), str(v))),
            "started_at": _when(locale),
            "finished_at": _when(locale),
            "duration_s": seconds,
            "rows_touched": lambda v: fmt.format_count(None if pd.isna(v) else v, locale=locale),
        }
    )


def style_times(frame: pd.DataFrame, columns: list[str], *, locale: str) -> Styler:
    """Any table whose ``columns`` hold timestamps, shown as local date and time."""
    return frame.style.format({column: _when(locale) for column in columns})


def overdue_notices(overdue: pd.DataFrame, *, locale: str = fmt.DEFAULT_LOCALE) -> list[str]:
    """One line per run that has been running longer than its job is expected to take."""
    _ = translator(locale)
    return [
        _(
            "Run {run} of **{job}** has been running for {elapsed} s, longer than the "
            "{expected} s it is expected to take: it may be stuck."
        ).format(
            run=int(row.run_id),
            job=row.job_id,
            elapsed=fmt.format_number(row.elapsed_s, digits=0, locale=locale),
            expected=fmt.format_number(row.expected_s, digits=0, locale=locale),
        )
        for row in overdue.itertuples()
    ]
