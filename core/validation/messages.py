"""Every message the validators show, in English and Argentine Spanish, keyed by code.

How the catalog is organised, and why
-------------------------------------
``MESSAGES`` maps an error code (``ValidationError.code``) to a pair
``(english, spanish)``. The English text is the **msgid**: it is what gettext would
look up, and what ``render`` falls back to. ``TERMS`` holds, the same way, the words
that go inside messages (weekday names, business types) and ``FIELD_LABELS`` the name
of each field, which every message of that field mentions.

Placeholders are ``str.format`` fields (``{count}``, ``{day}``...), named, so a
translation may reorder them. Values quoted from user input are sanitised by the
caller (``errors.shown_value``) before they get here.

Moving to gettext later is mechanical: extract the English strings of the three
dictionaries as the ``.pot`` (one msgid each), write the Spanish ones into
``locale/es_AR/LC_MESSAGES/*.po`` as their msgstr, and replace the body of
``render``/``term`` with ``gettext(english).format(**params)``. Codes, placeholders
and call sites stay as they are.

Spanish is rioplatense (voseo: "ingresá", "revisá"), as the app speaks to Argentine
staff; Argentine legal and tax terms (Monotributo, S.R.L.) stay in Spanish in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGUAGES = ("en", "es")

MESSAGES: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ locale
    "locale_unsupported": (
        "The language {locale} is not supported; use es_AR or en.",
        "El idioma {locale} no está disponible; usá es_AR o en.",
    ),
    # ------------------------------------------------------------------ CUIT
    "cuit_required": (
        "Enter the CUIT.",
        "Ingresá el CUIT.",
    ),
    "cuit_type": (
        "The CUIT must be written as 11 digits, like 20-12345678-6.",
        "El CUIT tiene que escribirse con 11 dígitos, como 20-12345678-6.",
    ),
    "cuit_characters": (
        'The CUIT can only contain digits, spaces and dashes, but it has "{char}".',
        "El CUIT solo puede tener números, espacios y guiones, pero tiene «{char}».",
    ),
    "cuit_length": (
        "The CUIT must have 11 digits, but it has {count}.",
        "El CUIT debe tener 11 dígitos, pero tiene {count}.",
    ),
    "cuit_prefix": (
        "The CUIT must start with 20, 23, 24, 27, 30, 33 or 34, but it starts with {prefix}.",
        "El CUIT debe empezar con 20, 23, 24, 27, 30, 33 o 34, pero empieza con {prefix}.",
    ),
    "cuit_check_digit": (
        "The CUIT check digit does not match the other digits; check it was copied correctly.",
        "El dígito verificador del CUIT no coincide con el resto; revisá que esté bien copiado.",
    ),
    "cuit_never_issued": (
        "The CUIT {cuit} cannot exist, because its first ten digits give a check digit of 10, "
        "which ARCA (formerly AFIP) never issues.",
        "El CUIT {cuit} no puede existir, porque sus primeros diez dígitos dan un dígito "
        "verificador 10, que ARCA (ex AFIP) nunca asigna.",
    ),
    "cuit_company_for_person": (
        "The CUIT starts with {prefix}, a company prefix, but the legal form {legal_form} "
        "needs a personal CUIT (20, 23, 24 or 27).",
        "El CUIT empieza con {prefix}, que es de sociedades, pero la forma jurídica "
        "{legal_form} necesita un CUIT de persona (20, 23, 24 o 27).",
    ),
    "cuit_person_for_company": (
        "The CUIT starts with {prefix}, a personal prefix, but the legal form {legal_form} "
        "needs a company CUIT (30, 33 or 34).",
        "El CUIT empieza con {prefix}, que es de personas, pero la forma jurídica "
        "{legal_form} necesita un CUIT de sociedad (30, 33 o 34).",
    ),
    "cuit_company_for_monotributo": (
        "The CUIT starts with {prefix}, a company prefix, but Monotributo is only for "
        "individuals, whose CUIT starts with 20, 23, 24 or 27.",
        "El CUIT empieza con {prefix}, que es de sociedades, pero el Monotributo es solo "
        "para personas humanas, cuyo CUIT empieza con 20, 23, 24 o 27.",
    ),
    "tax_status_unknown": (
        "The tax status must be Responsable Inscripto, Monotributo or Exento.",
        "La condición fiscal tiene que ser Responsable Inscripto, Monotributo o Exento.",
    ),
    "legal_form_unknown": (
        "The legal form must be one of {choices}.",
        "La forma jurídica tiene que ser una de estas: {choices}.",
    ),
    "tax_status_legal_form": (
        "The tax status Monotributo is only for individuals (persona humana), "
        "not for the legal form {legal_form}.",
        "La condición fiscal Monotributo es solo para personas humanas, "
        "no para la forma jurídica {legal_form}.",
    ),
    # ------------------------------------------------------------------ phone
    "phone_required": (
        "Enter the phone number.",
        "Ingresá el teléfono.",
    ),
    "phone_type": (
        "The phone number must be written as text, like 011 15 2345-6789.",
        "El teléfono tiene que escribirse como texto, por ejemplo 011 15 2345-6789.",
    ),
    "phone_characters": (
        "The phone number can only contain digits, spaces, dashes, dots, parentheses and "
        'a leading +, but it has "{char}".',
        "El teléfono solo puede tener números, espacios, guiones, puntos, paréntesis y "
        "un + al principio, pero tiene «{char}».",
    ),
    "phone_foreign": (
        "The phone number starts with +{country_code}, which is not Argentina (+54); "
        "enter an Argentine number.",
        "El teléfono empieza con +{country_code}, que no es de Argentina (+54); "
        "ingresá un número argentino.",
    ),
    "phone_invalid": (
        "The phone number is not a valid Argentine number; write it with its area code, "
        "like 011 15 2345-6789 or 0351 423-4567.",
        "El teléfono no es un número argentino válido; escribilo con la característica, "
        "como 011 15 2345-6789 o 0351 423-4567.",
    ),
    "phone_kind": (
        "The phone number must be a landline or a mobile, not a 0800, 0810 or 0600 number.",
        "El teléfono tiene que ser un fijo o un celular, no un número 0800, 0810 ni 0600.",
    ),
    # ------------------------------------------------------------------ province
    "province_required": (
        "Choose the province.",
        "Elegí la provincia.",
    ),
    "province_unknown": (
        'The province "{province}" is not one of the 24 Argentine jurisdictions.',
        "La provincia «{province}» no es una de las 24 jurisdicciones argentinas.",
    ),
    # ------------------------------------------------------------------ e-mail
    "email_required": (
        "Enter the email address.",
        "Ingresá el e-mail.",
    ),
    "email_type": (
        "The email address must be written as text, like turnos@mibarberia.com.ar.",
        "El e-mail tiene que escribirse como texto, por ejemplo turnos@mibarberia.com.ar.",
    ),
    "email_too_long": (
        "The email address is too long; it can have at most {max} characters.",
        "El e-mail es demasiado largo; puede tener como máximo {max} caracteres.",
    ),
    "email_at_sign": (
        "The email address must have exactly one @, like turnos@mibarberia.com.ar.",
        "El e-mail tiene que tener una sola @, como turnos@mibarberia.com.ar.",
    ),
    "email_spaces": (
        "The email address cannot contain spaces.",
        "El e-mail no puede tener espacios.",
    ),
    "email_local_characters": (
        "The part of the email address before the @ cannot have accents, ñ or other "
        "non-ASCII characters.",
        "La parte del e-mail antes de la @ no puede tener acentos, ñ ni otros caracteres "
        "especiales.",
    ),
    "email_local_too_long": (
        "The part of the email address before the @ can have at most {max} characters.",
        "La parte del e-mail antes de la @ puede tener como máximo {max} caracteres.",
    ),
    "email_local_invalid": (
        "The part of the email address before the @ is not valid; check its dots and symbols.",
        "La parte del e-mail antes de la @ no es válida; revisá los puntos y símbolos.",
    ),
    "email_domain_invalid": (
        "The part of the email address after the @ must be a valid domain, such as "
        "gmail.com or mibarberia.com.ar.",
        "La parte del e-mail después de la @ tiene que ser un dominio válido, como "
        "gmail.com o mibarberia.com.ar.",
    ),
    "email_invalid": (
        "The email address is not valid.",
        "El e-mail no es válido.",
    ),
    # ------------------------------------------------------------------ opening hours
    "opening_hours_type": (
        "The opening hours must give, for each weekday (0 = Monday to 6 = Sunday), a list "
        "of opening and closing times.",
        "El horario tiene que indicar, para cada día (0 = lunes a 6 = domingo), una lista "
        "de horas de apertura y cierre.",
    ),
    "opening_hours_empty": (
        "The opening hours must have at least one open day.",
        "El horario tiene que tener al menos un día abierto.",
    ),
    "opening_hours_day": (
        "The opening hours have an unknown weekday ({day}); use 0 for Monday up to 6 for Sunday.",
        "El horario tiene un día desconocido ({day}); usá 0 para el lunes hasta 6 para el domingo.",
    ),
    "opening_hours_interval": (
        "The opening hours for {day} must be a list of pairs of opening and closing times.",
        "El horario del {day} tiene que ser una lista de pares de apertura y cierre.",
    ),
    "opening_hours_time": (
        "The opening hours for {day} have an invalid time ({value}); use HH:MM, like 09:30.",
        "El horario del {day} tiene una hora inválida ({value}); usá HH:MM, como 09:30.",
    ),
    "opening_hours_order": (
        "The opening hours for {day} must open before closing, but one shift runs {open}–{close}.",
        "El horario del {day} tiene que abrir antes de cerrar, pero un turno va de {open} a "
        "{close}.",
    ),
    "opening_hours_overlap": (
        "The opening hours for {day} have overlapping shifts ({first} and {second}).",
        "El horario del {day} tiene turnos que se superponen ({first} y {second}).",
    ),
    # ------------------------------------------------------------------ price
    "price_required": (
        "Enter the price.",
        "Ingresá el precio.",
    ),
    "price_type": (
        "The price must be a number.",
        "El precio tiene que ser un número.",
    ),
    "price_not_positive": (
        "The price must be greater than zero.",
        "El precio tiene que ser mayor que cero.",
    ),
    "price_out_of_range": (
        "The price must be between {low} and {high} for {vertical}.",
        "El precio tiene que estar entre {low} y {high} para {vertical}.",
    ),
    "price_cents": (
        "The price can have at most two decimals.",
        "El precio puede tener como máximo dos decimales.",
    ),
    "vertical_unknown": (
        "The business type must be barbershop, salon, spa or nails.",
        "El rubro tiene que ser barbershop, salon, spa o nails.",
    ),
    "as_of_type": (
        "The reference date for price bounds must be a date.",
        "La fecha de referencia de los precios tiene que ser una fecha.",
    ),
    # ------------------------------------------------------------------ duration
    "duration_required": (
        "Enter the duration in minutes.",
        "Ingresá la duración en minutos.",
    ),
    "duration_type": (
        "The duration must be a whole number of minutes.",
        "La duración tiene que ser un número entero de minutos.",
    ),
    "duration_not_positive": (
        "The duration must be greater than zero minutes.",
        "La duración tiene que ser mayor que cero minutos.",
    ),
    "duration_step": (
        "The duration must be a multiple of {step} minutes, like 30 or 45.",
        "La duración tiene que ser múltiplo de {step} minutos, como 30 o 45.",
    ),
    "duration_too_long": (
        "The duration can be at most {max} minutes ({hours} hours).",
        "La duración puede ser como máximo de {max} minutos ({hours} horas).",
    ),
    # ------------------------------------------------------------------ free text
    "text_formula": (
        "Text cannot start like a spreadsheet formula (=, @, or + and - before anything "
        "but a number).",
        "El texto no puede empezar como una fórmula de planilla (=, @, o + y - antes de algo "
        "que no sea un número).",
    ),
    # ------------------------------------------------------------------ staff coverage
    "services_type": (
        "The services must be a list of service names.",
        "Los servicios tienen que ser una lista de nombres.",
    ),
    "services_empty": (
        "Add at least one service.",
        "Cargá al menos un servicio.",
    ),
    "staff_type": (
        "The staff must list, for each person, the services they perform.",
        "El equipo tiene que indicar, para cada persona, los servicios que hace.",
    ),
    "staff_uncovered": (
        "No staff member performs these services: {services}.",
        "Nadie del equipo hace estos servicios: {services}.",
    ),
}

# Words that go inside messages.
TERMS: dict[str, tuple[str, str]] = {
    "weekday_0": ("Monday", "lunes"),
    "weekday_1": ("Tuesday", "martes"),
    "weekday_2": ("Wednesday", "miércoles"),
    "weekday_3": ("Thursday", "jueves"),
    "weekday_4": ("Friday", "viernes"),
    "weekday_5": ("Saturday", "sábado"),
    "weekday_6": ("Sunday", "domingo"),
    # With the article, as they follow "for" / "para".
    "vertical_barbershop": ("a barbershop", "una barbería"),
    "vertical_salon": ("a hair salon", "una peluquería"),
    "vertical_spa": ("a spa", "un spa"),
    "vertical_nails": ("a nail studio", "un estudio de uñas"),
    "and_more": ("and {count} more", "y {count} más"),
}

# Every message of a field mentions its label (the tests check it).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "locale": ("language", "idioma"),
    "cuit": ("CUIT", "CUIT"),
    "tax_status": ("tax status", "condición fiscal"),
    "legal_form": ("legal form", "forma jurídica"),
    "phone": ("phone", "teléfono"),
    "province": ("province", "provincia"),
    "email": ("email", "e-mail"),
    "opening_hours": ("opening hours", "horario"),
    "price": ("price", "precio"),
    "vertical": ("business type", "rubro"),
    "as_of": ("date", "fecha"),
    "duration": ("duration", "duración"),
    "services": ("service", "servicio"),
    "staff": ("staff", "equipo"),
    "text": ("text", "texto"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGUAGES.index(lang)] if lang in LANGUAGES else pair[0]


def render(code: str, lang: str, params: Mapping[str, Any] | None = None) -> str:
    """The message for ``code`` in ``lang`` (``"en"`` or ``"es"``), placeholders filled."""
    text = _pick(MESSAGES[code], lang).format(**(params or {}))
    # A closing abbreviation's period ends the sentence too: "... S.A." not "... S.A..".
    return text[:-1] if text.endswith("..") else text


def term(key: str, lang: str, **params: Any) -> str:
    """A word from ``TERMS`` in ``lang``."""
    return _pick(TERMS[key], lang).format(**params)


def field_label(field: str, lang: str) -> str:
    """How messages in ``lang`` name ``field``."""
    return _pick(FIELD_LABELS[field], lang)
