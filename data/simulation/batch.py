"""One batch of simulated events: choose them, read what they act on, write them at once."""

from __future__ import annotations

import random
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, Integer, bindparam, insert, select, update

from core.clock import now
from data.simulation.calendar import DAY_WEIGHT, free_starts, overlaps, shift_intervals
from data.simulation.catalog import (
    ADMIN,
    BOOKINGS,
    CUSTOMERS,
    NPS,
    PAYMENTS,
    TICKETS,
    Catalog,
    TenantHabits,
    cum,
    mix,
    pick,
    regulars,
)

# Share of events by kind. Kinds that need something to act on (a due visit, an unpaid
# one...) fall back to a new booking when the tenants tried have none, then to a login.
EVENT_MIX = {
    "new_booking": 0.30,
    "visit_outcome": 0.22,
    "cancellation": 0.06,
    "payment": 0.19,
    "payment_update": 0.07,
    "admin": 0.14,
    "ticket": 0.01,
    "nps": 0.01,
}
_KINDS = list(EVENT_MIX)
_KIND_CUM = cum(list(EVENT_MIX.values()))
_POOLED = ("visit_outcome", "cancellation", "payment", "payment_update")
MAX_TENANT_TRIES = 4
LEAD_DAYS = 21
NEW_CUSTOMER_SHARE = 0.07
RESCHEDULE_SHARE = 0.35  # cancellations that come back as a booking on another day

# MercadoPago-style outcomes of a new payment, by method (rejections scale per tenant).
STATUS_MIX = {
    "mercadopago": {"approved": 0.86, "pending": 0.04, "in_process": 0.04, "rejected": 0.06},
    "card": {"approved": 0.91, "in_process": 0.03, "rejected": 0.06},
    "cash": {"approved": 1.0},
    "transfer": {"approved": 0.88, "pending": 0.12},
}
PENDING_OUTCOMES = {
    "pending": {"approved": 0.75, "rejected": 0.1, "cancelled": 0.15},
    "in_process": {"approved": 0.8, "rejected": 0.2},
}
SEVERITY_MIX = {"low": 0.4, "medium": 0.35, "high": 0.18, "urgent": 0.07}
CSAT_CUM = cum([0.08, 0.1, 0.17, 0.3, 0.35])


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Martín Sofía Lucas Valentina Mateo Camila Santiago Florencia Juan Agustina Tomás "
    "Micaela Facundo Julieta Nicolás Carolina Joaquín Paula Franco Luciana Gonzalo Rocío "
    "Ezequiel Milagros Diego Brenda Matías Antonella Federico Lucía"
)
LAST_NAMES = _words(
    "González Rodríguez Gómez Fernández López Díaz Martínez Pérez García Sánchez Romero "
    "Sosa Álvarez Torres Ruiz Ramírez Flores Acosta Benítez Medina Suárez Herrera Aguirre "
    "Pereyra Gutiérrez Giménez Molina Silva Castro Rojas"
)
# Category codes follow the demo generator's (data/reference/phrases.py).
TICKET_TOPICS = {
    "payments": (
        "No se acreditan los cobros de Mercado Pago",
        "Pago rechazado a un cliente",
        "Un cliente pagó y figura pendiente",
    ),
    "bookings": (
        "Los turnos no aparecen en la agenda",
        "Un cliente no recibió el recordatorio",
        "Turnos superpuestos en la agenda",
    ),
    "billing": ("Consulta sobre la factura del mes", "Me debitaron dos veces el abono"),
    "integrations": ("No salen los mensajes de WhatsApp", "No sincroniza con Google Calendar"),
    "account": ("No puedo ingresar con mi usuario", "Alta de un nuevo profesional"),
    "bug": ("La app se cierra al abrir la agenda", "No carga la pantalla de servicios"),
    "how_to": ("¿Cómo configuro los horarios de feriados?", "¿Cómo armo una promoción?"),
}
NPS_COMMENTS = {
    "promoter": (
        "Excelente la agenda online",
        "Mis clientes reservan solos, genial",
        "Muy buena atención del soporte",
    ),
    "passive": ("Anda bien pero le faltan reportes", "Cumple, aunque a veces está lenta"),
    "detractor": (
        "Muchos problemas con los cobros",
        "El soporte tarda en responder",
        "Está cara para lo que ofrece",
    ),
}

