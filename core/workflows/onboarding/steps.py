"""The wizard's steps and what each one accepts: pure validation, no database.

``validate_step(step, payload, draft, locale=...)`` returns a ``StepResult`` (the
normalized data to keep in the draft, plus warnings that send the case to manual review
without blocking it) or raises ``StepValidationError`` listing every ``FieldError`` it found, each
with the field, the row (for list steps) and one sentence in the UI language.

Draft layout (``OnboardingSession.draft``, JSON), one key per step::

    business:     {legal_name, trade_name, cuit, tax_status, legal_form, vertical, plan, tier}
    contact:      {owner_name, email, phone}
    locations:    [{name, address, province, city}]
    hours:        {location name: {"0": [["09:00", "20:00"]], ... "6": []}}
    services:     [{name, category, duration_min, price_ars}]
    staff:        [{name, location, role, services: [service names], hours: {weekday: shifts}}]
    integrations: {mercadopago: {...}, whatsapp: {...}, calendar: {...}}
    completed:    [step names whose last submission was valid]
    verification: {status, checks: [...], ran_at}   (written by onboarding.verification)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from core.errors import DomainError
from core.i18n import N_
from core.reference.plans import PLAN_TIER, PLANS
from core.validation import (
    ValidationError,
    is_disposable_email_domain,
    validate_cuit,
    validate_duration,
    validate_email,
    validate_legal_form,
    validate_opening_hours,
    validate_phone_ar,
    validate_plain_text,
    validate_province,
    validate_service_price,
    validate_staff_coverage,
    validate_tax_status,
)
from core.workflows.onboarding.messages import label, message

STEPS = (
    "business",
    "contact",
    "locations",
    "hours",
    "services",
    "staff",
    "integrations",
    "review",
    "activation",
)
# Steps whose data the operator types; review and activation act on it.
DATA_STEPS = STEPS[:7]
STEP_TITLES = {
    "business": N_("Business"),
    "contact": N_("Contact"),
    "locations": N_("Locations"),
    "hours": N_("Opening hours"),
    "services": N_("Services"),
    "staff": N_("Staff"),
    "integrations": N_("Integrations"),
    "review": N_("Review and verification"),
    "activation": N_("Activation"),
}
VERTICALS = ("barbershop", "salon", "spa", "nails")
TIERS = ("starter", "pro", "enterprise")
CALENDAR_PROVIDERS = ("google", "outlook")
MAX_LOCATIONS = 500
MAX_SERVICES = 300
MAX_STAFF = 20_000
# Who performs what: every pair becomes a staff-service row at activation. A chain of
# 500 locations x 10 people x 20 services is 100,000; "*" (every service) for thousands
# of people is a slip, not a chain (5,000 x 300 was 1.5 M rows and a 58 MiB draft).
MAX_STAFF_SERVICES = 100_000
# The draft is JSON read on every wizard rerun; the largest chain the caps allow with
# realistic names (20,000 people x 5 services of 40 characters, two shifts a day, 500
# locations) measured 12.2 MiB.
MAX_DRAFT_BYTES = 16 * 2**20
MAX_TEXT = {"legal_name": 160, "trade_name": 120, "owner_name": 120, "name": 120}
MAX_TEXT.update({"address": 200, "city": 80, "category": 40, "role": 40})
_MP_TOKEN = re.compile(r"(APP_USR|TEST)-[A-Za-z0-9-]{20,200}")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    row: int | None = None  # position in a list step (0-based), None for a form field
    code: str = ""


class StepValidationError(DomainError):
    """A step submission with errors; nothing was saved (``errors``: one per field)."""

    def __init__(self, errors: list[FieldError]) -> None:
        # Rendered messages, no params; the first field at fault names the error.
        first = errors[0] if errors else None
        super().__init__(
            "step_invalid",
            "; ".join(e.message for e in errors),
            field=first.field if first else None,
        )
        self.errors = errors


@dataclass
class StepResult:
    data: Any
    warnings: list[str] = field(default_factory=list)


class _Errors:
    """Collects the errors of one submission so the operator sees all of them at once."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.items: list[FieldError] = []

    def add(self, name: str, text: str, row: int | None = None, code: str = "") -> None:
        self.items.append(FieldError(name, text, row, code))

    def code(self, field_name: str, code: str, row: int | None = None, **params: Any) -> None:
        self.add(field_name, message(code, self.locale, **params), row, code)

    def check(
        self, name: str, func: Callable[[], Any], row: int | None = None, default: Any = None
    ) -> Any:
        """``func()``, or ``default`` after recording its ValidationError."""
        try:
            return func()
        except ValidationError as exc:
            self.add(name, exc.message, row, exc.code)
            return default

    def text(self, values: Mapping[str, Any], name: str, row: int | None = None) -> str:
        value = values.get(name)
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if not text:
            self.code(name, "required", row, label=label(name, self.locale))
        elif len(text) > MAX_TEXT.get(name, 120):
            self.code(name, "too_long", row, label=label(name, self.locale), max=MAX_TEXT[name])
        else:
            # Refused as the import refuses it: it would run in a spreadsheet download.
            self.check(
                name, partial(validate_plain_text, text, field=name, locale=self.locale), row
            )
        return text

    def choice(self, values: Mapping[str, Any], name: str, options: tuple[str, ...]) -> str:
        value = values.get(name)
        if value not in options:
            self.code(name, "choice", label=label(name, self.locale))
            return ""
        return str(value)

    def raise_if_any(self) -> None:
        if self.items:
            raise StepValidationError(self.items)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _rows(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list | tuple):
        return []
    return [_mapping(row) for row in value]


