"""Small, explicit platform data for tests: a few tenants with what bookings need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from core.schema import (
    Booking,
    Customer,
    Location,
    Payment,
    Service,
    Staff,
    Subscription,
    Tenant,
)

TIERS = ["starter", "pro", "enterprise"]
PLANS = {"starter": "basico", "pro": "profesional", "enterprise": "cadena"}


@dataclass(frozen=True)
class TenantRefs:
    tenant_id: int
    location_id: int
    staff_id: int
    service_id: int
    customer_id: int


def add_tenant(
    session: Session,
    index: int,
    *,
    signup: date,
    churned_on: date | None = None,
    mrr: float = 20000.0,
    tier: str = "pro",
) -> TenantRefs:
    tenant = Tenant(
        legal_name=f"Negocio {index} S.R.L.",
        trade_name=f"Barbería {index}",
        cuit=f"30-{index:08d}-1",
        tax_status="Responsable Inscripto",
        vertical="barbershop",
        plan=PLANS[tier],
        tier=tier,
        province="Córdoba",
        city="Córdoba",
        owner_name=f"Dueño {index}",
        email=f"dueno{index}@example.com.ar",
        phone=f"+5493510000{index:03d}",
        signup_date=signup,
        status="churned" if churned_on else "active",
        churned_on=churned_on,
    )
    session.add(tenant)
    session.flush()
    location = Location(
        tenant_id=tenant.id,
        name="Central",
        address="San Martín 100",
        province="Córdoba",
        city="Córdoba",
        latitude=-31.42,
        longitude=-64.18,
        opened_on=signup,
    )
    session.add(location)
    session.flush()
    staff = Staff(
        tenant_id=tenant.id,
        location_id=location.id,
        full_name="Juan Pérez",
        role="barbero",
        weekly_minutes=2400,
        hired_on=signup,
    )
    service = Service(
        tenant_id=tenant.id, name="Corte", category="corte", duration_min=30, price_ars=9000
    )
    customer = Customer(tenant_id=tenant.id, full_name="Cliente Uno")
    session.add_all([staff, service, customer])
    session.add(
        Subscription(
            tenant_id=tenant.id,
            plan=PLANS[tier],
            tier=tier,
            mrr_ars=mrr,
            started_on=signup,
            ended_on=churned_on,
            change_reason="new",
        )
    )
    session.flush()
    return TenantRefs(tenant.id, location.id, staff.id, service.id, customer.id)


def add_booking(
    session: Session,
    refs: TenantRefs,
    *,
    start_at: datetime,
    status: str = "completed",
    price: float = 9000.0,
    duration: int = 30,
    channel: str = "whatsapp",
) -> Booking:
    booking = Booking(
        tenant_id=refs.tenant_id,
        location_id=refs.location_id,
        staff_id=refs.staff_id,
        service_id=refs.service_id,
        customer_id=refs.customer_id,
        created_at=start_at - timedelta(days=2),
        start_at=start_at,
        duration_min=duration,
        status=status,
        channel=channel,
        price_ars=price,
    )
    session.add(booking)
    session.flush()
    return booking


def add_payment(
    session: Session,
    refs: TenantRefs,
    *,
    created_at: datetime,
    amount: float,
    status: str = "approved",
    method: str = "mercadopago",
    booking_id: int | None = None,
) -> Payment:
    payment = Payment(
        tenant_id=refs.tenant_id,
        booking_id=booking_id,
        created_at=created_at,
        amount_ars=amount,
        method=method,
        status=status,
        fee_ars=round(amount * 0.05, 2),
    )
    session.add(payment)
    session.flush()
    return payment
