"""What an administrator does on the System status page: commands on incidents, maintenance
windows and monitor overrides.

Each command is ``validate`` then ``run`` in one transaction (``core.commands.execute``),
needs :attr:`~core.auth.roles.Capability.OPERATE_SYSTEM` and writes an audit row with
the fields before and after. Bad input raises :class:`OpsCommandError` with one sentence
and nothing is written.

Incidents and overrides are edited from forms, so their commands take
``expected_version``, the version the page showed, and claim it first
(:func:`core.commands.claim_version`): a click from a stale window is refused with
``stale_write``. An override's ``expected_version`` is 0 when the form saw no override.

Resolving an incident by hand while its monitor still fails closes it for good: the
monitor's state keeps pointing at it, so a new incident opens only after the monitor has
been ok again (``core.ops.incidents``). Silences and maintenance windows stop the ops
notifications, not the evaluations: the page keeps showing the real state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.clock import now
from core.commands import Actor, StaleWriteError, claim_version
from core.config import get_settings
from core.errors import DomainError
from core.i18n import N_
from core.ops.catalog import monitor_by_id
from core.ops.incidents import OPEN_STATUSES, announce_closed_by_hand
from core.ops.monitors import CHANNELS, Limits, Monitor, limits_for
from core.schema import OpsIncident, OpsMaintenanceWindow, OpsMonitorOverride

MAX_NOTE = 2000
MAX_REASON = 500
MAX_SILENCE = timedelta(days=7)
MAX_MAINTENANCE = timedelta(days=7)
MAX_WINDOW_S = 30 * 86400.0
MAX_CONSECUTIVE = 20

__all__ = [
    "AcknowledgeIncident",
    "EndMaintenance",
    "OpsCommandError",
    "OverrideMonitor",
    "ResetMonitor",
    "ResolveIncident",
    "ScheduleMaintenance",
    "SilenceIncident",
]


class OpsCommandError(DomainError):
    """Bad input for an operations command: one sentence, nothing changed."""

    def __init__(self, msgid: str, field: str | None = None, **params: Any) -> None:
        super().__init__("ops_rejected", msgid, params, field)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")


# ------------------------------------------------------------------ incidents


def _claimed_incident(session: Session, incident_id: int, expected: int | None) -> OpsIncident:
    """The incident, claimed for this write (its version bumped if the page's is current)."""
    if claim_version(session, OpsIncident, int(incident_id), expected) is None:
        raise OpsCommandError(N_("Incident #{id} does not exist."), id=incident_id)
    incident = session.scalars(
        select(OpsIncident)
        .where(OpsIncident.id == int(incident_id))
        .execution_options(populate_existing=True)
    ).one()
    if incident.status not in OPEN_STATUSES:
        raise OpsCommandError(N_("Incident #{id} is already resolved."), id=incident_id)
    return incident


def _incident_state(incident: OpsIncident) -> dict[str, Any]:
    return {
        "status": incident.status,
        "severity": incident.severity,
        "acknowledged_by": incident.acknowledged_by,
        "silenced_until": _stamp(incident.silenced_until) if incident.silenced_until else None,
        "resolution_note": incident.resolution_note,
    }


def _audit_incident(
    session: Session, incident: OpsIncident, action: str, before: dict[str, Any], actor: Actor
) -> None:
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action=action,
        entity="ops_incident",
        entity_id=incident.id,
        before=before,
        after=_incident_state(incident),
    )


@dataclass
class AcknowledgeIncident:
    """Someone is on it: the incident stays open, marked with who acknowledged it, when."""

    required_capability: ClassVar[Capability | None] = Capability.OPERATE_SYSTEM

    incident_id: int
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        incident = _claimed_incident(session, self.incident_id, self.expected_version)
        if incident.status == "acknowledged":
            raise OpsCommandError(
                N_("Incident #{id} is already acknowledged."), id=self.incident_id
            )

    def run(self, *, session: Session, actor: Actor) -> OpsIncident:
        incident = session.get_one(OpsIncident, int(self.incident_id))
        before = _incident_state(incident)
        incident.status, incident.acknowledged_at = "acknowledged", now()
        incident.acknowledged_by = actor.user_id
        _audit_incident(session, incident, "ops.incident.acknowledge", before, actor)
        return incident