# Statements are built once: building one per event costs more than running it.
_b, _p = BOOKINGS.c, PAYMENTS.c
_TENANT: BindParameter[int] = bindparam("tenant_id", type_=Integer)
_TODAY = (
    select(_b.id, _b.status, _b.start_at, _b.duration_min, _b.channel, _b.price_ars, _b.created_at)
    .where(
        _b.tenant_id == _TENANT,
        _b.start_at >= bindparam("since"),
        _b.start_at <= bindparam("at"),
        _b.status.in_(("scheduled", "completed")),
    )
    .order_by(_b.start_at, _b.id)
)
_PAID = select(_p.booking_id).where(
    _p.tenant_id == _TENANT,
    _p.created_at >= bindparam("since"),
    _p.booking_id.in_(bindparam("ids", expanding=True)),
)
_FUTURE = (
    select(_b.id, _b.customer_id, _b.service_id, _b.staff_id)
    .where(
        _b.tenant_id == _TENANT,
        _b.start_at > bindparam("at"),
        _b.start_at <= bindparam("until"),
        _b.status == "scheduled",
    )
    .order_by(_b.start_at, _b.id)
    .limit(300)
)
_RECENT_PAYMENTS = (
    select(_p.id, _p.method, _p.status, _p.amount_ars)
    .where(
        _p.tenant_id == _TENANT,
        _p.created_at >= bindparam("since"),
        _p.created_at <= bindparam("at"),
        _p.status.in_(("pending", "in_process", "approved")),
    )
    .order_by(_p.id)
)
_BUSY = select(_b.staff_id, _b.start_at, _b.duration_min).where(
    _b.tenant_id == _TENANT,
    _b.start_at >= bindparam("day"),
    _b.start_at < bindparam("next_day"),
    _b.status.in_(("scheduled", "completed")),  # no-shows are over before anything new starts
)
_OPEN_TICKETS = (
    select(TICKETS.c.id)
    .where(
        TICKETS.c.tenant_id == _TENANT,
        TICKETS.c.closed_at.is_(None),
        TICKETS.c.opened_at <= bindparam("at"),
    )
    .order_by(TICKETS.c.id)
    .limit(50)
)
_NTH_CUSTOMER = (
    select(CUSTOMERS.c.id)
    .where(CUSTOMERS.c.tenant_id == _TENANT)
    .order_by(CUSTOMERS.c.id)
    .limit(1)
    .offset(bindparam("offset", type_=Integer))
)
_SET_BOOKING_STATUS = (
    update(BOOKINGS)
    .where(_b.id == bindparam("b_id"), _b.status == bindparam("b_from"))
    .values(status=bindparam("b_to"), updated_at=bindparam("stamp"))
)
_PAYMENT_WHERE = (_p.id == bindparam("p_id"), _p.status == bindparam("p_from"))
_SET_PAYMENT_STATUS = (
    update(PAYMENTS)
    .where(*_PAYMENT_WHERE)
    .values(status=bindparam("p_to"), updated_at=bindparam("stamp"))
)
_SET_PAYMENT_STATUS_AND_FEE = (
    update(PAYMENTS)
    .where(*_PAYMENT_WHERE)
    .values(status=bindparam("p_to"), fee_ars=bindparam("p_fee"), updated_at=bindparam("stamp"))
)
_CLOSE_TICKET = (
    update(TICKETS)
    .where(TICKETS.c.id == bindparam("t_id"), TICKETS.c.closed_at.is_(None))
    .values(closed_at=bindparam("closed"), csat=bindparam("t_csat"), updated_at=bindparam("stamp"))
)

Row = dict[str, Any]
Interval = tuple[datetime, datetime]


