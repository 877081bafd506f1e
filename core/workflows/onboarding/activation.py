"""Activation: one transaction turns a verified draft into a live tenant.

Idempotent by a conditional update on the session row, the first write of the
transaction::

    UPDATE onboarding_sessions SET status = 'activated', ...
    WHERE id = :id AND status = 'in_progress'
      AND verification_status IN ('auto_approved', 'approved')

Exactly one submission can match it. On SQLite the second writer waits for the first
one's commit (one writer at a time) and then matches no row; on PostgreSQL (READ
COMMITTED) the second UPDATE blocks on the row lock and, once the first commits,
re-evaluates the WHERE clause on the new row version and matches nothing. The loser
reads the row again, writes nothing and returns the winner's tenant with
``created=False``, so a double click, a retry or two concurrent submits give one tenant.
``tenants.cuit`` is unique as a last guard against two sessions of the same business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.clock import now
from core.commands import Actor, StaleWriteError
from core.errors import DomainError
from core.reference.geography import PROVINCES
from core.reference.plans import plan_price
from core.schema import Location, OnboardingSession, Service, Staff, Subscription, Tenant
from core.schema.onboarding_wizard import (
    LocationOpeningHours,
    StaffService,
    StaffWorkingHours,
    TenantIntegration,
)
from core.validation.identity import compact_key
from core.workflows.onboarding.drafts import (
    OnboardingError,
    _fail,
    complete_step,
    get_session,
)
from core.workflows.onboarding.steps import DATA_STEPS, weekly_minutes

APPROVED = ("auto_approved", "approved")


@dataclass(frozen=True)
class ActivationResult:
    tenant_id: int
    created: bool  # False when an earlier submission had already activated the session


def _coordinates(province: str, city: str) -> tuple[float, float]:
    """The city's coordinates from the reference data, else the province's first city."""
    for entry in PROVINCES:
        if entry.name == province:
            key = compact_key(city)
            for known in entry.cities:
                if compact_key(known.name) == key:
                    return known.latitude, known.longitude
            return entry.cities[0].latitude, entry.cities[0].longitude
    return -34.6037, -58.3816  # pragma: no cover - provinces are validated


def _check_ready(row: OnboardingSession, locale: str) -> None:
    if row.status != "in_progress":
        raise _fail("session_closed", locale, session_id=row.id, status=row.status)
    if row.verification_status == "manual_review":
        raise _fail("awaiting_review", locale)
    if row.verification_status not in APPROVED:
        raise _fail("not_verified", locale)
    done = set((row.draft or {}).get("completed") or [])
    if any(step not in done for step in DATA_STEPS):
        raise _fail("not_verified", locale)


def _claim(session: Session, session_id: int, at: datetime, expected_version: int | None) -> bool:
    """The conditional update: True for the one submission that gets to activate.

    With ``expected_version`` (what the wizard showed), only if no other window changed
    the session since: the version check of ``core.commands.claim_version``, in the
    same statement.
    """
    statement = update(OnboardingSession).where(
        OnboardingSession.id == session_id,
        OnboardingSession.status == "in_progress",
        OnboardingSession.verification_status.in_(APPROVED),
    )
    if expected_version is not None:
        statement = statement.where(OnboardingSession.version == int(expected_version))
    result = session.execute(
        statement.values(
            status="activated",
            activated_at=at,
            current_step="activation",
            updated_at=at,
            version=OnboardingSession.version + 1,
        ).execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1  # an UPDATE's result


def _create(session: Session, draft: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    business, contact = draft["business"], draft["contact"]
    locations, services, staff = draft["locations"], draft["services"], draft["staff"]
    today = at.date()
    main = locations[0]
    tenant = Tenant(
        legal_name=business["legal_name"],
        trade_name=business["trade_name"],
        cuit=business["cuit"],
        tax_status=business["tax_status"],
        vertical=business["vertical"],
        plan=business["plan"],
        tier=business["tier"],
        province=main["province"],
        city=main["city"],
        owner_name=contact["owner_name"],
        email=contact["email"],
        phone=contact["phone"],
        signup_date=today,
        status="active",
        created_at=at,
        updated_at=at,
    )
    session.add(tenant)
    session.flush()
    location_rows = []
    for loc in locations:
        lat, lon = _coordinates(loc["province"], loc["city"])
        location_rows.append(
            {
                "tenant_id": tenant.id,
                "name": loc["name"],
                "address": loc["address"],
                "province": loc["province"],
                "city": loc["city"],
                "latitude": lat,
                "longitude": lon,
                "opened_on": today,
                "updated_at": at,
            }
        )
    location_ids = _insert_returning(session, Location, location_rows)
    location_id = {loc["name"]: lid for loc, lid in zip(locations, location_ids, strict=True)}
    hours_rows = [
        {
            "location_id": location_id[name],
            "weekday": int(day),
            "opens": o,
            "closes": c,
            "updated_at": at,
        }
        for name, week in draft["hours"].items()
        for day, shifts in week.items()
        for o, c in shifts
    ]
    _insert(session, LocationOpeningHours, hours_rows)
    service_ids = _insert_returning(
        session,
        Service,
        [
            {
                "tenant_id": tenant.id,
                "name": s["name"],
                "category": s["category"],
                "duration_min": s["duration_min"],
                "price_ars": s["price_ars"],
                "active": True,
                "updated_at": at,
            }
            for s in services
        ],
    )
    service_id = {s["name"]: sid for s, sid in zip(services, service_ids, strict=True)}
    staff_ids = _insert_returning(
        session,
        Staff,
        [
            {
                "tenant_id": tenant.id,
                "location_id": location_id[p["location"]],
                "full_name": p["name"],
                "role": p["role"],
                "weekly_minutes": weekly_minutes(p["hours"]),
                "active": True,
                "hired_on": today,
                "updated_at": at,
            }
            for p in staff
        ],
    )
    _insert(
        session,
        StaffWorkingHours,
        [
            {"staff_id": sid, "weekday": int(day), "starts": o, "ends": c, "updated_at": at}
            for p, sid in zip(staff, staff_ids, strict=True)
            for day, shifts in p["hours"].items()
            for o, c in shifts
        ],
    )
    _insert(
        session,
        StaffService,
        [
            {"staff_id": sid, "service_id": service_id[name], "updated_at": at}
            for p, sid in zip(staff, staff_ids, strict=True)
            for name in p["services"]
        ],
    )
    integrations = draft.get("integrations") or {}
    _insert(
        session,
        TenantIntegration,
        [
            {
                "tenant_id": tenant.id,
                "kind": kind,
                "enabled": bool(settings.get("enabled")),
                "settings": {k: v for k, v in settings.items() if k != "enabled"} or None,
                "updated_at": at,
            }
            for kind, settings in integrations.items()
        ],
    )
    mrr = plan_price(business["plan"], len(locations), today)
    subscription = Subscription(
        tenant_id=tenant.id,
        plan=business["plan"],
        tier=business["tier"],
        mrr_ars=mrr,
        started_on=today,
        ended_on=None,
        change_reason="new",
        updated_at=at,
    )
    session.add(subscription)
    session.flush()
    return {
        "tenant_id": tenant.id,
        "trade_name": tenant.trade_name,
        "cuit": tenant.cuit,
        "plan": tenant.plan,
        "tier": tenant.tier,
        "mrr_ars": mrr,
        "subscription_id": subscription.id,
        "locations": len(location_ids),
        "services": len(service_ids),
        "staff": len(staff_ids),
        "integrations": sorted(k for k, v in integrations.items() if v.get("enabled")),
    }


def _insert(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)


def _insert_returning(session: Session, model: type, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk insert (one statement per batch) returning the new ids in the rows' order."""
    if not rows:
        return []
    result = session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True),  # type: ignore[attr-defined]
        rows,
    )
    return [row[0] for row in result]


