"""What the simulator knows about the active tenants: resources and recent habits.

The catalog is compact (ids, prices and mixes, no history rows) and is read with a
handful of aggregate queries, so reloading it every few minutes stays cheap.
"""

from __future__ import annotations

import bisect
import itertools
import random
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Connection, Table, bindparam, func, select

from core.schema import Base
from data.simulation.calendar import open_days_per_week

_T = Base.metadata.tables
TENANTS: Table = _T["tenants"]
STAFF: Table = _T["staff"]
SERVICES: Table = _T["services"]
CUSTOMERS: Table = _T["customers"]
BOOKINGS: Table = _T["bookings"]
PAYMENTS: Table = _T["payments"]
ADMIN: Table = _T["admin_activity"]
TICKETS: Table = _T["support_tickets"]
NPS: Table = _T["nps_responses"]
WORKING_HOURS: Table = _T["staff_working_hours"]

HABIT_DAYS = 21  # history each tenant's rates and mixes are learned from
PRICE_DAYS = 14  # bookings either side of now whose median sets a service's price
REGULARS = 150  # latest visitors kept per tenant as likely returning customers

# Priors that smooth each tenant's observed mix (PRIOR_WEIGHT pseudo-counts spread by share).
PRIOR_WEIGHT = 20.0
CHANNEL_PRIOR = {"whatsapp": 0.36, "web": 0.2, "app": 0.18, "instagram": 0.16, "walk_in": 0.1}
METHOD_PRIOR = {"mercadopago": 0.45, "cash": 0.3, "card": 0.15, "transfer": 0.1}
FEATURE_PRIOR = {
    "online_booking": 0.3,
    "reminders": 0.25,
    "payments": 0.18,
    "reports": 0.14,
    "marketing": 0.08,
    "inventory": 0.05,
}
NO_SHOW_PRIOR, CANCEL_PRIOR, REJECT_PRIOR, NPS_PRIOR = 0.08, 0.12, 0.06, 7.5
ELECTRONIC = ("mercadopago", "card")
FEE_RATE = {"mercadopago": 0.05, "card": 0.03, "cash": 0.0, "transfer": 0.0}

# Mobile area codes by province (accents and case ignored); Buenos Aires by default.
AREA_CODES = {
    "ciudad autonoma de buenos aires": "11",
    "caba": "11",
    "buenos aires": "11",
    "cordoba": "351",
    "santa fe": "341",
    "mendoza": "261",
    "tucuman": "381",
    "salta": "387",
    "neuquen": "299",
    "entre rios": "343",
    "misiones": "376",
    "chaco": "362",
    "corrientes": "379",
    "san juan": "264",
    "jujuy": "388",
    "rio negro": "2944",
    "chubut": "280",
    "san luis": "266",
    "la pampa": "2954",
    "santiago del estero": "385",
    "catamarca": "383",
    "la rioja": "380",
    "formosa": "370",
    "santa cruz": "2966",
    "tierra del fuego": "2901",
}

Item = TypeVar("Item")


