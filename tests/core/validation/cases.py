"""Table of bad inputs, each with the code and field it must be rejected with.

Shared by the per-module tests (which check code and field) and by the message tests
(which check every message in both languages, and that every catalog code is reached).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any

from core.validation import (
    is_disposable_email_domain,
    phone_area_code,
    phone_matches_province,
    service_price_bounds,
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

REFERENCE_DAY = date(2025, 6, 15)  # the month of the catalog's prices: price level 1.0


@dataclass(frozen=True)
class ErrorCase:
    id: str
    function: Callable[..., Any]
    args: tuple[Any, ...]
    code: str
    field: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def call(self, locale: str = "es_AR") -> Any:
        return self.function(*self.args, **self.kwargs, locale=locale)


def _case(
    id: str, function: Callable[..., Any], value: Any, code: str, field: str, **kwargs: Any
) -> ErrorCase:
    return ErrorCase(id, function, (value,), code, field, kwargs)


# First ten digits 20-00000001 give r = 10: 2*5 + 1*2 = 12, 12 mod 11 = 1, 11 - 1 = 10.
NEVER_ISSUED_BODY = "2000000001"

CUIT_ERRORS = [
    _case("none", validate_cuit, None, "cuit_required", "cuit"),
    _case("empty", validate_cuit, "", "cuit_required", "cuit"),
    _case("blank", validate_cuit, "  \t", "cuit_required", "cuit"),
    _case("float", validate_cuit, 20123456786.0, "cuit_type", "cuit"),
    _case("bytes", validate_cuit, b"20123456786", "cuit_type", "cuit"),
    _case("bool", validate_cuit, True, "cuit_type", "cuit"),
    _case("negative-int", validate_cuit, -20123456786, "cuit_type", "cuit"),
    _case("list", validate_cuit, ["20-12345678-6"], "cuit_type", "cuit"),
    _case("dots", validate_cuit, "20.12345678.6", "cuit_characters", "cuit"),
    _case("slash", validate_cuit, "20/12345678/6", "cuit_characters", "cuit"),
    _case("letters", validate_cuit, "20-1234567A-6", "cuit_characters", "cuit"),
    _case("prefix-letters", validate_cuit, "CUIT 20-12345678-6", "cuit_characters", "cuit"),
    _case("fullwidth-digits", validate_cuit, "２０-12345678-6", "cuit_characters", "cuit"),
    _case("zero-width-space", validate_cuit, "20-1234\u200b5678-6", "cuit_characters", "cuit"),
    _case("ten-digits", validate_cuit, "20-1234567-6", "cuit_length", "cuit"),
    _case("twelve-digits", validate_cuit, "20-123456789-6", "cuit_length", "cuit"),
    _case("only-dashes", validate_cuit, "---", "cuit_length", "cuit"),
    _case("huge-int", validate_cuit, 10**5000, "cuit_length", "cuit"),
    _case("short-int", validate_cuit, 2012345678, "cuit_length", "cuit"),
    _case("prefix-21", validate_cuit, "21-12345678-6", "cuit_prefix", "cuit"),
    _case("prefix-10", validate_cuit, "10-12345678-6", "cuit_prefix", "cuit"),
    _case("prefix-31", validate_cuit, "31-12345678-6", "cuit_prefix", "cuit"),
    _case("wrong-digit", validate_cuit, "20-12345678-5", "cuit_check_digit", "cuit"),
    _case("swapped-digits", validate_cuit, "20-21345678-6", "cuit_check_digit", "cuit"),
    _case("r-is-10", validate_cuit, "20-00000001-0", "cuit_never_issued", "cuit"),
    _case(
        "person-legal-form-company-cuit",
        validate_cuit,
        "30-12345678-1",
        "cuit_company_for_person",
        "cuit",
        legal_form="persona humana",
    ),
    _case(
        "srl-personal-cuit",
        validate_cuit,
        "20-12345678-6",
        "cuit_person_for_company",
        "cuit",
        legal_form="S.R.L.",
    ),
    _case(
        "monotributo-company-cuit",
        validate_cuit,
        "30-12345678-1",
        "cuit_company_for_monotributo",
        "cuit",
        tax_status="Monotributo",
    ),
    _case(
        "monotributo-sa",
        validate_cuit,
        "30-12345678-1",
        "tax_status_legal_form",
        "tax_status",
        tax_status="Monotributo",
        legal_form="S.A.",
    ),
    _case(
        "unknown-tax-status",
        validate_cuit,
        "20-12345678-6",
        "tax_status_unknown",
        "tax_status",
        tax_status="Autónomo",
    ),
    _case(
        "unknown-legal-form",
        validate_cuit,
        "20-12345678-6",
        "legal_form_unknown",
        "legal_form",
        legal_form="LLC",
    ),
    _case("tax-status-int", validate_tax_status, 3, "tax_status_unknown", "tax_status"),
    _case("legal-form-list", validate_legal_form, ["sa"], "legal_form_unknown", "legal_form"),
]

PHONE_ERRORS = [
    _case("none", validate_phone_ar, None, "phone_required", "phone"),
    _case("blank", validate_phone_ar, "   ", "phone_required", "phone"),
    _case("float", validate_phone_ar, 1123456789.0, "phone_type", "phone"),
    _case("bytes", validate_phone_ar, b"011 2345 6789", "phone_type", "phone"),
    _case("negative", validate_phone_ar, -1123456789, "phone_type", "phone"),
    _case("letters", validate_phone_ar, "011 15 ABCD-EFGH", "phone_characters", "phone"),
    _case("word", validate_phone_ar, "hola", "phone_characters", "phone"),
    _case("inner-plus", validate_phone_ar, "11 2345+6789", "phone_characters", "phone"),
    _case("extension", validate_phone_ar, "011 4321-1234 int. 5", "phone_characters", "phone"),
    _case("us", validate_phone_ar, "+1 202 555 0143", "phone_foreign", "phone"),
    _case("uruguay", validate_phone_ar, "+598 2 123 4567", "phone_foreign", "phone"),
    _case("uruguay-idd", validate_phone_ar, "00 598 2 123 4567", "phone_foreign", "phone"),
    _case("no-area-code", validate_phone_ar, "15 2345 6789", "phone_invalid", "phone"),
    _case("short", validate_phone_ar, "+54 9 11 2345 678", "phone_invalid", "phone"),
    _case("long", validate_phone_ar, "+54 9 11 2345 67890", "phone_invalid", "phone"),
    _case("punctuation", validate_phone_ar, "--", "phone_invalid", "phone"),
    _case("very-long", validate_phone_ar, "1" * 41, "phone_invalid", "phone"),
    _case("huge-int", validate_phone_ar, 10**5000, "phone_invalid", "phone"),
    _case("toll-free", validate_phone_ar, "0800 333 1234", "phone_kind", "phone"),
    _case("shared-cost", validate_phone_ar, "0810 222 1234", "phone_kind", "phone"),
    _case(
        "unknown-province",
        validate_phone_ar,
        "011 15 2345-6789",
        "province_unknown",
        "province",
        province="Narnia",
    ),
    _case("area-code-garbage", phone_area_code, "garbage", "phone_characters", "phone"),
    ErrorCase(
        "matches-bad-province",
        phone_matches_province,
        ("+5491123456789", ""),
        "province_required",
        "province",
    ),
    ErrorCase(
        "matches-bad-phone",
        phone_matches_province,
        ("+1 202 555 0143", "CABA"),
        "phone_foreign",
        "phone",
    ),
    _case("province-none", validate_province, None, "province_required", "province"),
    _case("province-int", validate_province, 5, "province_unknown", "province"),
    _case("province-typo", validate_province, "Cordobaa", "province_unknown", "province"),
]

# 64 + 1 + 111 characters (<= 254), but its domain is 166 characters in ASCII (punycode),
# so the whole address is too long while each side alone is fine.
TOO_LONG_WHEN_ENCODED = "a" * 64 + "@" + ".".join(["ñ" * 20] * 5) + ".com.ar"

EMAIL_ERRORS = [
    _case("none", validate_email, None, "email_required", "email"),
    _case("blank", validate_email, " ", "email_required", "email"),
    _case("int", validate_email, 5, "email_type", "email"),
    _case("bytes", validate_email, b"a@gmail.com", "email_type", "email"),
    _case("too-long", validate_email, "a" * 250 + "@gmail.com", "email_too_long", "email"),
    _case("no-at", validate_email, "juan.gmail.com", "email_at_sign", "email"),
    _case("two-at", validate_email, "juan@perez@gmail.com", "email_at_sign", "email"),
    _case("nothing-before", validate_email, "@gmail.com", "email_at_sign", "email"),
    _case("nothing-after", validate_email, "juan@", "email_at_sign", "email"),
    _case("space", validate_email, "juan perez@gmail.com", "email_spaces", "email"),
    _case("nbsp", validate_email, "juan\u00a0perez@gmail.com", "email_spaces", "email"),
    _case("accent", validate_email, "josé@gmail.com", "email_local_characters", "email"),
    _case("enie", validate_email, "muñoz@gmail.com", "email_local_characters", "email"),
    _case("double-dot", validate_email, "juan..perez@gmail.com", "email_local_invalid", "email"),
    _case("leading-dot", validate_email, ".juan@gmail.com", "email_local_invalid", "email"),
    _case(
        "local-too-long", validate_email, "a" * 65 + "@gmail.com", "email_local_too_long", "email"
    ),
    _case("no-tld", validate_email, "juan@gmail", "email_domain_invalid", "email"),
    _case("hyphen-start", validate_email, "juan@-gmail.com", "email_domain_invalid", "email"),
    _case("underscore", validate_email, "juan@mi_barberia.com", "email_domain_invalid", "email"),
    _case("trailing-dot", validate_email, "juan@gmail.com.", "email_domain_invalid", "email"),
    _case("zero-width", validate_email, "juan@gmail.com\u200b", "email_domain_invalid", "email"),
    _case("encoded-too-long", validate_email, TOO_LONG_WHEN_ENCODED, "email_invalid", "email"),
    _case("disposable-bytes", is_disposable_email_domain, b"x@yopmail.com", "email_type", "email"),
]

WEEK = {0: [("09:00", "13:00")]}

HOURS_ERRORS = [
    _case("none", validate_opening_hours, None, "opening_hours_type", "opening_hours"),
    _case(
        "list", validate_opening_hours, [("09:00", "18:00")], "opening_hours_type", "opening_hours"
    ),
    _case(
        "text",
        validate_opening_hours,
        "lunes a viernes 9 a 18",
        "opening_hours_type",
        "opening_hours",
    ),
    _case("empty", validate_opening_hours, {}, "opening_hours_empty", "opening_hours"),
    _case(
        "all-closed",
        validate_opening_hours,
        {0: [], 6: None},
        "opening_hours_empty",
        "opening_hours",
    ),
    _case(
        "day-7",
        validate_opening_hours,
        {7: [("09:00", "13:00")]},
        "opening_hours_day",
        "opening_hours",
    ),
    _case("day-negative", validate_opening_hours, {-1: []}, "opening_hours_day", "opening_hours"),
    _case("day-name", validate_opening_hours, {"lunes": []}, "opening_hours_day", "opening_hours"),
    _case("day-bool", validate_opening_hours, {True: []}, "opening_hours_day", "opening_hours"),
    _case("day-float", validate_opening_hours, {1.0: []}, "opening_hours_day", "opening_hours"),
    _case("day-huge", validate_opening_hours, {10**5000: []}, "opening_hours_day", "opening_hours"),
    _case(
        "shifts-text",
        validate_opening_hours,
        {0: "09:00-13:00"},
        "opening_hours_interval",
        "opening_hours",
    ),
    _case(
        "flat-pair",
        validate_opening_hours,
        {0: ("09:00", "13:00")},
        "opening_hours_interval",
        "opening_hours",
    ),
    _case(
        "one-time",
        validate_opening_hours,
        {0: [("09:00",)]},
        "opening_hours_interval",
        "opening_hours",
    ),
    _case(
        "three-times",
        validate_opening_hours,
        {0: [("09:00", "13:00", "18:00")]},
        "opening_hours_interval",
        "opening_hours",
    ),
    _case(
        "hour-only",
        validate_opening_hours,
        {0: [("9", "13:00")]},
        "opening_hours_time",
        "opening_hours",
    ),
    _case(
        "hour-25",
        validate_opening_hours,
        {0: [("09:00", "25:00")]},
        "opening_hours_time",
        "opening_hours",
    ),
    _case(
        "minute-60",
        validate_opening_hours,
        {0: [("09:60", "13:00")]},
        "opening_hours_time",
        "opening_hours",
    ),
    _case(
        "open-24",
        validate_opening_hours,
        {0: [("24:00", "24:00")]},
        "opening_hours_time",
        "opening_hours",
    ),
    _case(
        "close-24-30",
        validate_opening_hours,
        {0: [("20:00", "24:30")]},
        "opening_hours_time",
        "opening_hours",
    ),
    _case(
        "seconds",
        validate_opening_hours,
        {0: [(time(9, 0, 30), time(13))]},
        "opening_hours_time",
        "opening_hours",
    ),
    _case("number", validate_opening_hours, {0: [(9, 13)]}, "opening_hours_time", "opening_hours"),
    _case(
        "fullwidth",
        validate_opening_hours,
        {0: [("０９:００", "13:00")]},
        "opening_hours_time",
        "opening_hours",
    ),
    _case(
        "reversed",
        validate_opening_hours,
        {0: [("13:00", "09:00")]},
        "opening_hours_order",
        "opening_hours",
    ),
    _case(
        "zero-length",
        validate_opening_hours,
        {0: [("09:00", "09:00")]},
        "opening_hours_order",
        "opening_hours",
    ),
    _case(
        "overnight",
        validate_opening_hours,
        {5: [("22:00", "02:00")]},
        "opening_hours_order",
        "opening_hours",
    ),
    _case(
        "overlap",
        validate_opening_hours,
        {2: [("14:00", "20:00"), ("09:00", "14:30")]},
        "opening_hours_overlap",
        "opening_hours",
    ),
    _case(
        "overlap-same-day-two-keys",
        validate_opening_hours,
        {2: [("09:00", "13:00")], "2": [("12:00", "18:00")]},
        "opening_hours_overlap",
        "opening_hours",
    ),
]

_BARBER = {"vertical": "barbershop", "as_of": REFERENCE_DAY}

PRICE_ERRORS = [
    _case("none", validate_service_price, None, "price_required", "price", **_BARBER),
    _case("text", validate_service_price, "12000", "price_type", "price", **_BARBER),
    _case("bytes", validate_service_price, b"12000", "price_type", "price", **_BARBER),
    _case("bool", validate_service_price, True, "price_type", "price", **_BARBER),
    _case("nan", validate_service_price, float("nan"), "price_type", "price", **_BARBER),
    _case("inf", validate_service_price, float("inf"), "price_type", "price", **_BARBER),
    _case("decimal-nan", validate_service_price, Decimal("NaN"), "price_type", "price", **_BARBER),
    _case(
        "decimal-snan", validate_service_price, Decimal("sNaN"), "price_type", "price", **_BARBER
    ),
    _case("zero", validate_service_price, 0, "price_not_positive", "price", **_BARBER),
    _case("negative", validate_service_price, -12000, "price_not_positive", "price", **_BARBER),
    _case("typed-12", validate_service_price, 12, "price_out_of_range", "price", **_BARBER),
    _case("just-below", validate_service_price, 349.99, "price_out_of_range", "price", **_BARBER),
    _case(
        "just-above", validate_service_price, 320000.01, "price_out_of_range", "price", **_BARBER
    ),
    _case("huge-int", validate_service_price, 10**400, "price_out_of_range", "price", **_BARBER),
    _case(
        "huge-decimal",
        validate_service_price,
        Decimal("1e999"),
        "price_out_of_range",
        "price",
        **_BARBER,
    ),
    _case("tenths-of-cents", validate_service_price, 12000.125, "price_cents", "price", **_BARBER),
    _case(
        "unknown-vertical",
        validate_service_price,
        12000,
        "vertical_unknown",
        "vertical",
        vertical="gym",
        as_of=REFERENCE_DAY,
    ),
    _case(
        "vertical-none",
        validate_service_price,
        12000,
        "vertical_unknown",
        "vertical",
        vertical=None,
    ),
    _case(
        "as-of-text",
        validate_service_price,
        12000,
        "as_of_type",
        "as_of",
        vertical="salon",
        as_of="2025-06",
    ),
    _case("bounds-vertical", service_price_bounds, ["salon"], "vertical_unknown", "vertical"),
]

DURATION_ERRORS = [
    _case("none", validate_duration, None, "duration_required", "duration"),
    _case("text", validate_duration, "30", "duration_type", "duration"),
    _case("fraction", validate_duration, 45.5, "duration_type", "duration"),
    _case("bool", validate_duration, True, "duration_type", "duration"),
    _case("nan", validate_duration, float("nan"), "duration_type", "duration"),
    _case("inf", validate_duration, float("inf"), "duration_type", "duration"),
    _case("decimal-fraction", validate_duration, Decimal("30.5"), "duration_type", "duration"),
    _case("zero", validate_duration, 0, "duration_not_positive", "duration"),
    _case("negative", validate_duration, -30, "duration_not_positive", "duration"),
    _case("485", validate_duration, 485, "duration_too_long", "duration"),
    _case("huge", validate_duration, 10**100, "duration_too_long", "duration"),
    _case("47", validate_duration, 47, "duration_step", "duration"),
    _case("1", validate_duration, 1, "duration_step", "duration"),
]

_SERVICES = ["Corte", "Barba"]

STAFF_ERRORS = [
    ErrorCase("services-none", validate_staff_coverage, (None, {}), "services_type", "services"),
    ErrorCase("services-text", validate_staff_coverage, ("Corte", {}), "services_type", "services"),
    ErrorCase("services-blank", validate_staff_coverage, ([""], {}), "services_type", "services"),
    ErrorCase(
        "services-nested", validate_staff_coverage, ([["Corte"]], {}), "services_type", "services"
    ),
    ErrorCase("services-bool", validate_staff_coverage, ([True], {}), "services_type", "services"),
    ErrorCase("services-empty", validate_staff_coverage, ([], {}), "services_empty", "services"),
    ErrorCase("staff-none", validate_staff_coverage, (_SERVICES, None), "staff_type", "staff"),
    ErrorCase("staff-list", validate_staff_coverage, (_SERVICES, ["Ana"]), "staff_type", "staff"),
    ErrorCase(
        "staff-text-value",
        validate_staff_coverage,
        (_SERVICES, {"Ana": "Corte"}),
        "staff_type",
        "staff",
    ),
    ErrorCase(
        "staff-blank-name",
        validate_staff_coverage,
        (_SERVICES, {" ": ["Corte"]}),
        "staff_type",
        "staff",
    ),
    ErrorCase(
        "staff-nested",
        validate_staff_coverage,
        (_SERVICES, {"Ana": [["Corte"]]}),
        "staff_type",
        "staff",
    ),
    ErrorCase("nobody", validate_staff_coverage, (_SERVICES, {}), "staff_uncovered", "staff"),
    ErrorCase(
        "one-missing",
        validate_staff_coverage,
        (_SERVICES, {"Ana": {"Corte"}}),
        "staff_uncovered",
        "staff",
    ),
]

# What a spreadsheet would run (the finding: a trade name accepted by the wizard).
TEXT_ERRORS = [
    _case("hyperlink", validate_plain_text, '=HYPERLINK("http://x","y")', "text_formula", "text"),
    _case("at", validate_plain_text, "@SUM(A1)", "text_formula", "text"),
    _case("plus_cell", validate_plain_text, "+A1", "text_formula", "text"),
    _case("dde", validate_plain_text, "-2+3+cmd|' /C calc'!A0", "text_formula", "text"),
    _case("padded", validate_plain_text, "  =1+1", "text_formula", "text"),
]

ALL_ERRORS = (
    CUIT_ERRORS
    + PHONE_ERRORS
    + EMAIL_ERRORS
    + HOURS_ERRORS
    + PRICE_ERRORS
    + DURATION_ERRORS
    + STAFF_ERRORS
    + TEXT_ERRORS
)


def ids(cases: list[ErrorCase]) -> list[str]:
    return [f"{c.function.__name__}-{c.id}" for c in cases]
