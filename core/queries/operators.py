"""The console users an operator can work as (until sign-in)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.schema import ConsoleUser


@dataclass(frozen=True)
class Operator:
    id: int
    name: str
    role: str


def active_operators(*, session: Session) -> list[Operator]:
    """Every active console user, by name."""
    rows = session.execute(
        select(ConsoleUser.id, ConsoleUser.full_name, ConsoleUser.role)
        .where(ConsoleUser.active.is_(True))
        .order_by(ConsoleUser.full_name)
    ).all()
    return [Operator(row.id, row.full_name, row.role) for row in rows]
