"""A small platform database for the simulator's tests, built with the ORM.

The demo generator is not what these tests exercise, so the data are built here: a few
tenants (active, churned, suspended) with locations, staff, services, customers, a
subscription, and bookings around a fixed moment ``at`` (history, today's due visits,
future appointments) with their payments, back-office activity, tickets and NPS.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.migrate import upgrade_database
from core.schema import (
    AdminActivity,
    Booking,
    Customer,
    Location,
    NpsResponse,
    Payment,
    Service,
    Staff,
    Subscription,
    SupportTicket,
    Tenant,
)
from data.demo_guard import record_demo_marker

# A Wednesday afternoon that is not a holiday: shops are open and the day is half done.
AT = datetime(2026, 10, 14, 16, 0)
PRICE_LEVEL = 1.3  # bookings charge list prices scaled by this much inflation
VERTICALS = ("barbershop", "salon", "spa", "nails")
SERVICE_MENU = (
    ("Corte", 30, 9000.0),
    ("Color", 90, 25000.0),
    ("Barba", 20, 6000.0),
    ("Tratamiento", 60, 18000.0),
)
PROVINCES = ("Córdoba", "Ciudad Autónoma de Buenos Aires", "Santa Fe", "Mendoza")


@dataclass(frozen=True)
class SampleDatabase:
    url: str
    at: datetime
    active_ids: tuple[int, ...]
    inactive_ids: tuple[int, ...]


def tenant_status(index: int) -> str:
    """Tenants 3 and 4 of each ten are churned and suspended; the rest are active."""
    return {3: "churned", 4: "suspended"}.get(index % 10, "active")


def build_sample_database(
    url: str,
    *,
    at: datetime = AT,
    tenants: int = 5,
    history_days: int = 14,
    per_staff_day: int = 4,
    seed: int = 7,
) -> SampleDatabase:
    """Migrate ``url`` and fill it with ``tenants`` businesses of activity around ``at``."""
    upgrade_database(url)
    engine = create_engine_for(url)
    rng = random.Random(seed)
    active, inactive = [], []
    try:
        with Session(engine) as session, session.begin():
            for index in range(tenants):
                tenant_id = _add_tenant(session, rng, index, at, history_days, per_staff_day)
                (active if tenant_status(index) == "active" else inactive).append(tenant_id)
            # Fake data like the generator's: the simulator may write into it.
            record_demo_marker(session, {"tenants": tenants, "fixture": "simulation"})
    finally:
        engine.dispose()
    return SampleDatabase(url, at, tuple(active), tuple(inactive))


def _add_tenant(
    session: Session,
    rng: random.Random,
    index: int,
    at: datetime,
    history_days: int,
    per_staff_day: int,
) -> int:
    status = tenant_status(index)
    tenant = Tenant(
        legal_name=f"Negocio {index} S.R.L.",
        trade_name=f"Estudio {index}",
        cuit=f"30-{index:08d}-{index % 10}",
        tax_status="Responsable Inscripto",
        vertical=VERTICALS[index % len(VERTICALS)],
        plan="profesional",
        tier="pro",
        province=PROVINCES[index % len(PROVINCES)],
        city="Ciudad",
        owner_name=f"Dueña {index}",
        email=f"negocio{index}@example.com.ar",
        phone=f"+54 9 351 555-{index:04d}",
        signup_date=(at - timedelta(days=400)).date(),
        status=status,
        churned_on=(at - timedelta(days=30)).date() if status == "churned" else None,
        churn_reason="price" if status == "churned" else None,
    )
    session.add(tenant)
    session.flush()
    locations = [
        Location(
            tenant_id=tenant.id,
            name=f"Sede {n}",
            address=f"Calle {n} 123",
            province=tenant.province,
            city="Ciudad",
            latitude=-31.4,
            longitude=-64.2,
            opened_on=date(2024, 1, 1),
        )
        for n in range(1 + (index % 3 == 2))
    ]
    session.add_all(locations)
    session.flush()
    staff = [
        Staff(
            tenant_id=tenant.id,
            location_id=locations[n % len(locations)].id,
            full_name=f"Profesional {index}-{n}",
            role="estilista",
            weekly_minutes=2400,
            hired_on=date(2024, 1, 1),
        )
        for n in range(2 + index % 3)
    ]
    # An inactive professional and service must never get new bookings.
    staff.append(
        Staff(
            tenant_id=tenant.id,
            location_id=locations[0].id,
            full_name="Ex empleado",
            role="estilista",
            weekly_minutes=2400,
            hired_on=date(2023, 1, 1),
            active=False,
        )
    )
    services = [
        Service(
            tenant_id=tenant.id,
            name=name,
            category="general",
            duration_min=minutes,
            price_ars=price,
        )
        for name, minutes, price in SERVICE_MENU
    ]
    services.append(
        Service(
            tenant_id=tenant.id,
            name="Discontinuado",
            category="general",
            duration_min=45,
            price_ars=1000.0,
            active=False,
        )
    )
    customers = [
        Customer(
            tenant_id=tenant.id,
            full_name=f"Cliente {index}-{n}",
            phone=None,
            created_at=at - timedelta(days=300),
        )
        for n in range(20 + 5 * index)
    ]
    session.add_all([*staff, *services, *customers])
    session.add(
        Subscription(
            tenant_id=tenant.id,
            plan="profesional",
            tier="pro",
            mrr_ars=30000.0,
            started_on=tenant.signup_date,
            change_reason="new",
        )
    )
    session.flush()
    working = [s for s in staff if s.active]
    offered = [s for s in services if s.active]
    bookings = _bookings(
        rng, tenant.id, working, offered, customers, at, history_days, per_staff_day
    )
    ids = session.scalars(insert(Booking).returning(Booking.id), bookings).all()
    _payments(session, rng, tenant.id, list(zip(ids, bookings, strict=True)), at)
    _engagement(session, rng, tenant.id, at, history_days)
    return tenant.id


def _bookings(
    rng: random.Random,
    tenant_id: int,
    staff: list[Staff],
    services: list[Service],
    customers: list[Customer],
    at: datetime,
    history_days: int,
    per_staff_day: int,
) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    for offset in range(-history_days, 11):
        day = (at + timedelta(days=offset)).date()
        if day.weekday() == 6:
            continue
        for person in staff:
            slot = datetime.combine(day, datetime.min.time()) + timedelta(hours=10)
            for _ in range(rng.randint(per_staff_day // 2, per_staff_day)):
                service = rng.choice(services)
                start = slot
                slot += timedelta(minutes=service.duration_min + rng.choice((0, 15, 30)))
                if start < at - timedelta(days=1):
                    status = rng.choices(["completed", "no_show", "cancelled"], [80, 8, 12])[0]
                elif start <= at:
                    status = "completed" if rng.random() < 0.3 else "scheduled"
                else:
                    status = "cancelled" if rng.random() < 0.1 else "scheduled"
                rows.append(
                    {
                        "tenant_id": tenant_id,
                        "location_id": person.location_id,
                        "staff_id": person.id,
                        "service_id": service.id,
                        "customer_id": rng.choice(customers).id,
                        "created_at": min(at, start) - timedelta(days=rng.randint(0, 7), hours=1),
                        "start_at": start,
                        "duration_min": service.duration_min,
                        "status": status,
                        "channel": rng.choice(["whatsapp", "web", "app", "instagram", "walk_in"]),
                        "price_ars": round(float(service.price_ars) * PRICE_LEVEL, -2),
                    }
                )
    return rows


def _payments(
    session: Session,
    rng: random.Random,
    tenant_id: int,
    bookings: list[tuple[int, dict]],  # type: ignore[type-arg]
    at: datetime,
) -> None:
    rows = []
    for booking_id, booking in bookings:
        if booking["status"] != "completed":
            continue
        recent = booking["start_at"] > at - timedelta(days=1)
        if recent and rng.random() < 0.5:
            continue  # still unpaid: the simulator should collect it
        method = rng.choice(["mercadopago", "cash", "card", "transfer"])
        status = "approved"
        if method in ("mercadopago", "transfer") and booking["start_at"] > at - timedelta(days=5):
            status = rng.choice(["approved", "approved", "pending", "in_process"])
        rate = {"mercadopago": 0.05, "card": 0.03}.get(method, 0.0)
        rows.append(
            {
                "tenant_id": tenant_id,
                "booking_id": booking_id,
                "created_at": booking["start_at"] + timedelta(minutes=booking["duration_min"]),
                "amount_ars": booking["price_ars"],
                "method": method,
                "status": status,
                "fee_ars": round(booking["price_ars"] * rate, 2) if status == "approved" else 0.0,
            }
        )
    if rows:
        session.execute(insert(Payment), rows)


def _engagement(
    session: Session, rng: random.Random, tenant_id: int, at: datetime, history_days: int
) -> None:
    session.execute(
        insert(AdminActivity),
        [
            {
                "tenant_id": tenant_id,
                "occurred_at": at - timedelta(days=d, hours=rng.randint(1, 9)),
                "kind": kind,
                "feature": "reports" if kind == "feature" else None,
            }
            for d in range(1, history_days)
            for kind in ("login", "feature")
        ],
    )
    session.add_all(
        [
            SupportTicket(
                tenant_id=tenant_id,
                opened_at=at - timedelta(days=20),
                severity="low",
                category="billing",
                subject="Consulta",
                closed_at=at - timedelta(days=19),
                csat=5,
            ),
            SupportTicket(
                tenant_id=tenant_id,
                opened_at=at - timedelta(days=2),
                severity="high",
                category="payments",
                subject="No se acreditan los pagos",
            ),
            NpsResponse(tenant_id=tenant_id, responded_at=at - timedelta(days=40), score=9),
            NpsResponse(
                tenant_id=tenant_id, responded_at=at - timedelta(days=10), score=6, comment="Bien"
            ),
        ]
    )


def booking_start_times(url: str) -> dict[int, datetime]:
    """Every booking's ``start_at`` by id (to prove the simulator never moves one)."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(select(Booking.id, Booking.start_at)).all())
    finally:
        engine.dispose()