@dataclass
class ActivityCounts:
    """How many events of each kind were written."""

    new_bookings: int = 0
    completed: int = 0
    no_shows: int = 0
    cancellations: int = 0
    payments: int = 0
    payment_updates: int = 0
    logins: int = 0  # back-office activity: logins and feature uses
    tickets: int = 0  # tickets opened or closed
    nps: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def __add__(self, other: ActivityCounts) -> ActivityCounts:
        names = [f.name for f in fields(self)]
        return ActivityCounts(**{n: getattr(self, n) + getattr(other, n) for n in names})

    def summary(self) -> str:
        parts = (f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self))
        return ", ".join(parts)


@dataclass
class NewCustomer:
    tenant_id: int
    full_name: str
    phone: str
    id: int | None = None


@dataclass
class _Today:
    """One tenant's bookings of the last 24 hours that events act on."""

    due: list[tuple[int, str, float]]  # id, channel, price: scheduled and already over
    unpaid: list[tuple[int, float]]  # id, price: completed and without a payment
    paid: set[int]


class Batch:
    """The events of one ``apply``: pools are read lazily per tenant, rows staged in memory.

    ``write`` then sends every row in a few statements, so a SQLite write lock is held
    only for that short moment.
    """

    def __init__(
        self,
        conn: Connection,
        at: datetime,
        catalog: Catalog,
        rng: random.Random,
        rebooks: dict[int, list[tuple[int, int, int]]],
    ) -> None:
        self.conn, self.at, self.catalog, self.rng = conn, at, catalog, rng
        self.rebooks = {tenant_id: list(queue) for tenant_id, queue in rebooks.items()}
        self.counts = ActivityCounts()
        self._today: dict[int, _Today] = {}
        self._future: dict[int, list[tuple[int, int, int, int]]] = {}
        self._payments: dict[int, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]] = {}
        self._tickets: dict[int, list[int]] = {}
        self._busy: dict[tuple[int, date], dict[int, list[Interval]]] = {}
        self._days: dict[int, tuple[list[date], list[float]]] = {}
        self.customers: list[NewCustomer] = []
        self.bookings: list[Row] = []
        self.booking_status: list[Row] = []
        self.payments: list[Row] = []
        self.payment_status: list[Row] = []
        self.admin: list[Row] = []
        self.tickets: list[Row] = []
        self.ticket_closes: list[Row] = []
        self.nps: list[Row] = []

    # ---------------------------------------------------------------- dispatch

    def run(self, events: int) -> ActivityCounts:
        for _ in range(events):
            kind = pick(self.rng, _KINDS, _KIND_CUM)
            if kind in _POOLED and self._try(kind):
                continue
            if kind in _POOLED or kind == "new_booking":
                if self._try("new_booking"):
                    continue
                kind = "admin"
            tenant_id = self._tenant_for(kind)
            getattr(self, f"_{kind}")(self.catalog.ids[0] if tenant_id is None else tenant_id)
        return self.counts

    def _tenant_for(self, kind: str) -> int | None:
        ids, weights = self.catalog.tenants_for(kind)
        return pick(self.rng, ids, weights) if ids else None

    def _try(self, kind: str) -> bool:
        """Run ``kind`` on a few likely tenants until one has something to act on."""
        tried: set[int] = set()
        for _ in range(MAX_TENANT_TRIES):
            tenant_id = self._tenant_for(kind)
            if tenant_id is None:
                return False
            if tenant_id not in tried:
                if getattr(self, f"_{kind}")(tenant_id):
                    return True
                tried.add(tenant_id)
        return False

    def _take(self, items: list[Any]) -> Any:
        # Swap-remove: order inside a pool does not matter and this keeps it O(1).
        index = self.rng.randrange(len(items))
        items[index], items[-1] = items[-1], items[index]
        return items.pop()

    # ---------------------------------------------------------------- pools

    def today(self, tenant_id: int) -> _Today:
        if tenant_id in self._today:
            return self._today[tenant_id]
        params = {"tenant_id": tenant_id, "since": self.at - timedelta(days=1), "at": self.at}
        rows = self.conn.execute(_TODAY, params).all()
        paid: set[int] = set()
        if rows:
            # Payments have no booking index; a booking's payment is never older than the
            # booking itself, so the (tenant, created_at) index bounds the lookup.
            oldest = max(min(r.created_at for r in rows), self.at - timedelta(days=60))
            params = {"tenant_id": tenant_id, "since": oldest, "ids": [r.id for r in rows]}
            paid = set(self.conn.execute(_PAID, params).scalars())
        due = [
            (r.id, r.channel, float(r.price_ars))
            for r in rows
            if r.status == "scheduled" and r.start_at + timedelta(minutes=r.duration_min) <= self.at
        ]
        unpaid = [
            (r.id, float(r.price_ars)) for r in rows if r.status == "completed" and r.id not in paid
        ]
        pool = self._today[tenant_id] = _Today(due, unpaid, paid)
        return pool

    def future(self, tenant_id: int) -> list[tuple[int, int, int, int]]:
        if tenant_id not in self._future:
            params = {"tenant_id": tenant_id, "at": self.at, "until": self.at + timedelta(days=14)}
            rows = self.conn.execute(_FUTURE, params)
            self._future[tenant_id] = [(r[0], r[1], r[2], r[3]) for r in rows]
        return self._future[tenant_id]

    def recent_payments(
        self, tenant_id: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The last week's pending payments and refundable (approved, electronic) ones."""
        if tenant_id not in self._payments:
            pending, approved = [], []
            params = {"tenant_id": tenant_id, "since": self.at - timedelta(days=7), "at": self.at}
            for row in self.conn.execute(_RECENT_PAYMENTS, params):
                if row.status != "approved":
                    pending.append(tuple(row))
                elif row.method in ("mercadopago", "card"):
                    approved.append(tuple(row))
            self._payments[tenant_id] = (pending, approved)
        return self._payments[tenant_id]

    def busy(self, tenant_id: int, day: date) -> dict[int, list[Interval]]:
        """Each professional's booked intervals that day, including this batch's bookings."""
        key = (tenant_id, day)
        if key not in self._busy:
            start = datetime.combine(day, datetime.min.time())
            params = {"tenant_id": tenant_id, "day": start, "next_day": start + timedelta(days=1)}
            by_staff: dict[int, list[Interval]] = {s[0]: [] for s in self._staff_of(tenant_id)}
            for staff_id, start_at, minutes in self.conn.execute(_BUSY, params):
                interval = (start_at, start_at + timedelta(minutes=minutes))
                by_staff.setdefault(staff_id, []).append(interval)
            self._busy[key] = by_staff
        return self._busy[key]

    def _staff_of(self, tenant_id: int) -> list[tuple[int, int, int]]:
        return self.catalog.tenants[tenant_id].staff

    # ---------------------------------------------------------------- bookings

    def _new_booking(self, tenant_id: int) -> bool:
        tenant = self.catalog.tenants[tenant_id]
        if not tenant.bookable:
            return False
        queue = self.rebooks.get(tenant_id)
        rebook = queue.pop(0) if queue else None
        service = preferred = None
        if rebook:
            # The same client, service and (if still there) professional, on another day.
            service = next((s for s in tenant.services if s[0] == rebook[1]), None)
            preferred = next((s for s in tenant.staff if s[0] == rebook[2]), None)
        service = service or pick(self.rng, tenant.services, tenant.service_cum)
        slot = None
        walk_in = rebook is None and self.rng.random() < tenant.walk_in_share
        if walk_in:
            slot = self._walk_in_slot(tenant, service[1])
            walk_in = slot is not None
        if slot is None:
            slot = self._ahead_slot(tenant, service[1], preferred)
        if slot is None:
            return False
        (staff_id, location_id, _), start_at = slot
        customer = rebook[0] if rebook else self._customer(tenant)
        channel = "walk_in" if walk_in else pick(self.rng, tenant.channels, tenant.channel_cum)
        self.bookings.append(
            {
                "tenant_id": tenant_id,
                "location_id": location_id,
                "staff_id": staff_id,
                "service_id": service[0],
                "customer_id": customer,
                "created_at": self.at,
                "start_at": start_at,
                "duration_min": service[1],
                "status": "scheduled",
                "channel": channel,
                "price_ars": service[2],
            }
        )
        end = start_at + timedelta(minutes=service[1])
        self.busy(tenant_id, start_at.date())[staff_id].append((start_at, end))
        self.counts.new_bookings += 1
        return True

    def _working(
        self, tenant: TenantHabits, person: tuple[int, int, int], day: date
    ) -> list[Interval]:
        """The professional's shifts on ``day`` (stored hours, else the vertical's)."""
        return shift_intervals(tenant.shifts.get(person[0]), tenant.vertical, day)

    def _walk_in_slot(
        self, tenant: TenantHabits, minutes: int
    ) -> tuple[tuple[int, int, int], datetime] | None:
        start = self.at.replace(second=0, microsecond=0)
        end = start + timedelta(minutes=minutes)
        busy = self.busy(tenant.id, start.date())
        free = [
            s
            for s in tenant.staff
            if any(a <= start and end <= b for a, b in self._working(tenant, s, start.date()))
            and not overlaps(start, end, busy[s[0]])
        ]
        return (self.rng.choice(free), start) if free else None

    def _ahead_slot(
        self, tenant: TenantHabits, minutes: int, preferred: tuple[int, int, int] | None
    ) -> tuple[tuple[int, int, int], datetime] | None:
        days, weights = self._lead_days(tenant)
        if not days:
            return None
        for attempt in range(3):
            day = pick(self.rng, days, weights)
            person = preferred if preferred and attempt == 0 else self.rng.choice(tenant.staff)
            shifts = self._working(tenant, person, day)
            if not shifts:
                continue
            intervals = self.busy(tenant.id, day)[person[0]]
            booked = sum((end - start).total_seconds() for start, end in intervals) / 60
            if person[0] not in tenant.shifts and booked + minutes > person[2]:
                continue  # this professional's day is full
            # Same-day bookings need some notice; walk-ins are how people come right now.
            earliest = self.at + timedelta(minutes=30)
            starts = [
                slot
                for opens, closes in shifts
                for slot in free_starts(
                    opens, closes, intervals, minutes, earliest=max(opens, earliest)
                )
            ]
            if starts:
                # After-work hours fill first on weekdays.
                peaks = cum([1.8 if s.hour >= 17 and s.weekday() < 5 else 1.0 for s in starts])
                return person, pick(self.rng, starts, peaks)
        return None

    def _lead_days(self, tenant: TenantHabits) -> tuple[list[date], list[float]]:
        """Days a booking made now is for: mostly today and the next few, only days someone
        works (on today, only if a shift lasts another 75 minutes)."""
        if tenant.id not in self._days:
            days, weights = [], []
            for offset in range(LEAD_DAYS + 1):
                day = self.at.date() + timedelta(days=offset)
                ends = [end for s in tenant.staff for _, end in self._working(tenant, s, day)]
                if not ends or (offset == 0 and self.at + timedelta(minutes=75) > max(ends)):
                    continue
                base = 3.0 if offset == 0 else 2.0 * 0.85 ** (offset - 1)
                days.append(day)
                weights.append(base * DAY_WEIGHT.get(day.weekday(), 1.0))
            self._days[tenant.id] = (days, cum(weights))
        return self._days[tenant.id]

    def _customer(self, tenant: TenantHabits) -> int | NewCustomer:
        roll = self.rng.random()
        if roll >= NEW_CUSTOMER_SHARE:
            regular = regulars(self.conn, tenant, self.at)
            if regular and (roll < 0.8 or tenant.customer_count == 0):
                return self.rng.choice(regular)
            if tenant.customer_count:
                # Now and then someone from the whole book, not only recent visitors.
                params = {
                    "tenant_id": tenant.id,
                    "offset": self.rng.randrange(tenant.customer_count),
                }
                found = self.conn.execute(_NTH_CUSTOMER, params).scalar()
                if found is not None:
                    return int(found)
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        digits = "".join(str(self.rng.randrange(10)) for _ in range(10 - len(tenant.area_code)))
        phone = f"+549{tenant.area_code}{digits}"  # E.164, like the demo generator's
        customer = NewCustomer(tenant.id, name, phone)
        self.customers.append(customer)
        return customer

    def _visit_outcome(self, tenant_id: int) -> bool:
        pool = self.today(tenant_id)
        if not pool.due:
            return False
        booking_id, channel, price = self._take(pool.due)
        tenant = self.catalog.tenants[tenant_id]
        # Someone who walked in is already there: walk-ins never no-show.
        no_show = channel != "walk_in" and self.rng.random() < tenant.no_show_rate
        outcome = "no_show" if no_show else "completed"
        self.booking_status.append({"b_id": booking_id, "b_from": "scheduled", "b_to": outcome})
        if no_show:
            self.counts.no_shows += 1
        else:
            self.counts.completed += 1
            if booking_id not in pool.paid:
                pool.unpaid.append((booking_id, price))
        return True

    def _cancellation(self, tenant_id: int) -> bool:
        pool = self.future(tenant_id)
        if not pool:
            return False
        booking_id, customer_id, service_id, staff_id = self._take(pool)
        self.booking_status.append({"b_id": booking_id, "b_from": "scheduled", "b_to": "cancelled"})
        if self.rng.random() < RESCHEDULE_SHARE:
            # start_at never moves: a reschedule is this cancellation plus a later new booking.
            queue = self.rebooks.setdefault(tenant_id, [])
            if len(queue) < 50:
                queue.append((customer_id, service_id, staff_id))
        self.counts.cancellations += 1
        return True

    # ---------------------------------------------------------------- payments

    def _payment(self, tenant_id: int) -> bool:
        pool = self.today(tenant_id)
        if not pool.unpaid:
            return False
        booking_id, price = self._take(pool.unpaid)
        pool.paid.add(booking_id)
        tenant = self.catalog.tenants[tenant_id]
        method = pick(self.rng, tenant.methods, tenant.method_cum)
        shares = dict(STATUS_MIX[method])
        if "rejected" in shares:
            shares["rejected"] = min(0.5, shares["rejected"] * tenant.reject_factor)
        status = mix(self.rng, shares)
        fee = round(price * tenant.fee_rate(method), 2) if status == "approved" else 0.0
        self.payments.append(
            {
                "tenant_id": tenant_id,
                "booking_id": booking_id,
                "created_at": self.at,
                "amount_ars": price,
                "method": method,
                "status": status,
                "fee_ars": fee,
            }
        )
        self.counts.payments += 1
        return True

    def _payment_update(self, tenant_id: int) -> bool:
        pending, approved = self.recent_payments(tenant_id)
        # Mostly pending payments settle; now and then an approved one is refunded.
        refund = bool(approved) and (
            self.rng.random() < 0.05 or (not pending and self.rng.random() < 0.3)
        )
        tenant = self.catalog.tenants[tenant_id]
        fee: float | None
        if refund:
            payment_id, method, status, amount = self._take(approved)
            chargeback = method == "card" and self.rng.random() < 0.3
            new_status = "charged_back" if chargeback else "refunded"
            fee = None  # the fee charged on approval is kept
        elif pending:
            payment_id, method, status, amount = self._take(pending)
            new_status = mix(self.rng, PENDING_OUTCOMES.get(status, PENDING_OUTCOMES["pending"]))
            fee = 0.0
            if new_status == "approved":
                fee = round(float(amount) * tenant.fee_rate(method), 2)
        else:
            return False
        self.payment_status.append(
            {"p_id": payment_id, "p_from": status, "p_to": new_status, "p_fee": fee}
        )
        self.counts.payment_updates += 1
        return True

    # ---------------------------------------------------------------- engagement

    def _admin(self, tenant_id: int) -> None:
        tenant = self.catalog.tenants[tenant_id]
        feature = None
        if self.rng.random() >= 0.55:
            feature = pick(self.rng, tenant.features, tenant.feature_cum)
        kind = "feature" if feature else "login"
        self.admin.append(
            {"tenant_id": tenant_id, "occurred_at": self.at, "kind": kind, "feature": feature}
        )
        self.counts.logins += 1

    def _ticket(self, tenant_id: int) -> None:
        if tenant_id not in self._tickets:
            params = {"tenant_id": tenant_id, "at": self.at}
            self._tickets[tenant_id] = list(self.conn.execute(_OPEN_TICKETS, params).scalars())
        open_tickets = self._tickets[tenant_id]
        if open_tickets and self.rng.random() < 0.45:
            csat = pick(self.rng, [1, 2, 3, 4, 5], CSAT_CUM)
            self.ticket_closes.append({"t_id": self._take(open_tickets), "t_csat": csat})
        else:
            category = self.rng.choice(list(TICKET_TOPICS))
            self.tickets.append(
                {
                    "tenant_id": tenant_id,
                    "opened_at": self.at,
                    "closed_at": None,
                    "severity": mix(self.rng, SEVERITY_MIX),
                    "category": category,
                    "subject": self.rng.choice(TICKET_TOPICS[category]),
                    "csat": None,
                }
            )
        self.counts.tickets += 1

    def _nps(self, tenant_id: int) -> None:
        mean = self.catalog.tenants[tenant_id].nps_mean
        score = min(10, max(0, round(self.rng.gauss(mean, 2.2))))
        band = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        comment = self.rng.choice(NPS_COMMENTS[band]) if self.rng.random() < 0.35 else None
        self.nps.append(
            {"tenant_id": tenant_id, "responded_at": self.at, "score": score, "comment": comment}
        )
        self.counts.nps += 1

    # ---------------------------------------------------------------- writing

    def write(self) -> None:
        """Send every staged row; ``updated_at`` is taken once the write lock is held."""
        conn = self.conn
        raw = conn.connection.dbapi_connection
        if conn.dialect.name == "sqlite" and not getattr(raw, "in_transaction", True):
            # Reads so far ran outside a transaction (pysqlite begins at the first write).
            # Taking the write lock before the timestamp means rows are stamped in commit
            # order, so a refresh reading past a watermark on updated_at cannot skip them.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        stamp = now()
        if self.customers:
            rows = [
                {
                    "tenant_id": c.tenant_id,
                    "full_name": c.full_name,
                    "phone": c.phone,
                    "created_at": self.at,
                    "updated_at": stamp,
                }
                for c in self.customers
            ]
            # Ids come back in the order of the rows, so each booking finds its customer.
            returning = insert(CUSTOMERS).returning(CUSTOMERS.c.id, sort_by_parameter_order=True)
            ids = conn.execute(returning, rows).scalars().all()
            for customer, customer_id in zip(self.customers, ids, strict=True):
                customer.id = customer_id
        for row in self.bookings:
            if isinstance(row["customer_id"], NewCustomer):
                row["customer_id"] = row["customer_id"].id
        inserts = (
            (BOOKINGS, self.bookings),
            (PAYMENTS, self.payments),
            (ADMIN, self.admin),
            (TICKETS, self.tickets),
            (NPS, self.nps),
        )
        for table, rows in inserts:
            if rows:
                conn.execute(insert(table), [{**row, "updated_at": stamp} for row in rows])
        # The status guard keeps a row another writer changed meanwhile as it is.
        updates = (
            (_SET_BOOKING_STATUS, self.booking_status),
            (_SET_PAYMENT_STATUS, [r for r in self.payment_status if r["p_fee"] is None]),
            (
                _SET_PAYMENT_STATUS_AND_FEE,
                [r for r in self.payment_status if r["p_fee"] is not None],
            ),
            (_CLOSE_TICKET, [{**r, "closed": self.at} for r in self.ticket_closes]),
        )
        for change, staged in updates:
            if staged:
                conn.execute(change, [{**row, "stamp": stamp} for row in staged])