@dataclass
class ActivateTenant:
    """Create the tenant of a verified onboarding (idempotent, audit-logged as the actor).

    A submission that loses the race to the conditional update reads the winner's tenant
    (see the module's docstring); a CUIT another tenant took meanwhile, refused by the
    unique key at the insert or the commit, becomes the ``cuit_taken`` message.
    """

    required_capability = Capability.RUN_ONBOARDING

    session_id: int
    locale: str = "es_AR"
    at: datetime | None = None
    # The session's version the activation page showed (None: no form).
    expected_version: int | None = None
    _cuit: str = field(default="", init=False, repr=False)

    def validate(self, *, session: Session, actor: Actor) -> None:
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        self._cuit = ((row.draft or {}).get("business") or {}).get("cuit", "")
        if not _activated(row):
            _check_ready(row, self.locale)

    def run(self, *, session: Session, actor: Actor) -> ActivationResult:
        at = self.at or now()
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        if _activated(row):
            return ActivationResult(row.tenant_id, created=False)  # type: ignore[arg-type]
        if not _claim(session, self.session_id, at, self.expected_version):
            return _already(session, self.session_id, self.locale, self.expected_version)
        # Read after the claim: no other writer can have changed the draft since.
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        draft = dict(row.draft or {})
        created = _create(session, draft, at)
        session.execute(
            update(OnboardingSession)
            .where(OnboardingSession.id == self.session_id)
            .values(tenant_id=created["tenant_id"])
            .execution_options(synchronize_session=False)
        )
        session.expire(row)
        complete_step(session, row, "activation", at)
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="tenant.activate",
            entity="tenant",
            entity_id=created["tenant_id"],
            before=None,
            after={**created, "onboarding_session_id": self.session_id},
        )
        return ActivationResult(created["tenant_id"], created=True)

    def on_commit_error(self, exc: IntegrityError) -> DomainError | None:
        """Two sessions of one business: the unique CUIT refused the second tenant."""
        if "cuit" in str(exc.orig).lower():
            return _fail("cuit_taken", self.locale, cuit=self._cuit)
        return None


def _activated(row: OnboardingSession) -> bool:
    return row.status == "activated" and row.tenant_id is not None


def _already(
    session: Session, session_id: int, locale: str, expected_version: int | None = None
) -> ActivationResult:
    """After losing the race: the winner's tenant, or why there is none.

    The claim matched no row because another transaction changed it and committed; a new
    statement sees that commit (PostgreSQL's READ COMMITTED takes a snapshot per
    statement; on SQLite the claim's write lock was granted after the winner's commit),
    so the row is read again, overwriting the stale copy this session holds.
    """
    row = session.scalars(
        select(OnboardingSession)
        .where(OnboardingSession.id == session_id)
        .execution_options(populate_existing=True)
    ).one()
    if _activated(row):
        return ActivationResult(row.tenant_id, created=False)  # type: ignore[arg-type]
    if expected_version is not None and row.version != expected_version:
        raise StaleWriteError()
    _check_ready(row, locale)
    raise OnboardingError("activation raced with another change; try again", "retry")
