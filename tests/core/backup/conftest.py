"""A small console with two metric snapshots (one full rebuild, one incremental)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.orm import Session

from core.metrics.refresh import refresh_metrics
from core.schema import Booking, Payment
from tests.factories import add_booking, add_payment, add_tenant

AS_OF = datetime(2026, 6, 15, 12, 0)


def seed_console(engine: Engine) -> None:
    """Three tenants, two months of bookings and payments, and two refreshes."""
    with Session(engine) as session, session.begin():
        refs = [
            add_tenant(session, 1, signup=date(2025, 11, 3), mrr=18000, tier="starter"),
            add_tenant(session, 2, signup=date(2026, 4, 20), mrr=45000, tier="pro"),
            add_tenant(
                session,
                3,
                signup=date(2025, 12, 1),
                churned_on=date(2026, 6, 1),
                mrr=90000,
                tier="enterprise",
            ),
        ]
        statuses = ["completed", "completed", "no_show", "cancelled", "scheduled"]
        for offset in range(60):
            ref = refs[offset % 3]
            add_booking(
                session,
                ref,
                start_at=AS_OF - timedelta(days=offset, hours=2),
                status=statuses[offset % 5] if offset else "completed",
                price=9000.0 + 250 * offset,
            )
            add_payment(
                session, ref, created_at=AS_OF - timedelta(days=offset, hours=1), amount=7000.5
            )
    refresh_metrics(engine, as_of=AS_OF)  # the first refresh is a full rebuild
    with Session(engine) as session, session.begin():
        booking = session.scalars(select(Booking).order_by(Booking.id)).first()
        assert booking is not None
        booking.status = "no_show"  # a change the incremental refresh has to pick up
        add_booking(session, refs[1], start_at=AS_OF - timedelta(days=3, hours=1), price=12345.0)
    refresh_metrics(engine, as_of=AS_OF)


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return {
                "bookings": session.scalar(select(func.count()).select_from(Booking)) or 0,
                "payments": session.scalar(select(func.count()).select_from(Payment)) or 0,
            }
    finally:
        engine.dispose()


@pytest.fixture
def console(engine: Engine) -> Engine:
    seed_console(engine)
    return engine


@pytest.fixture
def empty_target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database to restore into, on the backend of ``database_url``, that does not hold
    tables: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"{url.database}_target"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
