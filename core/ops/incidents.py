"""Monitor states and ops incidents: the flapping guard, opening, escalating, closing.

Each evaluation of a monitor updates its row in ``ops_monitor_states``: ``observed`` is
the latest evaluation's own state and ``streak`` how many evaluations in a row gave it.
The shown ``state`` follows only once the streak reaches the monitor's ``consecutive``
(the flapping guard), in both directions, so one slow query neither opens nor closes an
incident. ``unknown`` (a measure that failed) never moves the state.

A change of state opens, escalates or closes the monitor's incident, at most one open
per monitor (deduplicated like CS alerts): ok → warning/critical opens one; warning →
critical raises its severity; back to ok resolves it (``resolved_by`` empty: it
recovered on its own). A person who resolves an incident while the monitor still fails
closes it for good: a new one opens only after the monitor has been ok again.

Each of those events enqueues a message per configured ops channel
(``ops_notification_outbox``, delivered by the watchdog, ``core.ops.notify``) unless the
monitor's channel is ``none``, a maintenance window covers it, or the incident is
silenced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.ops.catalog import monitor_by_id
from core.ops.monitors import (
    CRITICAL,
    OK,
    RANK,
    UNKNOWN,
    Limits,
    Monitor,
    Reading,
    evidence_text,
    limits_for,
)
from core.schema import (
    OpsIncident,
    OpsMaintenanceWindow,
    OpsMonitorOverride,
    OpsMonitorState,
    OpsNotification,
)

OPEN_STATUSES = ("open", "acknowledged")


@dataclass(frozen=True)
class Transition:
    monitor_id: str
    before: str
    after: str
    incident_id: int | None
    event: str | None  # opened, escalated, resolved (None: no incident change)
    notified: bool


def in_maintenance(session: Session, monitor_id: str, at: datetime) -> bool:
    """Whether a maintenance window covering ``monitor_id`` is on at ``at``."""
    return (
        session.scalar(
            select(OpsMaintenanceWindow.id)
            .where(
                OpsMaintenanceWindow.starts_at <= at,
                OpsMaintenanceWindow.ends_at > at,
                or_(
                    OpsMaintenanceWindow.monitor_id.is_(None),
                    OpsMaintenanceWindow.monitor_id == monitor_id,
                ),
            )
            .limit(1)
        )
        is not None
    )


def record_evaluation(
    session: Session,
    monitor: Monitor,
    limits: Limits,
    reading: Reading,
    observed: str,
    *,
    at: datetime,
    settings: Settings,
) -> Transition | None:
    """Fold one evaluation into the monitor's state; open or close its incident.

    Returns the transition when the shown state changed, else None. Runs inside the
    caller's write unit.
    """
    evidence = reading.evidence_json()
    row = session.get(OpsMonitorState, monitor.monitor_id)
    if row is None:
        row = OpsMonitorState(
            monitor_id=monitor.monitor_id,
            state=OK,
            since=at,
            observed=observed,
            streak=0,
            evidence=evidence,
            checked_at=at,
        )
        session.add(row)
    row.streak = row.streak + 1 if row.observed == observed else 1
    row.observed, row.value, row.evidence, row.checked_at = observed, reading.value, evidence, at
    if observed == UNKNOWN or observed == row.state or row.streak < limits.consecutive:
        return None
    before, row.state, row.since = row.state, observed, at
    return _incident_for(session, monitor, limits, row, before, at=at, settings=settings)


def _incident_for(
    session: Session,
    monitor: Monitor,
    limits: Limits,
    row: OpsMonitorState,
    before: str,
    *,
    at: datetime,
    settings: Settings,
) -> Transition:
    incident = session.get(OpsIncident, row.incident_id) if row.incident_id else None
    event: str | None = None
    if row.state == OK:
        row.incident_id = None
        if incident is not None and incident.status in OPEN_STATUSES:
            incident.status, incident.resolved_at = "resolved", at
            event = "resolved"
    elif incident is None:
        incident = OpsIncident(
            monitor_id=monitor.monitor_id,
            severity=row.state,
            status="open",
            opened_at=at,
            evidence=row.evidence,
        )
        session.add(incident)
        session.flush()
        row.incident_id = incident.id
        event = "opened"
    elif incident.status in OPEN_STATUSES and RANK[row.state] > RANK[incident.severity]:
        incident.severity = row.state
        event = "escalated"
    notified = False
    if event is not None and incident is not None:
        notified = _notify(session, monitor, limits, incident, event, row, at=at, settings=settings)
    return Transition(
        monitor.monitor_id,
        before,
        row.state,
        incident.id if incident is not None else None,
        event,
        notified,
    )


def _notify(
    session: Session,
    monitor: Monitor,
    limits: Limits,
    incident: OpsIncident,
    event: str,
    row: OpsMonitorState,
    *,
    at: datetime,
    settings: Settings,
    note: str | None = None,
) -> bool:
    if limits.channel == "none" or in_maintenance(session, monitor.monitor_id, at):
        return False
    if incident.silenced_until is not None and incident.silenced_until > at:
        return False
    channels = [
        channel
        for channel, target in (
            ("webhook", settings.ops_webhook_url),
            ("email", settings.ops_email),
        )
        if target
    ]
    payload = ops_message(monitor, incident, event, row, note=note)
    for channel in channels:
        session.add(
            OpsNotification(
                incident_id=incident.id,
                event=event,
                channel=channel,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=at,
                created_at=at,
            )
        )
    return bool(channels)


EVENT_WORDS = {"opened": "OPENED", "escalated": "ESCALATED", "resolved": "RESOLVED"}


def ops_message(
    monitor: Monitor,
    incident: OpsIncident,
    event: str,
    row: OpsMonitorState,
    *,
    note: str | None = None,
) -> dict[str, object]:
    """A Slack-compatible message (``text``) with the incident's fields for other receivers.

    ``note``: the resolution note of an incident a person closed (sent as plain text).
    """
    evidence = evidence_text(row.evidence, "en")
    state = row.state.upper() if row.state != OK else "OK"
    text = (
        f"[BarberPro ops] {EVENT_WORDS[event]} incident #{incident.id}: "
        f"{monitor.title_text('en')} is {state}. {evidence}"
    )
    if note is not None:
        text += f"\nClosed by a person: {note}"
    if event != "resolved":
        text += f"\nRunbook: {monitor.runbook}"
    return {
        "text": text,
        "subject": f"{EVENT_WORDS[event]} #{incident.id} {monitor.title_text('en')} {state}",
        "event": event,
        "incident": incident.id,
        "monitor": monitor.monitor_id,
        "state": row.state,
        "severity": incident.severity,
        "evidence": evidence,
        "runbook": monitor.runbook,
    }


def announce_closed_by_hand(
    session: Session, incident: OpsIncident, *, at: datetime, settings: Settings
) -> bool:
    """Tell the ops channel a person resolved ``incident`` (with their note).

    Same rules as the watchdog's messages (channel, maintenance, silence); returns
    whether a message was queued.
    """
    monitor = monitor_by_id(incident.monitor_id)
    row = session.get(OpsMonitorState, incident.monitor_id)
    if monitor is None or row is None:
        return False
    limits = limits_for(monitor, session.get(OpsMonitorOverride, monitor.monitor_id))
    return _notify(
        session,
        monitor,
        limits,
        incident,
        "resolved",
        row,
        at=at,
        settings=settings,
        note=incident.resolution_note or "",
    )


def worst(states: list[str]) -> str:
    """The worst of ``states`` (critical > warning > ok/unknown)."""
    return max(states, key=lambda s: RANK.get(s, 0), default=OK) if states else OK


__all__ = [
    "CRITICAL",
    "OPEN_STATUSES",
    "Transition",
    "in_maintenance",
    "ops_message",
    "record_evaluation",
    "worst",
]
