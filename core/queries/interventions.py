"""Reads of the intervention ledger for pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.schema import CsIntervention


def ledger_stamp(*, session: Session) -> tuple[int, datetime | None]:
    """(rows in the ledger, newest change): a new alert or outcome changes it."""
    count, newest = session.execute(
        select(func.count(CsIntervention.id), func.max(CsIntervention.updated_at))
    ).one()
    return int(count or 0), newest
