"""What changed since a detail provider's last run: the touched tenant-days.

Incremental detail providers follow the same watermark of changed rows as the rollups
(``core/metrics/rollups.py``): rows of ``bookings`` and ``payments`` whose ``updated_at``
passed a mark, re-read with the same overlap. A provider's marks are the rollups' own
watermarks as they stood when its last run started (stored with the detail snapshot), so:

- a provider that reads the rollups never folds in a cell before the rollups have it:
  the marks are read before any data, and a row newer than them is read again next run;
- a provider that reads raw rows sees them at least as new as its marks say.

A touched cell is recomputed whole, so reading a row twice (the overlap) is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.metrics.rollups import WATERMARK_OVERLAP, Cell, read_watermarks
from core.schema import Booking, Payment

# The row sources a provider can follow; the rollups keep one watermark per source.
SOURCES = ("bookings", "payments")
Marks = dict[str, datetime | None]


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Touched:
    """Tenant-days whose rows changed since a provider's marks.

    ``bookings``: (tenant, local day of ``start_at``) of changed bookings;
    ``payments``: (tenant, local day of ``created_at``) of changed payments;
    ``paid_bookings``: (tenant, local day of ``start_at``) of the bookings that changed
    payments pay (what a payments-vs-bookings reconciliation of that day depends on);
    ``booking_creations``: (tenant, ``created_at``) of the changed bookings (a "first
    booking since" can only move to one of them).
    """

    bookings: frozenset[Cell]
    payments: frozenset[Cell]
    paid_bookings: frozenset[Cell]
    rows_read: int = 0
    booking_creations: frozenset[tuple[int, datetime]] = frozenset()

    def cells(self, *kinds: str) -> set[Cell]:
        """The union of the named kinds (default: every kind)."""
        chosen = kinds or ("bookings", "payments", "paid_bookings")
        out: set[Cell] = set()
        for kind in chosen:
            out |= getattr(self, kind)
        return out

    def days(self, *kinds: str) -> set[date]:
        return {day for _, day in self.cells(*kinds)}

    def months(self, *kinds: str) -> set[date]:
        return {month_of(day) for day in self.days(*kinds)}

    @property
    def empty(self) -> bool:
        return not (self.bookings or self.payments or self.paid_bookings)


def current_marks(*, session: Session) -> Marks:
    """The rollups' watermarks now: what a provider run starting now will be up to date with."""
    marks = read_watermarks(session=session)
    return {source: marks.get(source) for source in SOURCES}


def marks_to_json(marks: Marks) -> dict[str, str | None]:
    return {source: None if mark is None else mark.isoformat() for source, mark in marks.items()}


def marks_from_json(raw: object) -> Marks | None:
    """Marks stored with a detail snapshot, or None when absent or unreadable."""
    if not isinstance(raw, dict) or set(raw) != set(SOURCES):
        return None
    try:
        return {
            source: None if raw[source] is None else datetime.fromisoformat(str(raw[source]))
            for source in SOURCES
        }
    except ValueError:
        return None


def read_touched(*, session: Session, since: Marks) -> Touched:
    """The cells touched by rows updated after ``since`` (minus the rollups' overlap).

    Parameters
    ----------
    session
        A read session.
    since
        The marks of the provider's previous run, one per source; a source whose mark
        is None is read whole.
    """
    connection = session.connection()
    bookings: set[Cell] = set()
    payments: set[Cell] = set()
    paid: set[Cell] = set()
    rows = 0
    created: set[tuple[int, datetime]] = set()
    booking_query = select(Booking.tenant_id, Booking.start_at, Booking.created_at)
    if since.get("bookings") is not None:
        booking_query = booking_query.where(
            Booking.updated_at > since["bookings"] - WATERMARK_OVERLAP  # type: ignore[operator]
        )
    for tenant_id, start_at, created_at in connection.execute(booking_query):
        rows += 1
        bookings.add((int(tenant_id), _day(start_at)))
        created.add((int(tenant_id), created_at))
    payment_query = select(Payment.tenant_id, Payment.created_at, Booking.start_at).outerjoin(
        Booking, Booking.id == Payment.booking_id
    )
    if since.get("payments") is not None:
        payment_query = payment_query.where(
            Payment.updated_at > since["payments"] - WATERMARK_OVERLAP  # type: ignore[operator]
        )
    for tenant_id, created_at, start_at in connection.execute(payment_query):
        rows += 1
        payments.add((int(tenant_id), _day(created_at)))
        if start_at is not None:
            paid.add((int(tenant_id), _day(start_at)))
    return Touched(
        frozenset(bookings), frozenset(payments), frozenset(paid), rows, frozenset(created)
    )


def cells_in(cells: Iterable[Cell], first: date, last: date) -> set[Cell]:
    """The cells whose day lies in [first, last]."""
    return {(tenant, day) for tenant, day in cells if first <= day <= last}


__all__ = [
    "SOURCES",
    "Marks",
    "Touched",
    "cells_in",
    "current_marks",
    "marks_from_json",
    "marks_to_json",
    "month_of",
    "read_touched",
]
