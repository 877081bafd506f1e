"""Refresh & jobs: is the refresh keeping up, which jobs ran, how did they end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from pandas.io.formats.style import Styler

from core import formatting as fmt
from core.metrics.status import RefreshStatus

STATUS_ICONS = {"success": "✅", "failed": "❌", "running": "⏳", "skipped": "⏭️"}


@dataclass(frozen=True)
class StatusTile:
    label: str
    value: str
    help: str


def _age(moment: datetime | None, at: datetime, locale: str) -> str:
    if moment is None:
        return fmt.MISSING
    return fmt.format_age((at - moment).total_seconds(), locale=locale)


def status_tiles(
    status: RefreshStatus, *, at: datetime, interval_s: float, locale: str = fmt.DEFAULT_LOCALE
) -> list[StatusTile]:
    """Snapshot version and age, last refresh outcome, scheduler heartbeat."""
    version = fmt.MISSING if status.snapshot_version is None else f"v{status.snapshot_version}"
    last = status.last_run_status or fmt.MISSING
    return [
        StatusTile("Snapshot", version, "The newest metric snapshot the pages read."),
        StatusTile(
            "Snapshot age",
            _age(status.snapshot_created_at, at, locale),
            f"Computed {fmt.format_datetime(status.snapshot_created_at, locale=locale)}; "
            f"a refresh is due every {fmt.format_duration(interval_s, locale=locale)}.",
        ),
        StatusTile(
            "Last refresh",
            f"{STATUS_ICONS.get(last, '')} {last}".strip(),
            f"Finished {fmt.format_datetime(status.last_run_finished_at, locale=locale)}.",
        ),
        StatusTile(
            "Scheduler heartbeat",
            _age(status.heartbeat_at, at, locale),
            "The newest beat of any scheduler (embedded or standalone).",
        ),
    ]


def _when(locale: str):  # type: ignore[no-untyped-def]
    return lambda v: fmt.format_datetime(v if pd.notna(v) else None, locale=locale)


def style_job_runs(runs: pd.DataFrame, *, locale: str = fmt.DEFAULT_LOCALE) -> Styler:
    shown = runs.assign(status=[f"{STATUS_ICONS.get(s, '')} {s}".strip() for s in runs["status"]])
    return shown.style.format(
        {
            "started_at": _when(locale),
            "finished_at": _when(locale),
            "duration_s": lambda v: (
                fmt.format_number(v, digits=2, locale=locale) + " s" if pd.notna(v) else fmt.MISSING
            ),
            "rows_touched": lambda v: fmt.format_count(v if pd.notna(v) else None, locale=locale),
            "error": lambda v: v if isinstance(v, str) else "",
        }
    )


def style_times(frame: pd.DataFrame, columns: list[str], *, locale: str) -> Styler:
    return frame.style.format({column: _when(locale) for column in columns})
