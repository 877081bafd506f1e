"""How fresh a page's figures are when some come at a slower cadence than the refresh.

Every live page says "data as of" the newest metrics snapshot, refreshed every interval
(30 s). Most detail tables follow it (their providers update from the changed tenant-days
every run), but a provider without ``update`` keeps its stored tables for its cadence
(``FrameProvider.cadence_s``, else ``BARBERPRO_DETAIL_REFRESH_S``), and a few tables copy
a model job's output (churn scores hourly, health scores hourly): those figures can be
older than the line says. :func:`slow_cadences` names them so the page can say so next to
the "data as of" line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from core.jobs.registry import JOBS
from core.metrics.detail import FrameProvider, ProviderState, discover_providers
from core.metrics.snapshot_types import Snapshot

__all__ = ["CHURN_RETRAIN_JOB", "Cadence", "job_cadence_s", "slow_cadences"]

CHURN_RETRAIN_JOB = "churn_retrain"

# Detail tables that copy what scheduled model jobs stored: they are never newer than
# those jobs' last runs, whatever the provider's own cadence. Churn scores come from the
# hourly scoring with the model of the daily retrain.
_CHURN = ("churn_retrain", "churn_score")
JOB_FED_FRAMES: dict[str, tuple[str, ...]] = {
    "churn_risk_scores": _CHURN,
    "overview_tenants_at_risk": _CHURN,
    "health_latest": ("health_scores",),
    "health_history": ("health_scores",),
    "health_weights": ("health_scores",),
}


@dataclass(frozen=True)
class Cadence:
    """A figure refreshed more slowly than the page.

    ``source`` is ``"tables"`` (detail tables kept between recomputations) or the id of
    the job whose output the figure shows; ``computed_at`` is when the tables were last
    computed (None when unknown, e.g. a job's output).
    """

    source: str
    cadence_s: float
    computed_at: datetime | None = None


@cache
def _owners() -> dict[str, FrameProvider]:
    return {name: provider for provider in discover_providers() for name in provider.frames}


def job_cadence_s(job_id: str) -> float | None:
    """How often the scheduled job ``job_id`` runs (None for a job at the refresh interval
    or an unknown id)."""
    return next((spec.every_s for spec in JOBS if spec.job_id == job_id), None)


def slow_cadences(
    detail: Snapshot | None, frame_names: Iterable[str], *, default_cadence_s: float
) -> list[Cadence]:
    """The slower cadences behind the detail tables ``frame_names`` a page reads.

    Parameters
    ----------
    detail : Snapshot or None
        The newest detail snapshot (its ``kpis["_providers"]`` records when each provider
        last computed its tables); None before the first one.
    frame_names : iterable of str
        The tables the page read (metrics-snapshot tables and unknown names are ignored).
    default_cadence_s : float
        ``BARBERPRO_DETAIL_REFRESH_S``: the cadence of a provider without ``update`` and
        without a ``cadence_s`` of its own.

    Returns
    -------
    list of Cadence
        At most one ``"tables"`` entry (the slowest cadence and the oldest computation of
        the non-incremental providers involved), then one per model job, slowest first.
    """
    owners = _owners()
    names = set(frame_names)
    states = (detail.kpis.get("_providers") if detail is not None else None) or {}
    kept: list[Cadence] = []
    for provider in {owners[name].name: owners[name] for name in names if name in owners}.values():
        if provider.incremental:
            continue  # follows the refresh interval
        state = ProviderState.from_json(states.get(provider.name))
        cadence = provider.cadence_s if provider.cadence_s is not None else default_cadence_s
        kept.append(Cadence("tables", cadence, None if state is None else state.computed_at))
    found: list[Cadence] = []
    if kept:
        computed = [c.computed_at for c in kept if c.computed_at is not None]
        found.append(
            Cadence(
                "tables",
                max(c.cadence_s for c in kept),
                min(computed) if computed else None,
            )
        )
    jobs = sorted({job for name in names for job in JOB_FED_FRAMES.get(name, ())})
    job_cadences = [(job, job_cadence_s(job)) for job in jobs]
    found.extend(
        Cadence(job, every)
        for job, every in sorted(job_cadences, key=lambda pair: -(pair[1] or 0))
        if every is not None
    )
    return found