# ----------------------------------------------------------------------------- steps


def validate_business(payload: Any, draft: Mapping[str, Any], locale: str) -> StepResult:
    values, errors = _mapping(payload), _Errors(locale)
    data = {
        "legal_name": errors.text(values, "legal_name"),
        "trade_name": errors.text(values, "trade_name"),
        "cuit": errors.check("cuit", lambda: validate_cuit(values.get("cuit"), locale=locale)),
        "tax_status": errors.check(
            "tax_status", lambda: validate_tax_status(values.get("tax_status"), locale=locale)
        ),
        "legal_form": None,
        "vertical": errors.choice(values, "vertical", VERTICALS),
        "plan": errors.choice(values, "plan", PLANS),
        "tier": errors.choice(values, "tier", TIERS),
    }
    form = errors.check(
        "legal_form", lambda: validate_legal_form(values.get("legal_form"), locale=locale)
    )
    data["legal_form"] = form.key if form is not None else None
    if data["plan"] and data["tier"] and PLAN_TIER[data["plan"]] != data["tier"]:
        errors.code(
            "tier",
            "plan_tier",
            plan=data["plan"],
            tier=data["tier"],
            expected=PLAN_TIER[data["plan"]],
        )
    errors.raise_if_any()
    warnings = []
    fit = cuit_fit_problem(data["cuit"], data["tax_status"], data["legal_form"], locale)
    if fit:
        warnings.append(message("warn_cuit_tax", locale, detail=fit))
    return StepResult(data, warnings)


def cuit_fit_problem(cuit: str, tax_status: str, legal_form: str | None, locale: str) -> str:
    """Why the CUIT prefix does not fit the tax status and legal form ("" when it does)."""
    try:
        validate_cuit(cuit, tax_status=tax_status, legal_form=legal_form, locale=locale)
    except ValidationError as exc:
        return exc.message
    return ""


def validate_contact(payload: Any, draft: Mapping[str, Any], locale: str) -> StepResult:
    values, errors = _mapping(payload), _Errors(locale)
    data = {
        "owner_name": errors.text(values, "owner_name"),
        "email": errors.check("email", lambda: validate_email(values.get("email"), locale=locale)),
        "phone": errors.check(
            "phone", lambda: validate_phone_ar(values.get("phone"), locale=locale)
        ),
    }
    errors.raise_if_any()
    warnings = []
    if is_disposable_email_domain(data["email"], locale=locale):
        domain = data["email"].rpartition("@")[2]
        warnings.append(message("warn_disposable", locale, domain=domain))
    return StepResult(data, warnings)


def _unique(errors: _Errors, names: list[str], kind: str) -> None:
    seen: set[str] = set()
    for row, name in enumerate(names):
        key = name.casefold()
        if name and key in seen:
            errors.code("name", "duplicate_name", row, name=name, label=label(kind, errors.locale))
        seen.add(key)


def _count(errors: _Errors, rows: list[Any], name: str, kind: str, maximum: int) -> None:
    if not rows:
        errors.code(name, "none", label=label(kind, errors.locale))
    elif len(rows) > maximum:
        errors.code(name, "too_many", max=maximum, label=label(name, errors.locale))


