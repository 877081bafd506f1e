"""What the onboarding wizard says beyond ``core.validation``: step rules, integration
settings, verification reasons and import errors, in English and Argentine Spanish.

Same shape as ``core.validation.messages``: code -> (English msgid, rioplatense Spanish),
``str.format`` placeholders, one sentence each.
"""

from __future__ import annotations

from typing import Any

from core.validation.errors import language

MESSAGES: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ step rules
    "required": ("Enter the {label}.", "Completá {label}."),
    "too_long": (
        "The {label} can have at most {max} characters.",
        "{label} puede tener como máximo {max} caracteres.",
    ),
    "choice": (
        "Choose a {label} from the list.",
        "Elegí {label} de la lista.",
    ),
    "plan_tier": (
        "The plan {plan} belongs to the {expected} tier, not to {tier}.",
        "El plan {plan} corresponde al segmento {expected}, no a {tier}.",
    ),
    "none": ("Add at least one {label}.", "Agregá al menos un {label}."),
    "too_many": (
        "At most {max} {label} can be added at once.",
        "Se pueden agregar como máximo {max} {label} a la vez.",
    ),
    "duplicate_name": (
        'The name "{name}" is repeated; each {label} needs its own.',
        "El nombre «{name}» está repetido; cada {label} necesita uno propio.",
    ),
    "unknown_location": (
        'The location "{name}" is not one of this business\'s locations.',
        "La sucursal «{name}» no es una de las sucursales de este negocio.",
    ),
    "unknown_service": (
        'The service "{name}" is not in the service list.',
        "El servicio «{name}» no está en la lista de servicios.",
    ),
    "no_services_performed": (
        "Each staff member must perform at least one service.",
        "Cada integrante del equipo tiene que hacer al menos un servicio.",
    ),
    "whole_number": (
        "The {label} must be a whole number between {low} and {high}.",
        "{label} tiene que ser un número entero entre {low} y {high}.",
    ),
    "too_many_staff_services": (
        "With this row the staff would perform more than {max} services in all (a person "
        "times each service they do); list each person's services instead of * (every "
        "service), or import the chain in parts.",
        "Con esta fila el equipo haría más de {max} servicios en total (cada persona por "
        "cada servicio que hace); listá los servicios de cada persona en vez de * (todos), "
        "o importá la cadena por partes.",
    ),
    "draft_too_large": (
        "The onboarding data would take {size} MB; the limit is {limit} MB. Import the chain "
        "in parts.",
        "Los datos del alta ocuparían {size} MB; el límite es {limit} MB. Importá la cadena "
        "por partes.",
    ),
    # ------------------------------------------------------------------ integrations
    "mp_token": (
        "The MercadoPago access token must start with APP_USR- (or TEST- for a sandbox) "
        "and have only letters, digits and dashes.",
        "El access token de MercadoPago tiene que empezar con APP_USR- (o TEST- para pruebas) "
        "y tener solo letras, números y guiones.",
    ),
    "calendar_provider": (
        "Choose Google Calendar or Outlook for calendar sync.",
        "Elegí Google Calendar u Outlook para sincronizar el calendario.",
    ),
    "whatsapp_mobile": (
        "WhatsApp reminders need a mobile number, not a landline.",
        "Los recordatorios por WhatsApp necesitan un número de celular, no uno fijo.",
    ),
    # ------------------------------------------------------------------ warnings
    "warn_cuit_tax": (
        "{detail} It will go to manual review.",
        "{detail} Va a pasar a revisión manual.",
    ),
    "warn_disposable": (
        "The e-mail domain {domain} gives out disposable addresses; it will go to manual review.",
        "El dominio {domain} da direcciones descartables; va a pasar a revisión manual.",
    ),
    # ------------------------------------------------------------------ verification
    "duplicate_cuit": (
        "The CUIT {cuit} already belongs to the tenant {tenant}.",
        "El CUIT {cuit} ya es del cliente {tenant}.",
    ),
    "duplicate_email": (
        "The e-mail {email} is already used by the tenant {tenant}.",
        "El e-mail {email} ya lo usa el cliente {tenant}.",
    ),
    "duplicate_phone": (
        "The phone {phone} is already used by the tenant {tenant}.",
        "El teléfono {phone} ya lo usa el cliente {tenant}.",
    ),
    "cuit_tax_status": (
        "The CUIT prefix does not fit the tax status or legal form: {detail}",
        "El prefijo del CUIT no corresponde a la condición fiscal o forma jurídica: {detail}",
    ),
    "phone_area_province": (
        "The phone area code {area} is not one of {provinces}.",
        "La característica {area} del teléfono no es de {provinces}.",
    ),
    "price_outlier": (
        'The price of "{service}" ({price}) is more than {factor}× away from the median of '
        '"{category}" at {vertical} tenants ({median}).',
        "El precio de «{service}» ({price}) se aleja más de {factor}× de la mediana de "
        "«{category}» en clientes del rubro {vertical} ({median}).",
    ),
    "disposable_email": (
        "The e-mail domain {domain} gives out disposable addresses.",
        "El dominio de e-mail {domain} da direcciones descartables.",
    ),
    # ------------------------------------------------------------------ workflow
    "session_missing": (
        "The onboarding session {session_id} does not exist.",
        "La sesión de alta {session_id} no existe.",
    ),
    "session_closed": (
        "The onboarding session {session_id} is already {status}; it cannot be changed.",
        "La sesión de alta {session_id} ya está en estado {status}; no se puede cambiar.",
    ),
    "step_unknown": ("There is no step {step}.", "No existe el paso {step}."),
    "step_locked": (
        "Complete the previous steps before {step}.",
        "Completá los pasos anteriores antes de {step}.",
    ),
    "not_verified": (
        "Run the verification at the review step before activating.",
        "Corré la verificación en el paso de revisión antes de activar.",
    ),
    "awaiting_review": (
        "This onboarding is waiting for a reviewer's approval.",
        "Esta alta está esperando la aprobación de un revisor.",
    ),
    "not_in_review": (
        "Only onboardings in manual review can be approved or rejected.",
        "Solo se pueden aprobar o rechazar altas en revisión manual.",
    ),
    "four_eyes": (
        "You started this onboarding, so someone else must decide its review (four eyes).",
        "Vos iniciaste esta alta, así que su revisión la tiene que decidir otra persona "
        "(cuatro ojos).",
    ),
    "comment_required": (
        "Write a comment for the decision.",
        "Escribí un comentario para la decisión.",
    ),
    "cuit_taken": (
        "A tenant with the CUIT {cuit} was created meanwhile; verify again.",
        "Mientras tanto se creó un cliente con el CUIT {cuit}; verificá de nuevo.",
    ),
    # ------------------------------------------------------------------ import
    "import_too_large": (
        "The file is {size} MB; the limit is {limit} MB.",
        "El archivo pesa {size} MB; el límite es {limit} MB.",
    ),
    "import_empty": ("The file is empty.", "El archivo está vacío."),
    "import_no_rows": (
        "The file has a header but no data rows.",
        "El archivo tiene encabezado pero ninguna fila de datos.",
    ),
    "import_encoding": (
        "The file is not UTF-8 text; in Excel save it as «CSV UTF-8 (comma delimited)».",
        "El archivo no es texto UTF-8; en Excel guardalo como «CSV UTF-8 (delimitado por comas)».",
    ),
    "import_format": (
        "The file is neither CSV nor an Excel workbook (.xlsx).",
        "El archivo no es CSV ni un libro de Excel (.xlsx).",
    ),
    "import_too_many_rows": (
        "The file has more than {max} rows.",
        "El archivo tiene más de {max} filas.",
    ),
    "import_missing_column": (
        "The column {column} is missing.",
        "Falta la columna {column}.",
    ),
    "import_unknown_column": (
        "The column {column} is not part of the template.",
        "La columna {column} no es parte de la plantilla.",
    ),
    "import_formula": (
        "Cells cannot hold formulas; paste the value instead.",
        "Las celdas no pueden tener fórmulas; pegá el valor.",
    ),
    "import_number": (
        'The value "{value}" is not a number.',
        "El valor «{value}» no es un número.",
    ),
    "import_hours": (
        'Write hours as 09:00-13:00, several shifts separated by commas, not "{value}".',
        "Escribí el horario como 09:00-13:00, varios turnos separados por comas, no «{value}».",
    ),
    "import_ragged_row": (
        "The row has {count} cells but the header has {expected}.",
        "La fila tiene {count} celdas pero el encabezado tiene {expected}.",
    ),
}

