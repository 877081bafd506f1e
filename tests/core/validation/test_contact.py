"""Province, Argentine phone numbers (E.164) and e-mail addresses."""

from __future__ import annotations

import numpy as np
import pytest

from core.validation import (
    ValidationError,
    disposable_email_domains,
    is_disposable_email_domain,
    phone_area_code,
    phone_matches_province,
    validate_email,
    validate_phone_ar,
    validate_province,
)
from data.generation.identity import phone_numbers
from data.reference.geography import PROVINCES
from tests.core.validation.cases import EMAIL_ERRORS, PHONE_ERRORS, ErrorCase, ids


@pytest.mark.parametrize("case", PHONE_ERRORS + EMAIL_ERRORS, ids=ids(PHONE_ERRORS + EMAIL_ERRORS))
@pytest.mark.parametrize("locale", ["es_AR", "en"])
def test_rejected(case: ErrorCase, locale):
    with pytest.raises(ValidationError) as caught:
        case.call(locale)
    assert (caught.value.code, caught.value.field) == (case.code, case.field)


# ------------------------------------------------------------------------------ province


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Córdoba", "Córdoba"),
        ("cordoba", "Córdoba"),
        ("  NEUQUÉN ", "Neuquén"),
        ("AR-X", "Córdoba"),
        ("CABA", "Ciudad Autónoma de Buenos Aires"),
        ("Capital Federal", "Ciudad Autónoma de Buenos Aires"),
        ("Ciudad Autónoma de Buenos Aires", "Ciudad Autónoma de Buenos Aires"),
        ("Provincia de Buenos Aires", "Buenos Aires"),
        ("Tierra del Fuego, Antártida e Islas del Atlántico Sur", "Tierra del Fuego"),
    ],
)
def test_province_names(typed, name):
    assert validate_province(typed) == name


def test_every_reference_province_is_its_own_name():
    assert len(PROVINCES) == 24
    for province in PROVINCES:
        assert validate_province(province.name) == province.name
        assert validate_province(province.iso_code) == province.name


# ------------------------------------------------------------------------------ phone


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("011 15 2345-6789", "+5491123456789"),  # local mobile: trunk 0, area, 15
        ("+54 9 11 2345-6789", "+5491123456789"),
        ("+54 11 2345 6789", "+541123456789"),  # landline
        ("011 2345-6789", "+541123456789"),
        ("(011) 4321-1234", "+541143211234"),
        ("11.2345.6789", "+541123456789"),
        ("54 9 11 2345 6789", "+5491123456789"),
        ("00 54 9 11 2345 6789", "+5491123456789"),
        ("+5491123456789", "+5491123456789"),
        (5491123456789, "+5491123456789"),
        ("0351 15 234-5678", "+5493512345678"),
        ("+54 351 15 234 5678", "+5493512345678"),
        ("0351 423-4567", "+543514234567"),
        ("02920 15 42-3456", "+5492920423456"),
        ("011\u00a015\u00a02345\u20136789", "+5491123456789"),
    ],
)
def test_phone_forms(typed, e164):
    assert validate_phone_ar(typed) == e164
    assert validate_phone_ar(e164) == e164  # idempotent


@pytest.mark.parametrize(
    ("typed", "province", "e164"),
    [
        ("15 2345-6789", "CABA", "+5491123456789"),
        ("4321-1234", "Ciudad Autónoma de Buenos Aires", "+541143211234"),
        ("15 423-4567", "Tucumán", "+5493814234567"),
        ("011 15 2345-6789", "Córdoba", "+5491123456789"),  # province never rejects
    ],
)
def test_province_supplies_a_missing_area_code(typed, province, e164):
    assert validate_phone_ar(typed, province=province) == e164


def test_a_province_with_several_area_codes_does_not_guess():
    with pytest.raises(ValidationError) as caught:
        validate_phone_ar("15 423-4567", province="Córdoba")
    assert caught.value.code == "phone_invalid"


def test_foreign_number_message_names_the_country_code():
    with pytest.raises(ValidationError, match=r"\+598") as caught:
        validate_phone_ar("+598 2 123 4567", locale="en")
    assert "Argentine" in caught.value.message


@pytest.mark.parametrize(
    ("e164", "area"),
    [
        ("+5491123456789", "11"),
        ("+541143211234", "11"),
        ("+5493512345678", "351"),
        ("+543514234567", "351"),
        ("+5492920423456", "2920"),
        ("0223 15 423-4567", "223"),
    ],
)
def test_area_codes(e164, area):
    assert phone_area_code(e164) == area


