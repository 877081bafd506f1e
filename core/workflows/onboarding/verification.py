"""Verification at the review step, and the manual-review decisions.

Each check has a reason code. A clean draft is approved automatically; any flagged check
sends the session to manual review, where a reviewer approves or rejects it with a comment.

What the session columns mean (the Onboarding Funnel reads them):

* ``verification_status``: NULL until verification has run on the current data (and set
  back to NULL when the data changes after it); ``auto_approved`` when every check passed;
  ``manual_review`` while flagged and waiting for a reviewer; ``approved`` or ``rejected``
  once a reviewer decided (a rejection also sets ``status = 'rejected'``).
* ``verification_reasons``: the flagged reason codes, comma-separated (NULL when clean).
* The automated-verification rate is ``auto_approved`` over the sessions whose
  verification has run (``verification_status`` not NULL); see ``verification_rate``.

Checks (reason codes): ``duplicate_cuit``, ``duplicate_email``, ``duplicate_phone``
(against existing tenants), ``cuit_tax_status`` (CUIT prefix vs tax status and legal form),
``phone_area_province`` (the contact phone's area code belongs to none of the locations'
provinces), ``price_outlier`` (a service more than ``OUTLIER_FACTOR`` times above or below
the median of the same service at tenants of the same vertical, or of its category when
fewer than ``MIN_SAMPLES`` tenants sell it under that name; prices brought to today with
CPI; groups with fewer prices are not judged),
``disposable_email``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.clock import now
from core.commands import Actor
from core.formatting import format_money
from core.inflation.reference import cpi_index, month_key
from core.schema import OnboardingSession, Service, Tenant
from core.schema.onboarding_wizard import OnboardingReview
from core.validation import (
    ValidationError,
    is_disposable_email_domain,
    phone_area_code,
    phone_matches_province,
)
from core.workflows.onboarding.drafts import (
    OnboardingError,
    _enter,
    _fail,
    complete_step,
    completed_steps,
    get_session,
    open_session,
)
from core.workflows.onboarding.messages import message
from core.workflows.onboarding.steps import DATA_STEPS, cuit_fit_problem

REASON_CODES = (
    "duplicate_cuit",
    "duplicate_email",
    "duplicate_phone",
    "cuit_tax_status",
    "phone_area_province",
    "price_outlier",
    "disposable_email",
)
OUTLIER_FACTOR = 3.0
MIN_SAMPLES = 5  # fewer prices than this: no basis to call one an outlier
VERTICAL_NAMES = {
    "barbershop": ("barbershop", "barbería"),
    "salon": ("hair salon", "peluquería"),
    "spa": ("spa", "spa"),
    "nails": ("nail studio", "estudio de uñas"),
}


@dataclass(frozen=True)
class Check:
    code: str
    params: dict[str, Any]


def _tenant_label(tenant: Tenant) -> str:
    return f"{tenant.trade_name} (#{tenant.id})"


def duplicate_checks(session: Session, draft: Mapping[str, Any]) -> list[Check]:
    business, contact = draft["business"], draft["contact"]
    found = []
    lookups = (
        ("duplicate_cuit", "cuit", Tenant.cuit == business["cuit"], business["cuit"]),
        (
            "duplicate_email",
            "email",
            func.lower(Tenant.email) == contact["email"].lower(),
            contact["email"],
        ),
        ("duplicate_phone", "phone", Tenant.phone == contact["phone"], contact["phone"]),
    )
    for code, name, condition, value in lookups:
        tenant = session.scalars(select(Tenant).where(condition).limit(1)).one_or_none()
        if tenant is not None:
            found.append(Check(code, {name: value, "tenant": _tenant_label(tenant)}))
    return found


def vertical_price_medians(
    session: Session, vertical: str, at: datetime
) -> dict[tuple[str, str], float]:
    """Median service price at tenants of ``vertical`` per service name (``("name", n)``)
    and per category (``("category", c)``), each price carried from the month it was last
    set (the service's ``updated_at``: a repricing, or the signup) to ``at`` with CPI; only
    groups with at least ``MIN_SAMPLES`` prices."""
    rows = session.execute(
        select(Service.name, Service.category, Service.price_ars, Service.updated_at)
        .join(Tenant, Tenant.id == Service.tenant_id)
        .where(Tenant.vertical == vertical, Service.active.is_(True))
    ).all()
    if not rows:
        return {}
    months = [month_key(min(r.updated_at, at).date()) for r in rows]
    level = cpi_index(months, month_key(at.date()))
    prices = np.array([float(r.price_ars) for r in rows]) / level
    medians: dict[tuple[str, str], float] = {}
    for kind, index in (("name", 0), ("category", 1)):
        keys = np.array([str(r[index]).casefold() for r in rows], dtype=object)
        for key in set(keys):
            chosen = prices[keys == key]
            if len(chosen) >= MIN_SAMPLES:
                medians[(kind, key)] = float(np.median(chosen))
    return medians


def price_checks(
    services: list[dict[str, Any]], vertical: str, medians: Mapping[tuple[str, str], float]
) -> list[Check]:
    """Services priced more than ``OUTLIER_FACTOR`` times off the median of the same
    service elsewhere (by name), or else of its category."""
    found = []
    for service in services:
        by_name = medians.get(("name", service["name"].casefold()))
        median = by_name or medians.get(("category", service["category"].casefold()))
        if not median:  # too few prices to judge by
            continue
        ratio = service["price_ars"] / median
        if ratio > OUTLIER_FACTOR or ratio < 1 / OUTLIER_FACTOR:
            found.append(
                Check(
                    "price_outlier",
                    {
                        "service": service["name"],
                        "price": service["price_ars"],
                        "median": round(median, 2),
                        "category": service["name"] if by_name else service["category"],
                        "vertical": vertical,
                    },
                )
            )
    return found


def data_checks(draft: Mapping[str, Any]) -> list[Check]:
    """The checks that need no database: CUIT fit, area code, disposable domain."""
    business, contact = draft["business"], draft["contact"]
    found = []
    problem = cuit_fit_problem(
        business["cuit"], business["tax_status"], business.get("legal_form"), "en"
    )
    if problem:
        found.append(
            Check(
                "cuit_tax_status",
                {
                    "cuit": business["cuit"],
                    "tax_status": business["tax_status"],
                    "legal_form": business.get("legal_form"),
                },
            )
        )
    provinces = sorted({loc["province"] for loc in draft["locations"]})
    try:
        matches = any(phone_matches_province(contact["phone"], p) for p in provinces)
        area = phone_area_code(contact["phone"])
    except ValidationError:  # a stored phone is valid; be safe with an edited draft
        matches, area = False, "?"
    if not matches:
        found.append(Check("phone_area_province", {"area": area, "provinces": provinces}))
    if is_disposable_email_domain(contact["email"]):
        found.append(Check("disposable_email", {"domain": contact["email"].rpartition("@")[2]}))
    return found


def run_checks(session: Session, draft: Mapping[str, Any], at: datetime) -> list[Check]:
    vertical = draft["business"]["vertical"]
    medians = vertical_price_medians(session, vertical, at)
    return (
        duplicate_checks(session, draft)
        + data_checks(draft)
        + price_checks(draft["services"], vertical, medians)
    )


def describe(check: Mapping[str, Any], locale: str) -> str:
    """One sentence for a stored check, in ``locale``."""
    params = dict(check.get("params") or {})
    code = check["code"]
    lang = 0 if locale.startswith("en") else 1
    if code == "price_outlier":
        params["price"] = format_money(params["price"], locale=locale)
        params["median"] = format_money(params["median"], locale=locale)
        params["factor"] = f"{OUTLIER_FACTOR:g}"
        params["vertical"] = VERTICAL_NAMES.get(params["vertical"], (params["vertical"],) * 2)[lang]
    elif code == "phone_area_province":
        params["provinces"] = ", ".join(params["provinces"])
    elif code == "cuit_tax_status":
        params["detail"] = cuit_fit_problem(
            params["cuit"], params["tax_status"], params.get("legal_form"), locale
        )
    return message(code, locale, **params)


@dataclass
class VerifyOnboarding:
    """Run every check on the session's draft; returns the new ``verification_status``."""

    required_capability = Capability.RUN_ONBOARDING

    session_id: int
    locale: str = "es_AR"
    at: datetime | None = None
    expected_version: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        row = open_session(
            session, self.session_id, self.locale, expected_version=self.expected_version
        )
        if any(step not in completed_steps(row.draft) for step in DATA_STEPS):
            raise _fail("step_locked", self.locale, step="review")

    def run(self, *, session: Session, actor: Actor) -> str:
        at = self.at or now()
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        draft = dict(row.draft or {})
        checks = run_checks(session, draft, at)
        status = "manual_review" if checks else "auto_approved"
        row.verification_status = status
        row.verification_reasons = ",".join(dict.fromkeys(c.code for c in checks)) or None
        draft["verification"] = {
            "status": status,
            "ran_at": at.isoformat(timespec="seconds"),
            "checks": [{"code": c.code, "params": c.params} for c in checks],
        }
        row.draft = draft
        row.updated_at = at
        if status == "auto_approved":
            complete_step(session, row, "review", at)
            _enter(session, row, "activation", at)
        return status


@dataclass
class DecideReview:
    """The actor, as reviewer, approves or rejects an onboarding in manual review, with a
    comment."""

    required_capability = Capability.REVIEW_ONBOARDING

    session_id: int
    approve: bool
    comment: str
    locale: str = "es_AR"
    at: datetime | None = None
    expected_version: int | None = None

    def _comment(self) -> str:
        return " ".join(self.comment.split()) if isinstance(self.comment, str) else ""

    def validate(self, *, session: Session, actor: Actor) -> None:
        if not self._comment():
            raise _fail("comment_required", self.locale)
        row = open_session(
            session, self.session_id, self.locale, expected_version=self.expected_version
        )
        if row.verification_status != "manual_review":
            raise _fail("not_in_review", self.locale)
        if row.operator_id is not None and row.operator_id == actor.user_id:
            raise _fail("four_eyes", self.locale)

    def run(self, *, session: Session, actor: Actor) -> None:
        at = self.at or now()
        comment, approve, reviewer_id = self._comment(), self.approve, actor.user_id
        row = get_session(session=session, session_id=self.session_id, locale=self.locale)
        decision = "approved" if approve else "rejected"
        before = {"status": row.status, "verification_status": row.verification_status}
        row.verification_status = decision
        if not approve:
            row.status = "rejected"
        row.updated_at = at
        draft = dict(row.draft or {})
        draft["review"] = {
            "decision": decision,
            "reviewer_id": reviewer_id,
            "comment": comment,
            "decided_at": at.isoformat(timespec="seconds"),
        }
        row.draft = draft
        session.add(
            OnboardingReview(
                session_id=row.id,
                decision=decision,
                reviewer_id=reviewer_id,
                reasons=row.verification_reasons,
                comment=comment,
                decided_at=at,
                updated_at=at,
            )
        )
        complete_step(session, row, "review", at)
        if approve:
            row.current_step = "activation"
        audit.record(
            session=session,
            actor_id=reviewer_id,
            action=f"onboarding.review_{'approve' if approve else 'reject'}",
            entity="onboarding_session",
            entity_id=row.id,
            before=before,
            after={
                "status": row.status,
                "verification_status": decision,
                "reasons": row.verification_reasons,
            },
            comment=comment,
        )


def verification_rate(*, session: Session) -> tuple[int, int]:
    """(auto-approved, verified) over every session whose verification has run."""
    rows = dict(
        session.execute(
            select(OnboardingSession.verification_status, func.count())
            .where(OnboardingSession.verification_status.is_not(None))
            .group_by(OnboardingSession.verification_status)
        ).all()
    )
    return int(rows.get("auto_approved", 0)), int(sum(rows.values()))


__all__ = [
    "REASON_CODES",
    "Check",
    "DecideReview",
    "OnboardingError",
    "VerifyOnboarding",
    "describe",
]
