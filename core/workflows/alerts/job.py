"""What the scheduler's ``alert_rules`` job does: rules, then notification delivery.

The job (declared in ``core.jobs.registry``) runs at the refresh interval, so a signal
in new data becomes an alert within one refresh cycle. The rules and the notifications
they enqueue commit in one transaction; delivery comes after, outside it, so a dead
endpoint can neither roll an alert back nor hold a database lock. The job's database
lease keeps two schedulers from evaluating at once.

The first run in a process also seals any webhook URL stored in clear by an older
version (``notify.seal_stored_webhooks``): a no-op afterwards, so only once.
"""

from __future__ import annotations

import random

from sqlalchemy import Engine

from core.clock import now
from core.db import read_session, write_unit
from core.workflows.alerts.config import load_config
from core.workflows.alerts.engine import evaluate, run_alert_rules
from core.workflows.alerts.notify import deliver_due, enqueue_for_alerts, seal_stored_webhooks

# Databases whose clear-text webhook URLs this process has sealed already.
_SEALED: set[str] = set()


def evaluate_and_notify(
    engine: Engine, *, rng: random.Random | None = None, deliver: bool = True
) -> dict[str, object]:
    """One complete run; returns the job detail (counts, skipped rules, deliveries)."""
    at = now()
    database = engine.url.render_as_string(hide_password=True)
    if database not in _SEALED:
        with write_unit(engine) as session:
            seal_stored_webhooks(session)
        _SEALED.add(database)
    # Evaluate in a read (no lock); the write unit only applies the signals to the alerts.
    with read_session(engine) as session:
        evaluated = evaluate(session=session, at=at)
    with write_unit(engine) as session:
        run = run_alert_rules(session=session, at=at, rng=rng, evaluated=evaluated)
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
