"""What pages read: a snapshot and the freshness of the newest one. Pure, no SQL.

The stores that fill them run SQL (``core.metrics.snapshots`` loads snapshots,
``core.metrics.status`` computes the status); the pure dashboards only take them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from core.clock import now
from core.i18n import gettext


@dataclass(frozen=True)
class Snapshot:
    version: int
    created_at: datetime
    as_of: datetime
    kind: str
    kpis: dict[str, dict[str, float | None]]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def frame(self, name: str) -> pd.DataFrame:
        return self.frames[name]


@dataclass(frozen=True)
class RefreshStatus:
    snapshot_version: int | None
    snapshot_created_at: datetime | None
    last_run_status: str | None
    last_run_finished_at: datetime | None
    last_error: str | None
    heartbeat_at: datetime | None
    stale: bool
    stale_reason: str | None  # in English, for logs; stale_text() gives it translated
    stale_template: str | None = None
    stale_params: dict[str, str] | None = None

    def stale_text(self, locale: str) -> str | None:
        if self.stale_template is None:
            return self.stale_reason
        # A parameter may be a msgid itself (the failure's kind); other values pass as they are.
        params = {key: gettext(value, locale) for key, value in (self.stale_params or {}).items()}
        return gettext(self.stale_template, locale).format(**params)

    def age_seconds(self, at: datetime | None = None) -> float | None:
        if self.snapshot_created_at is None:
            return None
        return ((at or now()) - self.snapshot_created_at).total_seconds()
