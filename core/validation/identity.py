"""Who the business is: CUIT, tax status and legal form, and the rules that tie them.

Legal forms and tax statuses
----------------------------
A CUIT's two-digit prefix says what kind of taxpayer it is: 20, 23, 24 and 27 are
people (*personas humanas*); 30, 33 and 34 are companies and other legal persons
(33 and 34 are used when 30 would need a check digit of 10, as 23 and 24 are for
people).

``LEGAL_FORMS`` lists the forms a BarberPro tenant takes: *persona humana* (a sole
trader, which is most solo barbers), and the company forms S.A., S.A.U., S.R.L.,
S.A.S., sociedad de hecho (the Sección IV partnership of the Ley General de
Sociedades), cooperativa, asociación civil and fundación. A persona humana needs a
personal prefix; every other form needs a company prefix.

``TAX_STATUSES`` are the three the platform stores in ``Tenant.tax_status``:

* **Monotributo**: the simplified regime for small taxpayers. Kept simple on purpose:
  Monotributo means a persona humana, so it requires a personal prefix and rules out
  every company form. Edge cases of the regime (partnerships it may admit, sucesiones
  indivisas) are not modelled; such a tenant is checked with ``tax_status=None``.
* **Responsable Inscripto**: registered for VAT; people and companies alike, so it
  constrains nothing by itself.
* **Exento**: VAT-exempt; typically asociaciones civiles, fundaciones and some
  cooperativas (prefix 30), but also some individuals, so it constrains nothing either.

When neither ``tax_status`` nor ``legal_form`` is given, ``validate_cuit`` checks only
the format, the prefix list and the check digit.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from core.validation.errors import DEFAULT_LOCALE, fail, language, shown_char

CUIT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
PERSON_PREFIXES = ("20", "23", "24", "27")
COMPANY_PREFIXES = ("30", "33", "34")
CUIT_PREFIXES = PERSON_PREFIXES + COMPANY_PREFIXES

MONOTRIBUTO = "Monotributo"
RESPONSABLE_INSCRIPTO = "Responsable Inscripto"
EXENTO = "Exento"
TAX_STATUSES = (RESPONSABLE_INSCRIPTO, MONOTRIBUTO, EXENTO)


@dataclass(frozen=True)
class LegalForm:
    """A legal form: its key, how it is written, and whether it is a company."""

    key: str
    name: str
    is_company: bool
    aliases: tuple[str, ...] = ()


LEGAL_FORMS: tuple[LegalForm, ...] = (
    LegalForm("persona_humana", "persona humana", False, ("persona física", "unipersonal")),
    LegalForm("sa", "S.A.", True, ("sociedad anónima",)),
    LegalForm("sau", "S.A.U.", True, ("sociedad anónima unipersonal",)),
    LegalForm("srl", "S.R.L.", True, ("sociedad de responsabilidad limitada",)),
    LegalForm("sas", "S.A.S.", True, ("sociedad por acciones simplificada",)),
    LegalForm("sociedad_de_hecho", "sociedad de hecho", True, ("sociedad simple", "s.h.")),
    LegalForm("cooperativa", "cooperativa", True, ("cooperativa de trabajo",)),
    LegalForm("asociacion_civil", "asociación civil", True, ()),
    LegalForm("fundacion", "fundación", True, ()),
)

_TAX_ALIASES = {
    "responsableinscripto": RESPONSABLE_INSCRIPTO,
    "ri": RESPONSABLE_INSCRIPTO,
    "ivaresponsableinscripto": RESPONSABLE_INSCRIPTO,
    "monotributo": MONOTRIBUTO,
    "monotributista": MONOTRIBUTO,
    "responsablemonotributo": MONOTRIBUTO,
    "monotributosocial": MONOTRIBUTO,
    "exento": EXENTO,
    "exenta": EXENTO,
    "ivaexento": EXENTO,
}


def compact_key(text: str) -> str:
    """Lower-case ASCII letters and digits only: ``"S.R.L."`` → ``"srl"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


_LEGAL_FORM_KEYS: dict[str, LegalForm] = {
    compact_key(alias): form
    for form in LEGAL_FORMS
    for alias in (form.key, form.name, *form.aliases)
}

# Unicode dashes a CUIT pasted from a PDF or a web page may carry (category Pd) and the
# minus sign; any whitespace counts as a space (no-break spaces come with copy-paste).
_MINUS_SIGN = "\u2212"


def _is_separator(char: str) -> bool:
    return char.isspace() or char == _MINUS_SIGN or unicodedata.category(char) == "Pd"


def cuit_check_digit(first_ten: str) -> int | None:
    """The check digit for the first ten digits of a CUIT, or ``None`` when r would be 10.

    Parameters
    ----------
    first_ten
        Ten ASCII digits (prefix and body).

    Returns
    -------
    int or None
        ``11 - (sum(digit * weight) mod 11)`` with weights 5,4,3,2,7,6,5,4,3,2, where 11
        reads as 0; ``None`` for 10, which is never issued.
    """
    total = sum(int(d) * w for d, w in zip(first_ten, CUIT_WEIGHTS, strict=True))
    r = 11 - total % 11
    if r == 11:
        return 0
    return None if r == 10 else r


def _digit_count(number: int) -> int:
    # str() of a huge int raises (int_max_str_digits); log10 does not.
    return len(str(number)) if number < 10**100 else int(math.log10(number)) + 1


