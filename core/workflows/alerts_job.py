"""The scheduler's ``alert_rules`` job: rules, then notification delivery.

Runs at the refresh interval, so a signal in new data becomes an alert within one refresh
cycle. The rules and the notifications they enqueue commit in one transaction; delivery
comes after, outside it, so a dead endpoint can neither roll an alert back nor hold a
database lock. A database lease keeps two schedulers from evaluating at once.
"""

from __future__ import annotations

import random

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.clock import now
from core.locks import release, try_acquire
from core.workflows.alerts_config import load_config
from core.workflows.alerts_engine import run_alert_rules
from core.workflows.alerts_notify import deliver_due, enqueue_for_alerts

ALERT_RULES_JOB_ID = "alert_rules"


def evaluate_and_notify(
    engine: Engine, *, rng: random.Random | None = None, deliver: bool = True
) -> dict[str, object]:
    """One complete run; returns the job detail (counts, skipped rules, deliveries)."""
    at = now()
    with Session(engine) as session, session.begin():
        run = run_alert_rules(session=session, at=at, rng=rng)
        queued = enqueue_for_alerts(session, run.opened, at=at, config=load_config(session=session))
    detail: dict[str, object] = {**run.detail(), "notifications_queued": queued}
    if deliver:
        sent = deliver_due(engine)
        detail["notifications"] = {
            "delivered": sent.delivered,
            "retrying": sent.failed,
            "gave_up": sent.gave_up,
            "left_for_next_run": sent.left,
        }
    detail["rows_touched"] = run.rows_touched
    return detail


def alert_rules_job(engine: Engine, scheduler_id: str, run_id: int):  # type: ignore[no-untyped-def]
    from core.config import get_settings
    from core.jobs import JobOutcome, refresh_lease_s

    lease = refresh_lease_s(get_settings().refresh_interval_s)
    if not try_acquire(engine, ALERT_RULES_JOB_ID, scheduler_id, lease_s=lease):
        return JobOutcome(skipped=True, detail={"reason": "another scheduler holds the lock"})
    try:
        detail = evaluate_and_notify(engine)
    finally:
        release(engine, ALERT_RULES_JOB_ID, scheduler_id)
    return JobOutcome(rows_touched=int(detail.pop("rows_touched")), detail=detail)  # type: ignore[call-overload]
