"""What `python -m bench startup` watches in the console database: is every page's data
complete, and how old is each dashboard's data.

"Complete" is defined from what the pages read (``core/queries/live.py``: the newest
metrics and detail snapshots; the model tables through the detail providers):

- ``metrics``: a metrics snapshot exists (headline KPIs and daily series of every page);
- ``detail_tables``: the newest detail snapshot holds every provider's tables, none of
  them failed, and the finance ledger covers the whole history (Financial Operations
  says "history from ..." until it does);
- ``health_history``: every day the health job wants (``wanted_days``) is stored;
- ``churn_model``: a promoted churn model exists and has scored the tenants;
- ``model_tables``: the detail tables that show model outputs (``MODEL_PROVIDERS``) were
  each computed after the outputs they show were last written (health scores for
  Customer Health, churn scores for Churn & Retention and the Overview's tenants at
  risk: ``FrameProvider.inputs_written_at``), so those pages show them;
- ``alerts``: a successful ``alert_rules`` run started after those model outputs.

Read-only and cheap (indexed reads and one small private frame), so it can be polled
every couple of seconds beside the running scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.jobs.registry import JOBS
from core.metrics.detail import FrameProvider, ProviderState
from core.metrics.frames.finance import LEDGER_RANGE_FRAME
from core.metrics.snapshots import frame_from_bytes, latest_detail_version, latest_version
from core.models.churn.registry import promoted_version
from core.models.health.job import days_to_compute
from core.schema import ChurnScore, HealthScore, JobRun, MetricSnapshot, SnapshotFrame

CRITERIA = (
    "metrics",
    "detail_tables",
    "health_history",
    "churn_model",
    "model_tables",
    "alerts",
)
# Detail providers whose tables show model outputs: they are complete only once computed
# after the model wrote them.
MODEL_PROVIDERS = ("health", "churn", "tenants_at_risk")
# Model outputs on a declared slower cadence than the refresh: the job that writes them.
MODEL_CADENCES = {
    "health scores (Customer Health, daily scores)": "health_scores",
    "churn scores (Churn & Retention, Tenants at risk)": "churn_score",
    "churn model and its model card (daily retrain)": "churn_retrain",
}


@dataclass(frozen=True)
class ConsoleState:
    """One look at the console database."""

    met: dict[str, bool]  # criterion -> met now
    why_not: dict[str, str]  # criterion -> what is missing (only the unmet ones)

    @property
    def complete(self) -> bool:
        return all(self.met.values())


def _detail_states(session: Session) -> tuple[int | None, dict[str, ProviderState]]:
    version = latest_detail_version(session=session)
    if version is None:
        return None, {}
    snapshot = session.get(MetricSnapshot, version)
    raw = (snapshot.kpis or {}).get("_providers") if snapshot is not None else None
    if not isinstance(raw, dict):
        return version, {}
    states = {name: ProviderState.from_json(value) for name, value in raw.items()}
    return version, {name: state for name, state in states.items() if state is not None}


def _finance_history_complete(session: Session, version: int) -> bool:
    data = session.scalar(
        select(SnapshotFrame.data).where(
            SnapshotFrame.version == version, SnapshotFrame.name == LEDGER_RANGE_FRAME
        )
    )
    if data is None:
        return False
    covered = frame_from_bytes(bytes(data)).iloc[0]
    return bool(covered["covered_from"] <= covered["history_start"])


def _model_outputs_at(session: Session) -> datetime | None:
    """When the newest model outputs the pages show were written (None: none yet)."""
    health = session.scalar(select(func.max(HealthScore.computed_at)))
    churn = session.scalar(select(func.max(ChurnScore.scored_at)))
    written = [moment for moment in (health, churn) if moment is not None]
    return max(written) if written else None


def _computed_before_its_outputs(
    provider: FrameProvider | None,
    state: ProviderState | None,
    session: Session,
    outputs_at: datetime | None,
) -> bool:
    """True until the provider's tables were computed after the model outputs they show
    (``FrameProvider.inputs_written_at``; without it, after the newest of any)."""
    if state is None or state.computed_at is None:
        return True
    written = (
        provider.inputs_written_at(session)
        if provider is not None and provider.inputs_written_at is not None
        else outputs_at
    )
    return written is None or state.computed_at < written


def console_state(*, session: Session, today: date, providers: list[FrameProvider]) -> ConsoleState:
    """Which of ``CRITERIA`` the console's data meets now (see the module docstring)."""
    why: dict[str, str] = {}
    if latest_version(session=session) is None:
        why["metrics"] = "no metrics snapshot"
    version, states = _detail_states(session)
    missing = [p.name for p in providers if p.name not in states]
    failed = [name for name, state in states.items() if state.mode == "failed"]
    if version is None:
        why["detail_tables"] = "no detail snapshot"
    elif missing or failed:
        why["detail_tables"] = f"missing {missing}, failed {failed}"
    elif not _finance_history_complete(session, version):
        why["detail_tables"] = "the finance ledger does not cover the whole history yet"
    todo = days_to_compute(session=session, today=today)
    if todo:
        why["health_history"] = f"{len(todo)} health days to compute"
    if promoted_version(session=session) is None:
        why["churn_model"] = "no promoted churn model"
    elif session.scalar(select(func.max(ChurnScore.scored_at))) is None:
        why["churn_model"] = "the promoted model has not scored yet"
    outputs_at = _model_outputs_at(session)
    declared = {provider.name: provider for provider in providers}
    stale = [
        name
        for name in MODEL_PROVIDERS
        if _computed_before_its_outputs(declared.get(name), states.get(name), session, outputs_at)
    ]
    if stale or "health_history" in why or "churn_model" in why:
        why["model_tables"] = f"computed before the model outputs: {stale}"
    last_alerts = session.scalar(
        select(func.max(JobRun.started_at)).where(
            JobRun.job_id == "alert_rules", JobRun.status == "success"
        )
    )
    if outputs_at is None or last_alerts is None or last_alerts < outputs_at:
        why["alerts"] = "no alert_rules run since the model outputs"
    elif "health_history" in why or "churn_model" in why:
        why["alerts"] = "waits for the health history and the churn model"
    return ConsoleState(met={name: name not in why for name in CRITERIA}, why_not=why)