def _cuit_digits(value: object, lang: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise fail("cuit_required", "cuit", lang)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        if value >= 10**11:
            raise fail("cuit_length", "cuit", lang, count=_digit_count(value))
        # Prefixes start with 2 or 3, so an integer never lost a leading zero.
        return str(value)
    if not isinstance(value, str):
        raise fail("cuit_type", "cuit", lang)
    digits = []
    for char in value:
        if "0" <= char <= "9":
            digits.append(char)
        elif not _is_separator(char):
            raise fail("cuit_characters", "cuit", lang, char=shown_char(char))
    return "".join(digits)


def validate_tax_status(value: object, *, locale: str = DEFAULT_LOCALE) -> str:
    """Normalize a tax status to one of ``TAX_STATUSES``.

    Parameters
    ----------
    value
        ``"Responsable Inscripto"``, ``"Monotributo"`` or ``"Exento"``, in any case,
        with or without accents and spaces; ``"RI"`` and ``"monotributista"`` also work.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    str
        The canonical name, as stored in ``Tenant.tax_status``.

    Raises
    ------
    ValidationError
        ``tax_status_unknown`` (field ``tax_status``) for anything else.
    """
    lang = language(locale)
    status = _TAX_ALIASES.get(compact_key(value)) if isinstance(value, str) else None
    if status is None:
        raise fail("tax_status_unknown", "tax_status", lang)
    return status


def validate_legal_form(value: object, *, locale: str = DEFAULT_LOCALE) -> LegalForm:
    """Look up a legal form by key, written name or alias (``"S.R.L."``, ``"srl"``...).

    Parameters
    ----------
    value
        A key of ``LEGAL_FORMS`` (``"srl"``), its name (``"S.R.L."``) or an alias
        (``"sociedad de responsabilidad limitada"``); case, accents, dots and spaces
        do not matter.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    LegalForm
        The matching entry of ``LEGAL_FORMS``.

    Raises
    ------
    ValidationError
        ``legal_form_unknown`` (field ``legal_form``) for anything else.
    """
    lang = language(locale)
    form = _LEGAL_FORM_KEYS.get(compact_key(value)) if isinstance(value, str) else None
    if form is None:
        choices = ", ".join(f.name for f in LEGAL_FORMS)
        raise fail("legal_form_unknown", "legal_form", lang, choices=choices)
    return form


def validate_cuit(
    value: object,
    *,
    tax_status: object = None,
    legal_form: object = None,
    locale: str = DEFAULT_LOCALE,
) -> str:
    """Check a CUIT and return it as ``NN-NNNNNNNN-N``.

    Parameters
    ----------
    value
        The CUIT as typed: 11 digits, with any spaces and dashes (Unicode dashes and
        no-break spaces included) anywhere; a non-negative ``int`` is read as its
        digits. Any other character (dots, slashes, letters) is rejected.
    tax_status
        Optional tax status (see ``validate_tax_status``); Monotributo requires a
        personal prefix (20, 23, 24, 27).
    legal_form
        Optional legal form (see ``validate_legal_form``); persona humana requires a
        personal prefix, every company form a company prefix (30, 33, 34).
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    str
        The normalized CUIT, e.g. ``"20-12345678-6"``.

    Raises
    ------
    ValidationError
        Field ``cuit`` with code ``cuit_required``, ``cuit_type``,
        ``cuit_characters``, ``cuit_length``, ``cuit_prefix``, ``cuit_check_digit``,
        ``cuit_never_issued`` (check digit 10), ``cuit_company_for_person``,
        ``cuit_person_for_company`` or ``cuit_company_for_monotributo``; field
        ``tax_status`` or ``legal_form`` for an unknown value, and field ``tax_status``
        with ``tax_status_legal_form`` for Monotributo with a company form.
    """
    lang = language(locale)
    digits = _cuit_digits(value, lang)
    if len(digits) != 11:
        raise fail("cuit_length", "cuit", lang, count=len(digits))
    prefix = digits[:2]
    if prefix not in CUIT_PREFIXES:
        raise fail("cuit_prefix", "cuit", lang, prefix=prefix)
    cuit = f"{prefix}-{digits[2:10]}-{digits[10]}"
    expected = cuit_check_digit(digits[:10])
    if expected is None:
        raise fail("cuit_never_issued", "cuit", lang, cuit=f"{prefix}-{digits[2:10]}-?")
    if expected != int(digits[10]):
        raise fail("cuit_check_digit", "cuit", lang)

    status = None if tax_status is None else validate_tax_status(tax_status, locale=locale)
    form = None if legal_form is None else validate_legal_form(legal_form, locale=locale)
    if status == MONOTRIBUTO and form is not None and form.is_company:
        raise fail("tax_status_legal_form", "tax_status", lang, legal_form=form.name)
    is_person = prefix in PERSON_PREFIXES
    if form is not None and form.is_company and is_person:
        raise fail("cuit_person_for_company", "cuit", lang, prefix=prefix, legal_form=form.name)
    if form is not None and not form.is_company and not is_person:
        raise fail("cuit_company_for_person", "cuit", lang, prefix=prefix, legal_form=form.name)
    if status == MONOTRIBUTO and not is_person:
        raise fail("cuit_company_for_monotributo", "cuit", lang, prefix=prefix)
    return cuit