def validate_locations(payload: Any, draft: Mapping[str, Any], locale: str) -> StepResult:
    rows, errors = _rows(payload), _Errors(locale)
    _count(errors, rows, "locations", "location", MAX_LOCATIONS)
    data = []
    for i, row in enumerate(rows):
        data.append(
            {
                "name": errors.text(row, "name", i),
                "address": errors.text(row, "address", i),
                "province": errors.check(
                    "province", partial(validate_province, row.get("province"), locale=locale), i
                ),
                "city": errors.text(row, "city", i),
            }
        )
    _unique(errors, [d["name"] for d in data], "location")
    errors.raise_if_any()
    return StepResult(data)


def location_names(draft: Mapping[str, Any]) -> list[str]:
    return [loc["name"] for loc in draft.get("locations") or []]


def validate_hours(payload: Any, draft: Mapping[str, Any], locale: str) -> StepResult:
    values, errors = _mapping(payload), _Errors(locale)
    names = location_names(draft)
    if not names:
        errors.code("locations", "none", label=label("location", locale))
    data = {}
    for i, name in enumerate(names):
        hours = values.get(name)
        week = errors.check(
            "opening_hours", partial(validate_opening_hours, hours, locale=locale), i
        )
        if week is not None:
            data[name] = {str(day): [list(s) for s in shifts] for day, shifts in week.items()}
    errors.raise_if_any()
    return StepResult(data)


def validate_services(
    payload: Any, draft: Mapping[str, Any], locale: str, as_of: date | None = None
) -> StepResult:
    rows, errors = _rows(payload), _Errors(locale)
    vertical = (draft.get("business") or {}).get("vertical") or "barbershop"
    _count(errors, rows, "services", "service", MAX_SERVICES)
    data = []
    for i, row in enumerate(rows):
        data.append(
            {
                "name": errors.text(row, "name", i),
                "category": errors.text(row, "category", i),
                "duration_min": errors.check(
                    "duration",
                    partial(validate_duration, row.get("duration_min"), locale=locale),
                    i,
                ),
                "price_ars": errors.check(
                    "price",
                    partial(
                        validate_service_price,
                        row.get("price_ars"),
                        vertical=vertical,
                        as_of=as_of,
                        locale=locale,
                    ),
                    i,
                ),
            }
        )
    _unique(errors, [d["name"] for d in data], "service")
    errors.raise_if_any()
    return StepResult(data)


def staff_key(person: Mapping[str, Any]) -> str:
    return f"{person['name']} · {person['location']}"


def validate_staff(payload: Any, draft: Mapping[str, Any], locale: str) -> StepResult:
    rows, errors = _rows(payload), _Errors(locale)
    locations = set(location_names(draft))
    services = [s["name"] for s in draft.get("services") or []]
    offered = set(services)
    _count(errors, rows, "staff", "staff", MAX_STAFF)
    data = []
    pairs = 0
    for i, row in enumerate(rows):
        person: dict[str, Any] = {
            "name": errors.text(row, "name", i),
            "location": str(row.get("location") or ""),
            "role": errors.text(row, "role", i),
            "services": [],
            "hours": None,
        }
        if person["location"] not in locations:
            errors.code("location", "unknown_location", i, name=person["location"])
        performed = row.get("services")
        performed = list(performed) if isinstance(performed, list | tuple) else []
        for service in performed:
            if service not in offered:
                errors.code("services", "unknown_service", i, name=str(service))
        person["services"] = [s for s in dict.fromkeys(performed) if s in offered]
        if not performed:
            errors.code("services", "no_services_performed", i)
        pairs += len(person["services"])
        if pairs > MAX_STAFF_SERVICES:  # the row that crosses the cap, then stop
            errors.code("services", "too_many_staff_services", i, max=MAX_STAFF_SERVICES)
            errors.raise_if_any()
        week = errors.check(
            "working_hours",
            partial(validate_opening_hours, row.get("hours"), locale=locale),
            i,
        )
        if week is not None:
            person["hours"] = {str(d): [list(s) for s in shifts] for d, shifts in week.items()}
        data.append(person)
    keys = [staff_key(p) for p in data]
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key.casefold() in seen:
            errors.code("name", "duplicate_name", i, name=key, label=label("staff", locale))
        seen.add(key.casefold())
    if not errors.items and services:
        errors.check(
            "staff",
            lambda: validate_staff_coverage(
                services, {k: p["services"] for k, p in zip(keys, data, strict=True)}, locale=locale
            ),
        )
    errors.raise_if_any()
    return StepResult(data)


def weekly_minutes(hours: Mapping[str, Any] | None) -> int:
    """Minutes a week in a normalized week of shifts."""
    total = 0
    for shifts in (hours or {}).values():
        for opens, closes in shifts:
            total += _clock_minutes(closes) - _clock_minutes(opens)
    return total


