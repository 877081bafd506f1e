"""The monitors: declared checks, each with a threshold, a window, a severity and a runbook.

A :class:`Monitor` is declared once, in :data:`MONITORS`: what it measures (a function of
a :class:`~core.ops.measures.Probe` returning a :class:`Reading`), its unit, the
thresholds at which it turns ``warning`` and ``critical`` (and in which direction), the
window it looks back over, the worst severity it can reach, how many evaluations in a
row it takes to change state (the flapping guard), how often it is measured, and one
runbook line: what to do when it fires. Admins override the thresholds, the window, the
guard and the channel per monitor (``ops_monitor_overrides``); :func:`limits_for`
merges an override over the declaration.

The watchdog (``core.ops.watchdog``) evaluates every monitor every 30 seconds; the
README's monitors table is generated from the declarations
(``core.ops.catalog.monitors_markdown``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from core.i18n import N_, gettext

if TYPE_CHECKING:
    from core.schema import OpsMonitorOverride

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
LEVELS = (OK, WARNING, CRITICAL)
RANK = {OK: 0, UNKNOWN: 0, WARNING: 1, CRITICAL: 2}
Direction = Literal["above", "below"]
CHANNELS = ("ops", "none")


@dataclass(frozen=True)
class Reading:
    """What one measurement found.

    ``value`` is in the monitor's unit (None: nothing to measure). ``evidence`` is an
    English msgid with ``{name}`` fields filled from ``params`` when shown (so the page
    shows it in the reader's language). ``state`` forces a state regardless of the
    thresholds: a database that does not answer is critical whatever its latency was.
    """

    value: float | None
    evidence: str
    params: Mapping[str, object] = field(default_factory=dict)
    state: str | None = None

    def evidence_json(self) -> str:
        return json.dumps({"text": self.evidence, "params": dict(self.params)}, default=str)


@dataclass(frozen=True)
class Limits:
    """The thresholds, window, flapping guard and channel in force for one monitor."""

    warning: float | None
    critical: float | None
    window_s: float
    consecutive: int
    channel: str = "ops"


@dataclass(frozen=True)
class Monitor:
    monitor_id: str
    component: str
    title: str  # English msgid
    measures: str  # English msgid: what the value is
    unit: str  # ms, s, h, d, %, MB, MB/d, count, psi
    direction: Direction  # "above": bad when the value is at or above a threshold
    warning: float | None
    critical: float | None
    runbook: str  # English msgid: what to do when it fires
    # A function of a core.ops.measures.Probe (typed Any: measures imports this module).
    measure: Callable[[Any], Reading]
    window_s: float = 3600.0
    consecutive: int = 2
    # Measured at most this often (heavy scans); between, the last reading stands.
    every_s: float = 0.0
    title_params: Mapping[str, str] = field(default_factory=dict)

    def title_text(self, locale: str = "en") -> str:
        return gettext(self.title, locale).format(**self.title_params)

    @property
    def severity(self) -> str:
        """The worst state its thresholds can reach."""
        return CRITICAL if self.critical is not None else WARNING

    def declared_limits(self) -> Limits:
        return Limits(self.warning, self.critical, self.window_s, self.consecutive)


def limits_for(monitor: Monitor, override: OpsMonitorOverride | None) -> Limits:
    """The declaration with an admin's override laid over it (None fields keep theirs)."""
    limits = monitor.declared_limits()
    if override is None:
        return limits
    return replace(
        limits,
        warning=override.warning if override.warning is not None else limits.warning,
        critical=override.critical if override.critical is not None else limits.critical,
        window_s=override.window_s if override.window_s is not None else limits.window_s,
        consecutive=override.consecutive or limits.consecutive,
        channel=override.channel or limits.channel,
    )


def judge(monitor: Monitor, reading: Reading, limits: Limits) -> str:
    """The state a reading puts the monitor in under ``limits``."""
    if reading.state is not None:
        return reading.state
    value = reading.value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return OK
    for level, threshold in ((CRITICAL, limits.critical), (WARNING, limits.warning)):
        if threshold is None:
            continue
        if monitor.direction == "above" and value >= threshold:
            return level
        if monitor.direction == "below" and value <= threshold:
            return level
    return OK


def evidence_text(raw: str, locale: str) -> str:
    """A stored evidence (``Reading.evidence_json``) in ``locale``."""
    try:
        data: dict[str, Any] = json.loads(raw)
        template, params = str(data["text"]), dict(data.get("params") or {})
    except (ValueError, KeyError, TypeError):
        return raw
    try:
        return gettext(template, locale).format(**params)
    except (KeyError, IndexError, ValueError):
        return template


UNIT_LABELS = {
    "ms": N_("ms"),
    "s": N_("seconds"),
    "h": N_("hours"),
    "d": N_("days"),
    "%": "%",
    "MB": "MB",
    "MB/d": N_("MB per day"),
    "count": N_("count"),
    "psi": "PSI",
}


def threshold_text(monitor: Monitor, limits: Limits, locale: str = "en") -> str:
    """'≥ 30 / ≥ 60 seconds': the warning and critical thresholds, as a reader sees them."""
    if limits.warning is None and limits.critical is None:
        return gettext(N_("critical when the check fails"), locale)
    sign = "≥" if monitor.direction == "above" else "≤"
    unit = gettext(UNIT_LABELS.get(monitor.unit, monitor.unit), locale)
    parts = [
        f"{sign} {_number(value)}" if value is not None else "—"
        for value in (limits.warning, limits.critical)
    ]
    return f"{parts[0]} / {parts[1]} {unit}"


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.3g}"


def window_text(seconds: float) -> str:
    """'1 h', '14 d', '5 min': a monitor's window as the README and the page show it."""
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:g} d"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"
