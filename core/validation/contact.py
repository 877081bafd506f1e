"""How to reach the business: province, Argentine phone numbers and e-mail addresses.

Phone numbers are parsed by ``phonenumbers`` (Google's libphonenumber metadata), which
knows Argentina's quirks: the trunk ``0``, the ``15`` that local mobile numbers carry
after the area code, and the ``9`` that mobiles take after ``+54`` in international
form. Numbers come back in E.164 (``+5491123456789`` for a Buenos Aires mobile,
``+541123456789`` for a landline).

``phone_matches_province`` is a soft check for the verification step: it compares the
number with the area codes of the province's main cities in
``core.reference.geography``, so a number from a town missing there reads as a
mismatch ("please confirm"), never as invalid.

E-mail syntax is checked by ``email-validator`` without DNS. The local part must be
ASCII: Gmail, Hotmail and most Argentine providers do not issue addresses with accents
or ñ, so one there is almost always a typo (``josé@gmail.com``); domains may be
internationalized (``.com.ar`` allows ñ and accents) and come back in Unicode, lower-case.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import phonenumbers
from email_validator import EmailNotValidError
from email_validator import validate_email as _email_validator

from core.reference.geography import PROVINCES, Province
from core.validation.errors import DEFAULT_LOCALE, fail, language, shown_char, shown_value
from core.validation.identity import compact_key

# ------------------------------------------------------------------------------ province

_PROVINCE_ALIASES = {
    "caba": "Ciudad Autónoma de Buenos Aires",
    "capitalfederal": "Ciudad Autónoma de Buenos Aires",
    "ciudaddebuenosaires": "Ciudad Autónoma de Buenos Aires",
    "pba": "Buenos Aires",
    "provinciadebuenosaires": "Buenos Aires",
    "tierradelfuegoantartidaeislasdelatlanticosur": "Tierra del Fuego",
}


def _province_index() -> dict[str, Province]:
    by_name = {p.name: p for p in PROVINCES}
    index = {compact_key(p.name): p for p in PROVINCES}
    index.update({compact_key(p.iso_code): p for p in PROVINCES})
    index.update({alias: by_name[name] for alias, name in _PROVINCE_ALIASES.items()})
    return index


_PROVINCES_BY_KEY = _province_index()


def validate_province(value: object, *, locale: str = DEFAULT_LOCALE) -> str:
    """Normalize a province to its name in ``core.reference.geography.PROVINCES``.

    Parameters
    ----------
    value
        The name in any case, with or without accents (``"cordoba"``), the ISO 3166-2
        code (``"AR-X"``), or a common alias (``"CABA"``, ``"Capital Federal"``).
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    str
        The jurisdiction's name as stored in ``Tenant.province``.

    Raises
    ------
    ValidationError
        Field ``province``: ``province_required`` or ``province_unknown``.
    """
    return _province(value, language(locale)).name


def _province(value: object, lang: str) -> Province:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise fail("province_required", "province", lang)
    province = _PROVINCES_BY_KEY.get(compact_key(value)) if isinstance(value, str) else None
    if province is None:
        raise fail("province_unknown", "province", lang, province=shown_value(value))
    return province


# ------------------------------------------------------------------------------ phone

_PHONE_PUNCTUATION = frozenset(" -.()\u2010\u2011\u2012\u2013\u2014\u2212")
_MAX_PHONE_CHARS = 40
_ACCEPTED_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


def _phone_text(value: object, lang: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise fail("phone_required", "phone", lang)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        if value >= 10**_MAX_PHONE_CHARS:  # str() of a huge int may even raise
            raise fail("phone_invalid", "phone", lang)
        return str(value)
    if not isinstance(value, str):
        raise fail("phone_type", "phone", lang)
    text = value.strip()
    for i, char in enumerate(text):
        if "0" <= char <= "9" or char in _PHONE_PUNCTUATION or char.isspace():
            continue
        if char == "+" and i == 0:
            continue
        raise fail("phone_characters", "phone", lang, char=shown_char(char))
    return text


def _single_area_code(province: Province) -> str | None:
    codes = {city.area_code for city in province.cities}
    return codes.pop() if len(codes) == 1 else None


def _parse_ar(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, "AR")
    except phonenumbers.NumberParseException:
        return None


def _local_with_area(text: str, area: str) -> str | None:
    """``text`` with ``area`` in front when it looks like a number typed without one."""
    digits = "".join(c for c in text if "0" <= c <= "9")
    local_length = 10 - len(area)
    if text.startswith("+") or digits.startswith("0"):
        return None
    if len(digits) == local_length or (digits.startswith("15") and len(digits) == local_length + 2):
        return area + digits
    return None


def validate_phone_ar(
    value: object, *, province: object = None, locale: str = DEFAULT_LOCALE
) -> str:
    """Check an Argentine landline or mobile number and return it in E.164.

    Parameters
    ----------
    value
        The number as typed: local (``011 15 2345-6789``, ``0351 423-4567``), national
        without the trunk 0, or international (``+54 9 11 2345-6789``,
        ``+54 11 2345 6789``). Digits, spaces (any kind), dashes (Unicode ones too), dots,
        parentheses and a leading ``+`` are allowed; a positive ``int`` is read as its digits.
    province
        Optional province (see ``validate_province``). When the province has a single
        area code in the reference data (CABA: 11, Tucumán: 381...), a number typed
        without it (``15 2345-6789``) is read in that area. It is never a reason to
        reject a number: see ``phone_matches_province`` for that soft check.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    str
        E.164: ``+549`` + area + subscriber for mobiles, ``+54`` + area + subscriber
        for landlines.

    Raises
    ------
    ValidationError
        Field ``phone``: ``phone_required``, ``phone_type``, ``phone_characters``,
        ``phone_foreign`` (a country code other than +54), ``phone_invalid``, or
        ``phone_kind`` (0800, 0810, 0600 and other non-geographic numbers); field
        ``province`` for an unknown province.
    """
    lang = language(locale)
    text = _phone_text(value, lang)
    area = None if province is None else _single_area_code(_province(province, lang))
    if len(text) > _MAX_PHONE_CHARS:
        raise fail("phone_invalid", "phone", lang)
    number = _parse_ar(text)
    if number is not None and number.country_code != 54:
        raise fail("phone_foreign", "phone", lang, country_code=number.country_code)
    if (number is None or not phonenumbers.is_valid_number(number)) and area is not None:
        completed = _local_with_area(text, area)
        if completed is not None:
            number = _parse_ar(completed)
    if number is None or not phonenumbers.is_valid_number(number):
        raise fail("phone_invalid", "phone", lang)
    if phonenumbers.region_code_for_number(number) != "AR":
        raise fail("phone_invalid", "phone", lang)
    if phonenumbers.number_type(number) not in _ACCEPTED_TYPES:
        raise fail("phone_kind", "phone", lang)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _national_digits(e164: str) -> str:
    """Area code and subscriber, without ``+54`` and the mobile ``9``."""
    national = e164[3:]
    return national[1:] if national.startswith("9") else national


def phone_area_code(e164: object, *, locale: str = DEFAULT_LOCALE) -> str:
    """The area code (*característica*) of an Argentine number, without the trunk 0.

    Parameters
    ----------
    e164
        An Argentine number, ideally as returned by ``validate_phone_ar``; any form
        that function accepts works.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    str
        ``"11"`` for Buenos Aires, ``"351"`` for Córdoba, ``"2920"`` for Viedma... as
        libphonenumber's numbering plan reads it (it may read a longer code than the
        reference data, e.g. ``"3584"`` where the city list has ``"358"``).

    Raises
    ------
    ValidationError
        As ``validate_phone_ar``.
    """
    lang = language(locale)
    normalized = validate_phone_ar(e164, locale=locale)
    number = phonenumbers.parse(normalized)
    length = phonenumbers.length_of_geographical_area_code(number)
    national = phonenumbers.national_significant_number(number)
    if length == 0:  # pragma: no cover - every accepted type has a geographic area code
        raise fail("phone_invalid", "phone", lang)
    return national[1:length] if national.startswith("9") else national[:length]


@lru_cache(maxsize=1)
def _area_code_provinces() -> dict[str, frozenset[str]]:
    codes: dict[str, set[str]] = {}
    for province in PROVINCES:
        for city in province.cities:
            codes.setdefault(city.area_code, set()).add(province.name)
    return {code: frozenset(names) for code, names in codes.items()}


def phone_matches_province(e164: object, province: object, *, locale: str = DEFAULT_LOCALE) -> bool:
    """Whether a number's area code belongs to the province (a soft check).

    The longest area code in ``core.reference.geography`` that starts the number's
    national digits decides: ``+5493584...`` matches Córdoba through ``358`` even though
    libphonenumber reads ``3584``, and ``299`` matches both Neuquén and Río Negro.

    Parameters
    ----------
    e164
        An Argentine number (any form ``validate_phone_ar`` accepts).
    province
        A province (any form ``validate_province`` accepts).
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    bool
        True when the area code is one of the province's reference cities'. False may
        just mean a town that is not in the reference data: ask, do not reject.

    Raises
    ------
    ValidationError
        For an invalid number or an unknown province.
    """
    lang = language(locale)
    target = _province(province, lang).name
    national = _national_digits(validate_phone_ar(e164, locale=locale))
    by_code = _area_code_provinces()
    for length in (4, 3, 2):
        names = by_code.get(national[:length])
        if names is not None:
            return target in names
    return False


# ------------------------------------------------------------------------------ e-mail

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path, less the angle brackets
MAX_EMAIL_LOCAL_LENGTH = 64  # RFC 5321's limit on a mailbox name
_PROBE_DOMAIN = "example.com"
_PROBE_LOCAL = "probe"


def _email_ok(address: str) -> bool:
    try:
        _email_validator(address, check_deliverability=False, allow_smtputf8=False)
    except (EmailNotValidError, ValueError):
        return False
    return True


def validate_email(value: object, *, locale: str = DEFAULT_LOCALE) -> str:
    """Check an e-mail address's syntax (no DNS) and return it normalized.

    Parameters
    ----------
    value
        The address as typed; surrounding whitespace is ignored.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    str
        The local part as typed, ``@``, and the domain lower-cased (IDNA-normalized,
        in Unicode): ``"Juan.Perez@Gmail.COM"`` → ``"Juan.Perez@gmail.com"``.

    Raises
    ------
    ValidationError
        Field ``email``: ``email_required``, ``email_type``, ``email_too_long``,
        ``email_at_sign``, ``email_spaces``, ``email_local_characters`` (non-ASCII
        before the @), ``email_local_too_long``, ``email_local_invalid``,
        ``email_domain_invalid`` or, when the fault cannot be placed on either side,
        ``email_invalid``.
    """
    lang = language(locale)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise fail("email_required", "email", lang)
    if not isinstance(value, str):
        raise fail("email_type", "email", lang)
    text = value.strip()
    if len(text) > MAX_EMAIL_LENGTH:
        raise fail("email_too_long", "email", lang, max=MAX_EMAIL_LENGTH)
    if any(c.isspace() for c in text):
        raise fail("email_spaces", "email", lang)
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "@" in local:
        raise fail("email_at_sign", "email", lang)
    if not local.isascii():
        raise fail("email_local_characters", "email", lang)
    if len(local) > MAX_EMAIL_LOCAL_LENGTH:  # email-validator checks it only when strict
        raise fail("email_local_too_long", "email", lang, max=MAX_EMAIL_LOCAL_LENGTH)
    try:
        result = _email_validator(text, check_deliverability=False, allow_smtputf8=False)
    except (EmailNotValidError, ValueError):
        # The library's reasons are English prose; place the fault on one side instead.
        local_ok = _email_ok(f"{local}@{_PROBE_DOMAIN}")
        domain_ok = _email_ok(f"{_PROBE_LOCAL}@{domain}")
        if not local_ok:
            raise fail("email_local_invalid", "email", lang) from None
        if not domain_ok:
            raise fail("email_domain_invalid", "email", lang) from None
        raise fail("email_invalid", "email", lang) from None
    return f"{result.local_part}@{result.domain.lower()}"


@lru_cache(maxsize=1)
def disposable_email_domains() -> frozenset[str]:
    """The bundled list of throwaway-mailbox domains (``disposable_email_domains.txt``)."""
    text = (
        resources.files(__package__)
        .joinpath("disposable_email_domains.txt")
        .read_text(encoding="utf-8")
    )
    lines = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line)


def is_disposable_email_domain(email: object, *, locale: str = DEFAULT_LOCALE) -> bool:
    """Whether an address (or a bare domain) belongs to a throwaway-mailbox service.

    Parameters
    ----------
    email
        An address (``"x@mailinator.com"``) or a domain (``"mailinator.com"``);
        subdomains of a listed domain count (``"x@eu.mailinator.com"``).
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    bool
        True when the domain is on the bundled list. The list is small and static, so
        False means "not a known one", not "a real mailbox".

    Raises
    ------
    ValidationError
        ``email_type`` (field ``email``) when ``email`` is not a string.
    """
    lang = language(locale)
    if not isinstance(email, str):
        raise fail("email_type", "email", lang)
    domain = email.rpartition("@")[2].strip().rstrip(".").lower()
    if len(domain) > MAX_EMAIL_LENGTH:
        return False
    listed = disposable_email_domains()
    labels = domain.split(".")
    return any(".".join(labels[i:]) in listed for i in range(len(labels) - 1))
