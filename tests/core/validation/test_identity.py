"""CUIT, tax status and legal form: the check digit against an independent implementation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.validation import (
    COMPANY_PREFIXES,
    LEGAL_FORMS,
    PERSON_PREFIXES,
    TAX_STATUSES,
    ValidationError,
    validate_cuit,
    validate_legal_form,
    validate_tax_status,
)
from data.generation.identity import is_valid_cuit, make_cuit
from tests.core.validation.cases import CUIT_ERRORS, ErrorCase, ids

WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]


def expected_check_digit(first_ten: str) -> int | None:
    """Written apart from the library: the remainder decides (0 → 0, 1 → never issued)."""
    remainder = sum(int(first_ten[i]) * WEIGHTS[i] for i in range(10)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


# Worked by hand:
#   20-12345678: 2*5 + 0*4 + 1*3 + 2*2 + 3*7 + 4*6 + 5*5 + 6*4 + 7*3 + 8*2 = 148;
#                148 mod 11 = 5; 11 - 5 = 6.
#   30-12345678: 15 + 0 + 3 + 4 + 21 + 24 + 25 + 24 + 21 + 16 = 153; 153 mod 11 = 10; 1.
#   27-00000000: 2*5 + 7*4 = 38; 38 mod 11 = 5; 6.
#   20-00000006: 10 + 6*2 = 22; 22 mod 11 = 0; r = 11, so the digit is 0.
#   20-00000000: 10; 10 mod 11 = 10; 1.
#   33-00000000: 15 + 12 = 27; 27 mod 11 = 5; 6.
#   20-00000001: 10 + 2 = 12; 12 mod 11 = 1; r = 10: never issued.
HAND_COMPUTED = [
    ("20-12345678-6", "20-12345678-6"),
    ("30-12345678-1", "30-12345678-1"),
    ("27-00000000-6", "27-00000000-6"),
    ("20-00000006-0", "20-00000006-0"),
    ("20-00000000-1", "20-00000000-1"),
    ("33-00000000-6", "33-00000000-6"),
]


@pytest.mark.parametrize(("typed", "normalized"), HAND_COMPUTED)
def test_hand_computed_cuits(typed, normalized):
    assert validate_cuit(typed) == normalized
    assert expected_check_digit(typed.replace("-", "")[:10]) == int(typed[-1])


@pytest.mark.parametrize(
    "typed",
    [
        "20123456786",
        "20 12345678 6",
        "  20-12345678-6  ",
        "20 - 12345678 - 6",
        "2-0-1-2-3-4-5-6-7-8-6",
        "20–12345678–6",  # en dashes, as pasted from a PDF
        "20‑12345678‑6",  # non-breaking hyphens
        "20\u00a012345678\u00a06",  # no-break spaces
        "20−12345678−6",  # minus signs
        20123456786,
    ],
)
def test_separators_and_forms_accepted(typed):
    assert validate_cuit(typed) == "20-12345678-6"


@pytest.mark.parametrize("case", CUIT_ERRORS, ids=ids(CUIT_ERRORS))
@pytest.mark.parametrize("locale", ["es_AR", "en"])
def test_rejected(case: ErrorCase, locale):
    with pytest.raises(ValidationError) as caught:
        case.call(locale)
    assert (caught.value.code, caught.value.field) == (case.code, case.field)


def test_spanish_is_the_default_and_english_available():
    with pytest.raises(ValidationError, match="El CUIT debe tener 11 dígitos"):
        validate_cuit("2012345678")
    with pytest.raises(ValidationError, match="The CUIT must have 11 digits, but it has 10"):
        validate_cuit("2012345678", locale="en")


def test_the_offending_character_is_named():
    with pytest.raises(ValidationError, match="«\\.»"):
        validate_cuit("20.12345678.6")
    with pytest.raises(ValidationError, match="U\\+200B"):
        validate_cuit("20-1234\u200b5678-6", locale="en")


@settings(max_examples=400, deadline=None)
@given(prefix=st.sampled_from(PERSON_PREFIXES + COMPANY_PREFIXES), body=st.integers(0, 10**8 - 1))
def test_every_check_digit_agrees_with_the_independent_implementation(prefix, body):
    first_ten = f"{prefix}{body:08d}"
    expected = expected_check_digit(first_ten)
    for digit in range(10):
        typed = f"{first_ten}{digit}"
        if expected == digit:
            assert validate_cuit(typed) == f"{prefix}-{body:08d}-{digit}"
            continue
        with pytest.raises(ValidationError) as caught:
            validate_cuit(typed)
        assert caught.value.code == (
            "cuit_never_issued" if expected is None else "cuit_check_digit"
        )


@settings(max_examples=200, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_agrees_with_the_generators_checker(digits):
    cuit = f"{digits[:2]}-{digits[2:10]}-{digits[10]}"
    try:
        validate_cuit(digits)
    except ValidationError:
        assert not is_valid_cuit(cuit)
    else:
        assert is_valid_cuit(cuit)


def test_the_demo_generators_cuits_are_valid():
    rng = np.random.default_rng(7)
    taken: set[str] = set()
    for prefix in PERSON_PREFIXES + COMPANY_PREFIXES:
        for _ in range(50):
            cuit = make_cuit(rng, prefix, taken)
            assert validate_cuit(cuit) == cuit


# ------------------------------------------------------------------ tax status, legal form

PERSON_CUIT = "20-12345678-6"
COMPANY_CUIT = "30-12345678-1"
COMPANY_FORMS = [f.key for f in LEGAL_FORMS if f.is_company]


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("Responsable Inscripto", "Responsable Inscripto"),
        ("responsable inscripto", "Responsable Inscripto"),
        ("RI", "Responsable Inscripto"),
        ("MONOTRIBUTO", "Monotributo"),
        ("monotributista", "Monotributo"),
        ("Exento", "Exento"),
        (" exenta ", "Exento"),
        ("IVA Exento", "Exento"),
    ],
)
def test_tax_status_aliases(typed, status):
    assert validate_tax_status(typed) == status
    assert status in TAX_STATUSES


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("persona humana", "persona_humana"),
        ("Persona física", "persona_humana"),
        ("S.A.", "sa"),
        ("SA", "sa"),
        ("s. r. l.", "srl"),
        ("Sociedad de Responsabilidad Limitada", "srl"),
        ("SAS", "sas"),
        ("S.A.U.", "sau"),
        ("Cooperativa de trabajo", "cooperativa"),
        ("Asociación Civil", "asociacion_civil"),
        ("asociacion_civil", "asociacion_civil"),
        ("Fundación", "fundacion"),
        ("sociedad de hecho", "sociedad_de_hecho"),
    ],
)
def test_legal_form_aliases(typed, key):
    assert validate_legal_form(typed).key == key


@pytest.mark.parametrize("status", [*TAX_STATUSES, None])
def test_a_person_with_a_personal_cuit_passes_every_status(status):
    assert validate_cuit(PERSON_CUIT, tax_status=status, legal_form="persona humana")


@pytest.mark.parametrize("form", COMPANY_FORMS)
@pytest.mark.parametrize("status", ["Responsable Inscripto", "Exento", None])
def test_companies_need_a_company_prefix(form, status):
    assert validate_cuit(COMPANY_CUIT, tax_status=status, legal_form=form) == COMPANY_CUIT
    with pytest.raises(ValidationError) as caught:
        validate_cuit(PERSON_CUIT, tax_status=status, legal_form=form)
    assert caught.value.code == "cuit_person_for_company"


@pytest.mark.parametrize("form", COMPANY_FORMS)
def test_monotributo_is_for_people_only(form):
    with pytest.raises(ValidationError) as caught:
        validate_cuit(COMPANY_CUIT, tax_status="Monotributo", legal_form=form)
    assert (caught.value.code, caught.value.field) == ("tax_status_legal_form", "tax_status")


@pytest.mark.parametrize("status", ["Responsable Inscripto", "Exento"])
def test_ri_and_exento_accept_either_kind_of_cuit(status):
    assert validate_cuit(PERSON_CUIT, tax_status=status) == PERSON_CUIT
    assert validate_cuit(COMPANY_CUIT, tax_status=status) == COMPANY_CUIT


def test_an_exempt_civil_association_has_a_30_cuit():
    assert validate_cuit(COMPANY_CUIT, tax_status="Exento", legal_form="asociación civil")


def test_without_status_or_form_only_prefix_and_digit_apply():
    assert validate_cuit(PERSON_CUIT) == PERSON_CUIT
    assert validate_cuit(COMPANY_CUIT) == COMPANY_CUIT
    assert validate_cuit(PERSON_CUIT, tax_status="Monotributo") == PERSON_CUIT


# ------------------------------------------------------------------ issue 5's properties


@st.composite
def valid_cuits(draw) -> str:  # type: ignore[no-untyped-def]
    """Valid CUITs built from any prefix and body (bodies whose check digit would be 10
    are never issued, so they are skipped)."""
    prefix = draw(st.sampled_from(PERSON_PREFIXES + COMPANY_PREFIXES))
    body = draw(st.integers(0, 10**8 - 1))
    first_ten = f"{prefix}{body:08d}"
    digit = expected_check_digit(first_ten)
    if digit is None:
        first_ten = f"{prefix}{(body + 1) % 10**8:08d}"
        digit = expected_check_digit(first_ten)
    assume(digit is not None)
    return f"{first_ten[:2]}-{first_ten[2:]}-{digit}"


@settings(max_examples=300, deadline=None)
@given(cuit=valid_cuits())
def test_generated_valid_cuits_always_pass(cuit):
    assert validate_cuit(cuit) == cuit
    assert validate_cuit(cuit.replace("-", "")) == cuit


@settings(max_examples=300, deadline=None)
@given(cuit=valid_cuits(), position=st.integers(0, 10), delta=st.integers(1, 9))
def test_changing_any_single_digit_of_a_valid_cuit_fails(cuit, position, delta):
    digits = list(cuit.replace("-", ""))
    digits[position] = str((int(digits[position]) + delta) % 10)
    with pytest.raises(ValidationError) as caught:
        validate_cuit("".join(digits))
    assert caught.value.code in {"cuit_check_digit", "cuit_never_issued", "cuit_prefix"}