def data_ages(
    *, session: Session, at: datetime, providers: list[FrameProvider]
) -> dict[str, float | None]:
    """Seconds between ``at`` and the moment each dashboard data source describes.

    ``metrics``: the newest metrics snapshot's as-of; ``detail:<provider>``: when that
    provider's tables in the newest detail snapshot were computed (a kept provider keeps
    its computation time). None: not there yet.
    """
    ages: dict[str, float | None] = {}
    newest = latest_version(session=session)
    snapshot = session.get(MetricSnapshot, newest) if newest is not None else None
    ages["metrics"] = None if snapshot is None else (at - snapshot.as_of).total_seconds()
    _version, states = _detail_states(session)
    for provider in providers:
        state = states.get(provider.name)
        computed = None if state is None else state.computed_at
        ages[f"detail:{provider.name}"] = (
            None if computed is None else (at - computed).total_seconds()
        )
    return ages


def slower_cadences(providers: list[FrameProvider]) -> dict[str, float]:
    """Data on a declared slower cadence than the refresh, with that cadence in seconds:
    providers with their own ``cadence_s`` and no ``update``, and the model outputs."""
    declared = {
        f"detail:{p.name}": float(p.cadence_s)
        for p in providers
        if p.update is None and p.cadence_s is not None
    }
    every = {spec.job_id: spec.every_s for spec in JOBS}
    for label, job_id in MODEL_CADENCES.items():
        seconds = every.get(job_id)
        if seconds is not None:
            declared[label] = float(seconds)
    return declared


def summary(state: ConsoleState) -> dict[str, Any]:
    """The state as JSON-ready facts."""
    return {"met": state.met, "why_not": state.why_not}