def _numbers_for(area: str, n: int = 25) -> list[str]:
    return list(phone_numbers(np.random.default_rng(int(area)), np.array([area] * n, dtype=object)))


@pytest.mark.parametrize("province", PROVINCES, ids=lambda p: p.iso_code)
def test_every_reference_city_number_is_valid_and_matches_its_province(province):
    for city in province.cities:
        for number in _numbers_for(city.area_code):
            assert validate_phone_ar(number) == number
            assert phone_matches_province(number, province.name)
            # libphonenumber may read a longer code (3584 inside 358), never another one.
            assert phone_area_code(number).startswith(city.area_code)


def test_province_mismatch_and_shared_codes():
    assert not phone_matches_province("+5491123456789", "Córdoba")
    assert phone_matches_province("+5491123456789", "Buenos Aires")  # the conurbano is 11
    assert phone_matches_province("+5492994234567", "Neuquén")
    assert phone_matches_province("+5492994234567", "Río Negro")
    assert phone_matches_province("+5492972423456", "Neuquén")  # 2972, not Chubut's 297
    assert not phone_matches_province("+5492972423456", "Chubut")
    assert phone_matches_province("+5492974234567", "Chubut")


def test_a_town_missing_from_the_reference_data_is_a_soft_mismatch():
    # 3571 (Río Tercero, Córdoba) is a real code the reference data does not list.
    number = validate_phone_ar("03571 15 42-3456")
    assert phone_area_code(number) == "3571"
    assert phone_matches_province(number, "Córdoba") is False


# ------------------------------------------------------------------------------ e-mail


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("Juan.Perez@Gmail.COM", "Juan.Perez@gmail.com"),
        ("  turnos@MiBarberia.com.AR ", "turnos@mibarberia.com.ar"),
        ("ana+turnos@hotmail.com", "ana+turnos@hotmail.com"),
        ("o'brien@fibertel.com.ar", "o'brien@fibertel.com.ar"),
        ("contacto@peluquería.com.ar", "contacto@peluquería.com.ar"),
        ("contacto@PELUQUERÍA.com.ar", "contacto@peluquería.com.ar"),
        ("x@ｇmail.com", "x@gmail.com"),
    ],
)
def test_email_forms(typed, normalized):
    assert validate_email(typed) == normalized
    assert validate_email(normalized) == normalized


def test_email_has_no_dns_lookup(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("validate_email must not touch the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert validate_email("turnos@dominio-que-no-existe-xyz.com.ar")


@pytest.mark.parametrize(
    ("address", "disposable"),
    [
        ("x@mailinator.com", True),
        ("X@MAILINATOR.COM", True),
        ("x@eu.mailinator.com", True),
        ("x@guerrillamail.com", True),
        ("x@10minutemail.com", True),
        ("x@yopmail.com", True),
        ("x@temp-mail.org", True),
        ("x@trashmail.com", True),
        ("x@sharklasers.com", True),
        ("x@getnada.com", True),
        ("x@dispostable.com", True),
        ("x@maildrop.cc", True),
        ("maildrop.cc", True),
        ("x@maildrop.cc.", True),
        ("x@gmail.com", False),
        ("x@notmailinator.com", False),
        ("x@mailinator.com.ar", False),
        ("x@com", False),
        ("", False),
        ("@", False),
    ],
)
def test_disposable_domains(address, disposable):
    assert is_disposable_email_domain(address) is disposable


def test_disposable_list_is_clean():
    domains = disposable_email_domains()
    assert 20 <= len(domains) < 1000
    for domain in domains:
        assert domain == domain.strip().lower()
        assert "." in domain and "@" not in domain and " " not in domain


@pytest.mark.parametrize("area", sorted({c.area_code for p in PROVINCES for c in p.cities}))
def test_local_mobile_forms_of_every_reference_area_code(area):
    for e164 in _numbers_for(area, n=10):
        subscriber = e164[len("+549") + len(area) :]
        half = len(subscriber) // 2
        spaced = f"{subscriber[:half]}-{subscriber[half:]}"
        assert validate_phone_ar(f"0{area} 15 {spaced}") == e164
        assert validate_phone_ar(f"({area}) 15-{subscriber}") == e164
        assert validate_phone_ar(f"+54 9 {area} {spaced}") == e164
        assert validate_phone_ar(f"+54 {area} 15 {spaced}") == e164
