"""What the ``health_scores`` job does: today's scores, and the history the first time.

The job (declared in ``core.jobs.registry``) runs every hour and is idempotent per day:
each scored day is replaced as a whole (delete + insert in one transaction per day,
newest day first). What it computes on a run:

- today, unless today's rows exist and were computed after the last weight edit
  (a day's score only uses rows dated before that day, so redoing it changes nothing);
- any of the last ``DAILY_DAYS`` days without rows (the first run, or the scheduler was
  off), and any Monday of the last ``BACKFILL_DAYS`` days without rows (weekly points:
  enough history for 7-day trends and for back-testing the score against churn).

Mondays are fixed dates, so the weekly points do not move as days pass.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import write_unit
from core.models.health.fits import load_fits, save_fits
from core.models.health.score import iter_health_scores, store_scores
from core.models.health.weights import weights_changed_at
from core.schema import HealthScore

BACKFILL_DAYS = 120
DAILY_DAYS = 14


def wanted_days(today: date) -> list[date]:
    """Daily points for the last ``DAILY_DAYS`` days and Mondays back to ``BACKFILL_DAYS``."""
    daily = {today - timedelta(days=k) for k in range(DAILY_DAYS)}
    first = today - timedelta(days=BACKFILL_DAYS)
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    weekly = {monday + timedelta(days=7 * k) for k in range((today - monday).days // 7 + 1)}
    return sorted(daily | weekly)


def days_to_compute(*, session: Session, today: date) -> list[date]:
    """Wanted days with no stored rows, plus today when its rows are missing or stale."""
    wanted = wanted_days(today)
    stored = set(
        session.scalars(
            select(HealthScore.day).where(HealthScore.day >= wanted[0]).group_by(HealthScore.day)
        )
    )
    todo = [day for day in wanted if day not in stored]
    if today in stored:
        computed = session.scalar(
            select(func.min(HealthScore.computed_at)).where(HealthScore.day == today)
        )
        changed = weights_changed_at(session=session)
        if changed is not None and computed is not None and computed < changed:
            todo.append(today)
    return sorted(todo)


def update_health_scores(engine: Engine, *, today: date | None = None) -> dict[str, Any]:
    """Compute and store every day :func:`days_to_compute` names; returns what it did."""
    today = today or now().date()
    started = time.perf_counter()
    rows = 0
    with Session(engine) as session:
        days = days_to_compute(session=session, today=today)
        fits = load_fits(session=session)
        # Newest first, each day committed on its own: today's scores are there within
        # a minute even on the first run, and an interrupted backfill keeps what it did.
        # The client-base fits changed by a day are stored with it.
        for day, scores in iter_health_scores(session, days, fits=fits):
            session.rollback()  # end the read transaction before writing
            with write_unit(engine) as writer:
                rows += store_scores(session=writer, day=day, scores=scores)
                save_fits(session=writer, fits=fits)
    return {
        "days": [day.isoformat() for day in days],
        "rows": rows,
        "fits": {"reused": fits.reused, "warm": fits.warm, "cold": fits.cold},
        "seconds": round(time.perf_counter() - started, 2),
    }