@dataclass
class SilenceIncident:
    """No notification for this incident until ``until`` (None: lift the silence now)."""

    required_capability: ClassVar[Capability | None] = Capability.OPERATE_SYSTEM

    incident_id: int
    until: datetime | None
    expected_version: int | None = None
    at: datetime | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        incident = _claimed_incident(session, self.incident_id, self.expected_version)
        at = self.at or now()
        if self.until is None:
            if incident.silenced_until is None or incident.silenced_until <= at:
                raise OpsCommandError(N_("Incident #{id} is not silenced."), id=self.incident_id)
            return
        if self.until <= at:
            raise OpsCommandError(
                N_("A silence must end in the future; {until} has already passed."),
                "until",
                until=_stamp(self.until),
            )
        if self.until - at > MAX_SILENCE:
            raise OpsCommandError(
                N_(
                    "A silence may last at most {days} days; schedule a maintenance window "
                    "for longer work."
                ),
                "until",
                days=MAX_SILENCE.days,
            )

    def run(self, *, session: Session, actor: Actor) -> OpsIncident:
        incident = session.get_one(OpsIncident, int(self.incident_id))
        before = _incident_state(incident)
        incident.silenced_until = self.until
        action = "ops.incident.silence" if self.until else "ops.incident.unsilence"
        _audit_incident(session, incident, action, before, actor)
        return incident


@dataclass
class ResolveIncident:
    """Close the incident by hand, with a note saying what was done."""

    required_capability: ClassVar[Capability | None] = Capability.OPERATE_SYSTEM

    incident_id: int
    note: str | None
    expected_version: int | None = None

    def _note(self) -> str:
        text = (self.note or "").strip()
        if not text:
            raise OpsCommandError(
                N_("Say what was done to resolve the incident (a note is required)."), "note"
            )
        if len(text) > MAX_NOTE:
            raise OpsCommandError(N_("A note may have at most {n} characters."), "note", n=MAX_NOTE)
        return text

    def validate(self, *, session: Session, actor: Actor) -> None:
        self._note()
        _claimed_incident(session, self.incident_id, self.expected_version)

    def run(self, *, session: Session, actor: Actor) -> OpsIncident:
        incident = session.get_one(OpsIncident, int(self.incident_id))
        before = _incident_state(incident)
        incident.status, incident.resolved_at = "resolved", now()
        incident.resolved_by, incident.resolution_note = actor.user_id, self._note()
        _audit_incident(session, incident, "ops.incident.resolve", before, actor)
        announce_closed_by_hand(session, incident, at=incident.resolved_at, settings=get_settings())
        return incident


# --------------------------------------------------------- maintenance windows


def _monitor(monitor_id: str | None) -> Monitor:
    monitor = monitor_by_id(monitor_id or "")
    if monitor is None:
        raise OpsCommandError(N_("No monitor has the id {id}."), "monitor_id", id=monitor_id)
    return monitor


@dataclass
class ScheduleMaintenance:
    """A window during which the incidents of one monitor (or all: None) do not notify.

    A start already past means "from now": the window is stored from ``at``.
    """

    required_capability: ClassVar[Capability | None] = Capability.OPERATE_SYSTEM

    monitor_id: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    reason: str | None
    at: datetime | None = None

    def _reason(self) -> str:
        text = (self.reason or "").strip()
        if not text:
            raise OpsCommandError(N_("Say why the maintenance window is needed."), "reason")
        if len(text) > MAX_REASON:
            raise OpsCommandError(
                N_("A reason may have at most {n} characters."), "reason", n=MAX_REASON
            )
        return text

    def _start(self) -> datetime:
        at = self.at or now()
        return at if self.starts_at is None or self.starts_at < at else self.starts_at

    def validate(self, *, session: Session, actor: Actor) -> None:
        if self.monitor_id is not None:
            _monitor(self.monitor_id)
        if self.starts_at is None or self.ends_at is None:
            raise OpsCommandError(N_("Give the window's start and end."), "ends_at")
        if self.ends_at <= self.starts_at:
            raise OpsCommandError(
                N_("A maintenance window must end after it starts ({start} to {end})."),
                "ends_at",
                start=_stamp(self.starts_at),
                end=_stamp(self.ends_at),
            )
        if self.ends_at <= (self.at or now()):
            raise OpsCommandError(
                N_("A maintenance window must end in the future; {end} has already passed."),
                "ends_at",
                end=_stamp(self.ends_at),
            )
        if self.ends_at - self._start() > MAX_MAINTENANCE:
            raise OpsCommandError(
                N_("A maintenance window may last at most {days} days."),
                "ends_at",
                days=MAX_MAINTENANCE.days,
            )
        self._reason()

    def run(self, *, session: Session, actor: Actor) -> OpsMaintenanceWindow:
        window = OpsMaintenanceWindow(
            monitor_id=self.monitor_id,
            starts_at=self._start(),
            ends_at=self.ends_at,
            reason=self._reason(),
            created_by=actor.user_id,
            created_at=now(),
        )
        session.add(window)
        session.flush()
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="ops.maintenance.schedule",
            entity="ops_maintenance_window",
            entity_id=window.id,
            after={
                "monitor_id": window.monitor_id,
                "starts_at": _stamp(window.starts_at),
                "ends_at": _stamp(window.ends_at),
                "reason": window.reason,
            },
        )
        return window