LABELS: dict[str, tuple[str, str]] = {
    "legal_name": ("legal name", "la razón social"),
    "trade_name": ("trade name", "el nombre comercial"),
    "owner_name": ("owner's name", "el nombre del titular"),
    "vertical": ("business type", "el rubro"),
    "plan": ("plan", "el plan"),
    "tier": ("tier", "el segmento"),
    "tax_status": ("tax status", "la condición fiscal"),
    "legal_form": ("legal form", "la forma jurídica"),
    "location": ("location", "sucursal"),
    "locations": ("locations", "sucursales"),
    "name": ("name", "el nombre"),
    "address": ("address", "la dirección"),
    "city": ("city", "la ciudad"),
    "service": ("service", "servicio"),
    "services": ("services", "servicios"),
    "category": ("category", "la categoría"),
    "staff": ("staff member", "integrante del equipo"),
    "staff_plural": ("staff members", "integrantes del equipo"),
    "role": ("role", "el rol"),
    "account_email": ("account e-mail", "el e-mail de la cuenta"),
    "access_token": ("access token", "el access token"),
    "hours_before": ("hours before", "Las horas de anticipación"),
    "sender_phone": ("WhatsApp number", "el número de WhatsApp"),
    "comment": ("comment", "el comentario"),
}


def label(key: str, locale: str) -> str:
    pair = LABELS.get(key, (key, key))
    return pair[0] if language(locale) == "en" else pair[1]


def message(code: str, locale: str, **params: Any) -> str:
    """The message ``code`` in ``locale`` (``es_AR`` or ``en``), placeholders filled."""
    english, spanish = MESSAGES[code]
    text = (english if language(locale) == "en" else spanish).format(**params)
    return text[:1].upper() + text[1:]