def cum(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def pick(rng: random.Random, items: Sequence[Item], cumulative: Sequence[float]) -> Item:
    """One item drawn with cumulative weights ``cumulative`` (aligned with ``items``)."""
    index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
    return items[min(index, len(items) - 1)]


def mix(rng: random.Random, shares: dict[str, float]) -> str:
    keys = list(shares)
    return pick(rng, keys, cum([shares[k] for k in keys]))


def weighted_median(values: Mapping[float, float]) -> float:
    """The median of ``values`` (value -> how many times it occurs)."""
    ordered = sorted(values.items())
    half, running = sum(values.values()) / 2, 0.0
    for value, weight in ordered:
        running += weight
        if running >= half:
            return value
    return ordered[-1][0]


def _smoothed(observed: Counter[str], prior: dict[str, float]) -> tuple[list[str], list[float]]:
    keys = list(prior)
    return keys, cum([observed[k] + PRIOR_WEIGHT * prior[k] for k in keys])


def _rate(hits: float, total: float, prior: float) -> float:
    return (hits + PRIOR_WEIGHT * prior) / (total + PRIOR_WEIGHT)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


@dataclass
class TenantHabits:
    """One active tenant: who works there, what it sells at what price, how it behaves."""

    id: int
    vertical: str
    area_code: str
    staff: list[tuple[int, int, int]] = field(default_factory=list)  # id, location, min/day
    # Stored working hours: staff id -> weekday -> shifts (start, end minutes after midnight).
    # Staff without any work the vertical's opening hours (``min/day`` caps their day).
    shifts: dict[int, dict[int, list[tuple[int, int]]]] = field(default_factory=dict)
    services: list[tuple[int, int, float]] = field(default_factory=list)  # id, minutes, price
    service_cum: list[float] = field(default_factory=list)
    customer_count: int = 0
    regulars: list[int] | None = None  # latest visitors, loaded when first needed
    daily_bookings: float = 0.0
    no_show_rate: float = NO_SHOW_PRIOR
    cancel_rate: float = CANCEL_PRIOR
    channels: list[str] = field(default_factory=list)  # channels of bookings made ahead
    channel_cum: list[float] = field(default_factory=list)
    walk_in_share: float = CHANNEL_PRIOR["walk_in"]
    methods: list[str] = field(default_factory=list)
    method_cum: list[float] = field(default_factory=list)
    electronic_share: float = 0.6
    reject_factor: float = 1.0
    features: list[str] = field(default_factory=list)
    feature_cum: list[float] = field(default_factory=list)
    admin_daily: float = 0.0
    tickets_recent: int = 0
    nps_mean: float = NPS_PRIOR

    @property
    def bookable(self) -> bool:
        return bool(self.staff and self.services)

    def fee_rate(self, method: str) -> float:
        # Each business picks its own MercadoPago payout term, so the fee varies by tenant.
        jitter = ((self.id * 7919) % 11 - 5) / 1000 if method == "mercadopago" else 0.0
        return FEE_RATE[method] + jitter

    def weight(self, kind: str) -> float:
        """How likely an event of ``kind`` lands here: busier tenants see more of it."""
        volume = self.daily_bookings + 1.0 + len(self.staff) if self.bookable else 0.0
        if kind == "cancellation":
            return volume * self.cancel_rate / CANCEL_PRIOR
        if kind == "payment_update":
            return volume * self.electronic_share
        if kind == "admin":
            return self.admin_daily + 2.0
        if kind == "ticket":
            return self.tickets_recent + 1.0
        if kind == "nps":
            return 1.0
        return volume


@dataclass
class Catalog:
    """The active tenants as of ``loaded_at``, and who each kind of event lands on."""

    loaded_at: datetime
    tenants: dict[int, TenantHabits]
    ids: list[int]  # every active tenant, by id
    _by_kind: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)

    def tenants_for(self, kind: str) -> tuple[list[int], list[float]]:
        """Tenant ids that ``kind`` can land on and their cumulative weights."""
        if kind not in self._by_kind:
            weighted = [(t.id, t.weight(kind)) for t in self.tenants.values()]
            weighted = [(tenant_id, w) for tenant_id, w in weighted if w > 0]
            self._by_kind[kind] = ([t for t, _ in weighted], cum([w for _, w in weighted]))
        return self._by_kind[kind]


def active_tenant_ids(conn: Connection) -> list[int]:
    query = select(TENANTS.c.id).where(TENANTS.c.status == "active").order_by(TENANTS.c.id)
    return list(conn.execute(query).scalars())


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def load_catalog(conn: Connection, at: datetime) -> Catalog:
    """Read the active tenants' staff, services and habits as of ``at``."""
    rows = conn.execute(
        select(TENANTS.c.id, TENANTS.c.vertical, TENANTS.c.province)
        .where(TENANTS.c.status == "active")
        .order_by(TENANTS.c.id)
    ).all()
    tenants = {
        r.id: TenantHabits(r.id, r.vertical, AREA_CODES.get(_plain(r.province or ""), "11"))
        for r in rows
    }
    facts = _Facts()
    for chunk in _chunks(list(tenants)):
        _read_resources(conn, chunk, tenants)
        facts.read(conn, chunk, at, tenants)
    facts.apply(tenants)
    return Catalog(at, tenants, list(tenants))