@dataclass
class EndMaintenance:
    """End a window now; one that has not started yet is cancelled (deleted)."""

    required_capability: ClassVar[Capability | None] = Capability.OPERATE_SYSTEM

    window_id: int
    at: datetime | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        window = session.get(OpsMaintenanceWindow, int(self.window_id))
        if window is None:
            raise OpsCommandError(N_("Maintenance window #{id} does not exist."), id=self.window_id)
        if window.ends_at <= (self.at or now()):
            raise OpsCommandError(
                N_("Maintenance window #{id} is already over."), id=self.window_id
            )

    def run(self, *, session: Session, actor: Actor) -> None:
        at = self.at or now()
        window = session.get_one(OpsMaintenanceWindow, int(self.window_id))
        before = {"starts_at": _stamp(window.starts_at), "ends_at": _stamp(window.ends_at)}
        cancelled = window.starts_at > at
        if cancelled:
            session.delete(window)
        else:
            window.ends_at = at
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="ops.maintenance.cancel" if cancelled else "ops.maintenance.end",
            entity="ops_maintenance_window",
            entity_id=self.window_id,
            before=before,
            after=None if cancelled else {"ends_at": _stamp(at)},
        )


# ------------------------------------------------------------ monitor overrides


def _claim_override(
    session: Session, monitor_id: str, expected: int | None
) -> OpsMonitorOverride | None:
    """The monitor's override, its version bumped if it is the one the form read.

    ``expected`` 0: the form saw no override (one stored since is a stale write); None:
    no form, take whatever is there.
    """
    row = session.get(OpsMonitorOverride, monitor_id)
    if expected is None:
        return row
    if row is None:
        if int(expected) != 0:
            raise StaleWriteError()
        return None
    claimed = session.execute(
        update(OpsMonitorOverride)
        .where(
            OpsMonitorOverride.monitor_id == monitor_id,
            OpsMonitorOverride.version == int(expected),
        )
        .values(version=OpsMonitorOverride.version + 1)
        .returning(OpsMonitorOverride.version)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if claimed is None:
        raise StaleWriteError()
    return session.scalars(
        select(OpsMonitorOverride)
        .where(OpsMonitorOverride.monitor_id == monitor_id)
        .execution_options(populate_existing=True)
    ).one()


def _limits_state(limits: Limits) -> dict[str, Any]:
    return {
        "warning": limits.warning,
        "critical": limits.critical,
        "window_s": limits.window_s,
        "consecutive": limits.consecutive,
        "channel": limits.channel,
    }


def _threshold(value: object, name: str, monitor: Monitor) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OpsCommandError(N_("The {name} threshold must be a number."), name, name=name)
    number = float(value)
    if number < 0:
        raise OpsCommandError(N_("The {name} threshold cannot be negative."), name, name=name)
    if monitor.unit == "%" and number > 100:
        raise OpsCommandError(
            N_("The {name} threshold is a percentage: between 0 and 100."), name, name=name
        )
    return number


@dataclass
class OverrideMonitor:
    """An administrator's thresholds, window, flapping guard and channel for one monitor.

    A field left None keeps the declaration's value. The merged limits must make sense
    for the monitor's direction: where high is bad, warning below critical; where low is
    bad, warning above critical.
    """

    required_capability: ClassVar[Capability | None] = Capability.OPERATE_SYSTEM

    monitor_id: str
    warning: float | None = None
    critical: float | None = None
    window_s: float | None = None
    consecutive: int | None = None
    channel: str | None = None
    # The override's version the form read; 0: it read none; None: no form.
    expected_version: int | None = None

    def _merged(self) -> tuple[Monitor, Limits]:
        monitor = _monitor(self.monitor_id)
        warning = _threshold(self.warning, "warning", monitor)
        critical = _threshold(self.critical, "critical", monitor)
        if self.window_s is not None and (
            isinstance(self.window_s, bool)
            or not isinstance(self.window_s, int | float)
            or not math.isfinite(self.window_s)
            or not 0 < self.window_s <= MAX_WINDOW_S
        ):
            raise OpsCommandError(
                N_("The window must be more than 0 seconds and at most {days} days."),
                "window_s",
                days=int(MAX_WINDOW_S // 86400),
            )
        if self.consecutive is not None and (
            isinstance(self.consecutive, bool)
            or not isinstance(self.consecutive, int)
            or not 1 <= self.consecutive <= MAX_CONSECUTIVE
        ):
            raise OpsCommandError(
                N_("The flapping guard must be a whole number of checks from 1 to {n}."),
                "consecutive",
                n=MAX_CONSECUTIVE,
            )
        if self.channel is not None and self.channel not in CHANNELS:
            raise OpsCommandError(
                N_("The channel must be one of: {channels}."),
                "channel",
                channels=", ".join(CHANNELS),
            )
        declared = monitor.declared_limits()
        limits = Limits(
            warning if warning is not None else declared.warning,
            critical if critical is not None else declared.critical,
            float(self.window_s) if self.window_s is not None else declared.window_s,
            self.consecutive or declared.consecutive,
            self.channel or declared.channel,
        )
        if limits.warning is not None and limits.critical is not None:
            if monitor.direction == "above" and limits.warning >= limits.critical:
                raise OpsCommandError(
                    N_(
                        "For {monitor}, higher is worse: the warning threshold ({warning}) "
                        "must be below the critical one ({critical})."
                    ),
                    "warning",
                    monitor=monitor.monitor_id,
                    warning=f"{limits.warning:g}",
                    critical=f"{limits.critical:g}",
                )
            if monitor.direction == "below" and limits.warning <= limits.critical:
                raise OpsCommandError(
                    N_(
                        "For {monitor}, lower is worse: the warning threshold ({warning}) "
                        "must be above the critical one ({critical})."
                    ),
                    "warning",
                    monitor=monitor.monitor_id,
                    warning=f"{limits.warning:g}",
                    critical=f"{limits.critical:g}",
                )
        return monitor, limits

    def validate(self, *, session: Session, actor: Actor) -> None:
        monitor, limits = self._merged()
        row = _claim_override(session, self.monitor_id, self.expected_version)
        if limits == limits_for(monitor, row):
            raise OpsCommandError(
                N_("These are already the limits in force for {monitor}; nothing was changed."),
                monitor=self.monitor_id,
            )

    def run(self, *, session: Session, actor: Actor) -> OpsMonitorOverride:
        monitor, limits = self._merged()
        row = session.get(OpsMonitorOverride, self.monitor_id)
        before = _limits_state(limits_for(monitor, row)) if row is not None else None
        if row is None:
            row = OpsMonitorOverride(monitor_id=self.monitor_id)
            session.add(row)
        row.warning, row.critical = self.warning, self.critical
        row.window_s = float(self.window_s) if self.window_s is not None else None
        row.consecutive, row.channel = self.consecutive, self.channel
        row.updated_by, row.updated_at = actor.user_id, now()
        session.flush()
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="ops.monitor.override",
            entity="ops_monitor_override",
            entity_id=self.monitor_id,
            before=before,
            after=_limits_state(limits),
        )
        return row

    def on_commit_error(self, exc: IntegrityError) -> DomainError | None:
        # Two windows that both saw no override: the second insert hits the primary key.
        return StaleWriteError() if self.expected_version is not None else None


@dataclass
class ResetMonitor:
    """Drop the monitor's override: its declared limits are in force again."""

    required_capability: ClassVar[Capability | None] = Capability.OPERATE_SYSTEM

    monitor_id: str
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        _monitor(self.monitor_id)
        if _claim_override(session, self.monitor_id, self.expected_version) is None:
            raise OpsCommandError(
                N_("{monitor} already uses its declared limits."), monitor=self.monitor_id
            )

    def run(self, *, session: Session, actor: Actor) -> None:
        monitor = _monitor(self.monitor_id)
        row = session.get_one(OpsMonitorOverride, self.monitor_id)
        before = _limits_state(limits_for(monitor, row))
        session.delete(row)
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="ops.monitor.reset",
            entity="ops_monitor_override",
            entity_id=self.monitor_id,
            before=before,
            after=_limits_state(monitor.declared_limits()),
        )