def _clock_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def mask_secret(secret: str) -> dict[str, str]:
    """What the console keeps of a credential: a masked hint and a fingerprint, never the
    secret itself (it belongs in the platform's secret store, configured by the tenant)."""
    return {
        "hint": f"{secret.split('-', 1)[0]}-…{secret[-4:]}",
        "sha256": hashlib.sha256(secret.encode()).hexdigest()[:16],
    }


def validate_integrations(payload: Any, draft: Mapping[str, Any], locale: str) -> StepResult:
    values, errors = _mapping(payload), _Errors(locale)
    data: dict[str, dict[str, Any]] = {}

    mp = _mapping(values.get("mercadopago"))
    data["mercadopago"] = {"enabled": bool(mp.get("enabled"))}
    if data["mercadopago"]["enabled"]:
        token = mp.get("access_token")
        if isinstance(token, str) and _MP_TOKEN.fullmatch(token.strip()):
            data["mercadopago"]["token"] = mask_secret(token.strip())
        elif isinstance(token, Mapping) and "sha256" in token:  # already masked: kept
            data["mercadopago"]["token"] = dict(token)
        else:
            errors.code("mp_access_token", "mp_token")
        data["mercadopago"]["account_email"] = errors.check(
            "mp_account_email", lambda: validate_email(mp.get("account_email"), locale=locale)
        )

    wa = _mapping(values.get("whatsapp"))
    data["whatsapp"] = {"enabled": bool(wa.get("enabled"))}
    if data["whatsapp"]["enabled"]:
        phone = errors.check(
            "wa_sender_phone", lambda: validate_phone_ar(wa.get("sender_phone"), locale=locale)
        )
        if phone is not None and not phone.startswith("+549"):
            errors.code("wa_sender_phone", "whatsapp_mobile")
        data["whatsapp"]["sender_phone"] = phone
        hours = wa.get("hours_before")
        if isinstance(hours, float) and hours.is_integer():
            hours = int(hours)
        if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 72:
            errors.code(
                "wa_hours_before",
                "whole_number",
                label=label("hours_before", locale),
                low=1,
                high=72,
            )
        data["whatsapp"]["hours_before"] = hours

    cal = _mapping(values.get("calendar"))
    data["calendar"] = {"enabled": bool(cal.get("enabled"))}
    if data["calendar"]["enabled"]:
        if cal.get("provider") not in CALENDAR_PROVIDERS:
            errors.code("cal_provider", "calendar_provider")
        data["calendar"]["provider"] = cal.get("provider")
        data["calendar"]["account_email"] = errors.check(
            "cal_account_email", lambda: validate_email(cal.get("account_email"), locale=locale)
        )
    errors.raise_if_any()
    return StepResult(data)


VALIDATORS: dict[str, Callable[..., StepResult]] = {
    "business": validate_business,
    "contact": validate_contact,
    "locations": validate_locations,
    "hours": validate_hours,
    "services": validate_services,
    "staff": validate_staff,
    "integrations": validate_integrations,
}


def draft_size(draft: Mapping[str, Any]) -> int:
    """Bytes of ``draft`` as the JSON column stores it."""
    return len(json.dumps(draft, ensure_ascii=False, default=str).encode())


def check_draft_size(draft: Mapping[str, Any], step: str, *, locale: str = "es_AR") -> None:
    """Raise StepValidationError when ``draft`` is over ``MAX_DRAFT_BYTES``."""
    size = draft_size(draft)
    if size > MAX_DRAFT_BYTES:
        raise StepValidationError(
            [
                FieldError(
                    step,
                    message(
                        "draft_too_large",
                        locale,
                        size=f"{size / 2**20:.1f}",
                        limit=f"{MAX_DRAFT_BYTES / 2**20:.1f}",
                    ),
                    code="draft_too_large",
                )
            ]
        )


def validate_step(
    step: str, payload: Any, draft: Mapping[str, Any], *, locale: str = "es_AR"
) -> StepResult:
    """Validate one data step's submission against the rest of the draft.

    The draft with the step's data in it must stay under ``MAX_DRAFT_BYTES``, so every
    save (a wizard step or an import) is bounded.
    """
    if step not in VALIDATORS:
        raise StepValidationError([FieldError("step", message("step_unknown", locale, step=step))])
    result = VALIDATORS[step](payload, draft, locale)
    check_draft_size({**draft, step: result.data}, step, locale=locale)
    return result
