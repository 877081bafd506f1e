"""Small hand-made worlds for the alert tests: users, tenants, the rows rules read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.schema import ConsoleUser, Invoice, NpsResponse, RollupTenantDay, Subscription, Tenant
from tests.factories import add_tenant

AT = datetime(2026, 6, 15, 10, 0)
TODAY = AT.date()


@dataclass(frozen=True)
class World:
    engine: Engine
    manager: int  # a CS manager who owns every tenant
    other: int  # a second CS manager
    admin: int
    tenants: list[int]


def add_users(session: Session) -> tuple[int, int, int]:
    rows = [
        ConsoleUser(full_name="Ana Gómez", email="ana@barberpro.com.ar", role="cs_manager"),
        ConsoleUser(full_name="Bruno Díaz", email="bruno@barberpro.com.ar", role="cs_manager"),
        ConsoleUser(full_name="Carla Ruiz", email="carla@barberpro.com.ar", role="admin"),
    ]
    session.add_all(rows)
    session.flush()
    return rows[0].id, rows[1].id, rows[2].id


def make_world(engine: Engine, tenants: int = 3, *, mrr: float = 80_000.0) -> World:
    with Session(engine) as session, session.begin():
        manager, other, admin = add_users(session)
        ids = []
        for i in range(tenants):
            refs = add_tenant(session, i + 1, signup=date(2025, 1, 10), mrr=mrr, tier="pro")
            session.get(Tenant, refs.tenant_id).cs_owner_id = manager  # type: ignore[union-attr]
            ids.append(refs.tenant_id)
            # Steady bookings every day of the last 40 days: no "no bookings" signal.
            for d in range(40):
                session.add(
                    RollupTenantDay(
                        tenant_id=refs.tenant_id, day=TODAY - timedelta(days=d), bookings=3
                    )
                )
    return World(engine, manager, other, admin, ids)


def add_failed_invoice(
    engine: Engine, tenant_id: int, *, issued: date, status: str = "failed"
) -> int:
    with Session(engine) as session, session.begin():
        sub = session.query(Subscription).filter_by(tenant_id=tenant_id).first()
        invoice = Invoice(
            tenant_id=tenant_id,
            subscription_id=sub.id,  # type: ignore[union-attr]
            period_start=issued,
            issued_on=issued,
            due_on=issued + timedelta(days=10),
            amount_ars=80_000,
            status=status,
            attempts=2,
        )
        session.add(invoice)
        session.flush()
        return invoice.id


def set_invoice_status(engine: Engine, invoice_id: int, status: str) -> None:
    with Session(engine) as session, session.begin():
        session.get(Invoice, invoice_id).status = status  # type: ignore[union-attr]


def add_nps(engine: Engine, tenant_id: int, *, at: datetime, score: int) -> int:
    with Session(engine) as session, session.begin():
        row = NpsResponse(tenant_id=tenant_id, responded_at=at, score=score, comment="muy caro")
        session.add(row)
        session.flush()
        return row.id