def _read_resources(conn: Connection, chunk: list[int], tenants: dict[int, TenantHabits]) -> None:
    for row in conn.execute(
        select(STAFF.c.id, STAFF.c.tenant_id, STAFF.c.location_id, STAFF.c.weekly_minutes)
        .where(STAFF.c.tenant_id.in_(chunk), STAFF.c.active.is_(True))
        .order_by(STAFF.c.id)
    ):
        tenant = tenants[row.tenant_id]
        daily = int(row.weekly_minutes / open_days_per_week(tenant.vertical))
        tenant.staff.append((row.id, row.location_id, daily))
    staff_tenant = {s[0]: t.id for t in tenants.values() for s in t.staff}
    wh = WORKING_HOURS.c
    for staff_id, weekday, starts, ends in conn.execute(
        select(wh.staff_id, wh.weekday, wh.starts, wh.ends)
        .where(wh.staff_id.in_(list(staff_tenant)))
        .order_by(wh.staff_id, wh.weekday, wh.starts)
    ):
        shifts = tenants[staff_tenant[staff_id]].shifts.setdefault(staff_id, {})
        shifts.setdefault(int(weekday), []).append((_minutes(starts), _minutes(ends)))
    for row in conn.execute(
        select(SERVICES.c.id, SERVICES.c.tenant_id, SERVICES.c.duration_min, SERVICES.c.price_ars)
        .where(SERVICES.c.tenant_id.in_(chunk), SERVICES.c.active.is_(True))
        .order_by(SERVICES.c.id)
    ):
        tenants[row.tenant_id].services.append((row.id, row.duration_min, float(row.price_ars)))
    for tenant_id, count in conn.execute(
        select(CUSTOMERS.c.tenant_id, func.count())
        .where(CUSTOMERS.c.tenant_id.in_(chunk))
        .group_by(CUSTOMERS.c.tenant_id)
    ):
        tenants[tenant_id].customer_count = count


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass
class _Facts:
    """Aggregates of the tenants' recent rows, before they become habits."""

    prices: dict[int, Counter[float]] = field(default_factory=lambda: defaultdict(Counter))
    statuses: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    channels: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    methods: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    rejections: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    features: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    admin: Counter[int] = field(default_factory=Counter)
    nps: dict[int, tuple[float, int]] = field(default_factory=dict)

    def read(
        self, conn: Connection, chunk: list[int], at: datetime, tenants: dict[int, TenantHabits]
    ) -> None:
        since = at - timedelta(days=HABIT_DAYS)
        b = BOOKINGS.c
        for tenant_id, status, channel, count in conn.execute(
            select(b.tenant_id, b.status, b.channel, func.count())
            .where(b.tenant_id.in_(chunk), b.start_at >= since, b.start_at < at)
            .group_by(b.tenant_id, b.status, b.channel)
        ):
            self.statuses[tenant_id][status] += count
            self.channels[tenant_id][channel] += count
        # A (service, price) histogram: the median of recent prices without fetching rows.
        for service_id, price, count in conn.execute(
            select(b.service_id, b.price_ars, func.count())
            .where(
                b.tenant_id.in_(chunk),
                b.start_at >= at - timedelta(days=PRICE_DAYS),
                b.start_at < at + timedelta(days=PRICE_DAYS),
            )
            .group_by(b.service_id, b.price_ars)
        ):
            self.prices[service_id][float(price)] += count
        p = PAYMENTS.c
        for tenant_id, method, status, count in conn.execute(
            select(p.tenant_id, p.method, p.status, func.count())
            .where(p.tenant_id.in_(chunk), p.created_at >= since, p.created_at < at)
            .group_by(p.tenant_id, p.method, p.status)
        ):
            self.methods[tenant_id][method] += count
            if method in ELECTRONIC:
                self.rejections[tenant_id]["rejected" if status == "rejected" else "other"] += count
        a = ADMIN.c
        for tenant_id, feature, count in conn.execute(
            select(a.tenant_id, a.feature, func.count())
            .where(a.tenant_id.in_(chunk), a.occurred_at >= since, a.occurred_at < at)
            .group_by(a.tenant_id, a.feature)
        ):
            self.admin[tenant_id] += count
            if feature:
                self.features[tenant_id][feature] += count
        for tenant_id, count in conn.execute(
            select(TICKETS.c.tenant_id, func.count())
            .where(
                TICKETS.c.tenant_id.in_(chunk),
                TICKETS.c.opened_at >= at - timedelta(days=180),
                TICKETS.c.opened_at < at,
            )
            .group_by(TICKETS.c.tenant_id)
        ):
            tenants[tenant_id].tickets_recent = count
        for tenant_id, mean, count in conn.execute(
            select(NPS.c.tenant_id, func.avg(NPS.c.score), func.count())
            .where(
                NPS.c.tenant_id.in_(chunk),
                NPS.c.responded_at >= at - timedelta(days=365),
                NPS.c.responded_at < at,
            )
            .group_by(NPS.c.tenant_id)
        ):
            self.nps[tenant_id] = (float(mean), count)

    def apply(self, tenants: dict[int, TenantHabits]) -> None:
        levels = {t.id: self._price_level(t) for t in tenants.values()}
        known = [level for level in levels.values() if level is not None]
        platform = sorted(known)[len(known) // 2] if known else 1.0
        for tenant in tenants.values():
            self._learn(tenant, levels[tenant.id] or platform)

    def _price_level(self, tenant: TenantHabits) -> float | None:
        """Median of recent booking prices over list prices (inflation since signup)."""
        ratios: Counter[float] = Counter()
        for service_id, _, list_price in tenant.services:
            for price, count in self.prices.get(service_id, {}).items():
                if list_price > 0:
                    ratios[price / list_price] += count
        return weighted_median(ratios) if ratios else None

    def _learn(self, tenant: TenantHabits, level: float) -> None:
        # A service's price: the median of its recent bookings if it has a few; else its list
        # price scaled by the tenant's (or platform's) price level, rounded as shops do.
        services = []
        for service_id, minutes, list_price in tenant.services:
            recent = self.prices.get(service_id)
            if recent and sum(recent.values()) >= 3:
                price = round(weighted_median(recent), 2)
            else:
                price = round(list_price * level, -2)
            services.append((service_id, minutes, max(price, 100.0)))
        tenant.services = services
        tenant.service_cum = cum([1.0 + sum(self.prices.get(s[0], {}).values()) for s in services])
        statuses = self.statuses[tenant.id]
        tenant.daily_bookings = sum(statuses.values()) / HABIT_DAYS
        decided = statuses["completed"] + statuses["no_show"]
        tenant.no_show_rate = _rate(statuses["no_show"], decided, NO_SHOW_PRIOR)
        tenant.cancel_rate = _rate(statuses["cancelled"], sum(statuses.values()), CANCEL_PRIOR)
        channels = self.channels[tenant.id]
        walk_ins = channels["walk_in"] + PRIOR_WEIGHT * CHANNEL_PRIOR["walk_in"]
        tenant.channels = [c for c in CHANNEL_PRIOR if c != "walk_in"]
        ahead = [channels[c] + PRIOR_WEIGHT * CHANNEL_PRIOR[c] for c in tenant.channels]
        tenant.channel_cum = cum(ahead)
        tenant.walk_in_share = walk_ins / (walk_ins + sum(ahead))
        methods = self.methods[tenant.id]
        tenant.methods, tenant.method_cum = _smoothed(methods, METHOD_PRIOR)
        electronic = sum(methods[m] + PRIOR_WEIGHT * METHOD_PRIOR[m] for m in ELECTRONIC)
        tenant.electronic_share = electronic / tenant.method_cum[-1]
        outcomes = self.rejections[tenant.id]
        reject_rate = _rate(outcomes["rejected"], outcomes.total(), REJECT_PRIOR)
        tenant.reject_factor = min(4.0, max(0.3, reject_rate / REJECT_PRIOR))
        tenant.features, tenant.feature_cum = _smoothed(self.features[tenant.id], FEATURE_PRIOR)
        tenant.admin_daily = self.admin[tenant.id] / HABIT_DAYS
        if tenant.id in self.nps:
            mean, count = self.nps[tenant.id]
            tenant.nps_mean = (mean * count + NPS_PRIOR * 5) / (count + 5)


_REGULARS = (
    select(BOOKINGS.c.customer_id)
    .where(
        BOOKINGS.c.tenant_id == bindparam("tenant_id"),
        BOOKINGS.c.start_at >= bindparam("since"),
        BOOKINGS.c.start_at < bindparam("at"),
    )
    .order_by(BOOKINGS.c.start_at.desc(), BOOKINGS.c.id.desc())
    .limit(REGULARS)
)


def regulars(conn: Connection, tenant: TenantHabits, at: datetime) -> list[int]:
    """The tenant's latest visitors, one entry per visit, so frequent clients come back more."""
    if tenant.regulars is None:
        since = at - timedelta(days=HABIT_DAYS)
        params = {"tenant_id": tenant.id, "since": since, "at": at}
        tenant.regulars = list(conn.execute(_REGULARS, params).scalars())
    return tenant.regulars
