"""Validation for the onboarding wizard: pure functions, one exception, two languages.

Every function here either returns the normalized value or raises ``ValidationError``
(a ``ValueError``) with a ``code``, the ``field`` at fault and a one-sentence message
in the UI language (``locale="es_AR"`` by default, or ``"en"``), whatever it is given:
``None``, numbers, bytes, huge or odd Unicode strings. Nothing here touches Streamlit or
the database; checks against existing tenants (duplicate CUIT...) belong to the
onboarding command that calls these.

* ``identity``: CUIT, tax status and legal form.
* ``contact``: province, Argentine phone numbers, e-mail addresses.
* ``opening_hours``: the weekly schedule.
* ``business_rules``: service prices and durations, staff coverage.
* ``text``: free text that would run as a spreadsheet formula.
* ``messages``: the message catalog (English msgid, Argentine Spanish translation).
"""

from core.validation.business_rules import (
    DURATION_STEP_MIN,
    MAX_DURATION_MIN,
    PRICE_CEILING_FACTOR,
    PRICE_FLOOR_FACTOR,
    service_price_bounds,
    validate_duration,
    validate_service_price,
    validate_staff_coverage,
)
from core.validation.contact import (
    disposable_email_domains,
    is_disposable_email_domain,
    phone_area_code,
    phone_matches_province,
    validate_email,
    validate_phone_ar,
    validate_province,
)
from core.validation.errors import DEFAULT_LOCALE, SUPPORTED_LOCALES, ValidationError
from core.validation.identity import (
    COMPANY_PREFIXES,
    CUIT_PREFIXES,
    LEGAL_FORMS,
    PERSON_PREFIXES,
    TAX_STATUSES,
    LegalForm,
    cuit_check_digit,
    validate_cuit,
    validate_legal_form,
    validate_tax_status,
)
from core.validation.opening_hours import validate_opening_hours
from core.validation.text import looks_like_formula, validate_plain_text

__all__ = [
    "COMPANY_PREFIXES",
    "CUIT_PREFIXES",
    "DEFAULT_LOCALE",
    "DURATION_STEP_MIN",
    "LEGAL_FORMS",
    "MAX_DURATION_MIN",
    "PERSON_PREFIXES",
    "PRICE_CEILING_FACTOR",
    "PRICE_FLOOR_FACTOR",
    "SUPPORTED_LOCALES",
    "TAX_STATUSES",
    "LegalForm",
    "ValidationError",
    "cuit_check_digit",
    "disposable_email_domains",
    "is_disposable_email_domain",
    "looks_like_formula",
    "phone_area_code",
    "phone_matches_province",
    "service_price_bounds",
    "validate_cuit",
    "validate_duration",
    "validate_email",
    "validate_legal_form",
    "validate_opening_hours",
    "validate_phone_ar",
    "validate_plain_text",
    "validate_province",
    "validate_service_price",
    "validate_staff_coverage",
    "validate_tax_status",
]
