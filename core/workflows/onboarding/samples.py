"""Sample submissions for every wizard step: a clean Córdoba barbershop, and a chain of
any size. Used by the benchmark, the tests and the service templates the wizard pre-fills.
"""

from __future__ import annotations

from typing import Any

from core.reference.services import CATALOG, STAFF_ROLES
from core.validation import cuit_check_digit

WEEKDAYS_9_TO_20 = {str(d): [["09:00", "20:00"]] for d in range(6)} | {"6": []}
SAMPLE_MP_TOKEN = "APP_USR-1234567890123456-010203-" + "abcdef0123456789" * 2 + "-123456789"
STAFF_WEEK = {str(d): [["10:00", "19:00"]] for d in range(1, 6)} | {"0": [], "6": []}


def service_template(vertical: str) -> list[dict[str, Any]]:
    """The vertical's typical services and mid-market prices, to pre-fill the Services step."""
    return [
        {
            "name": s.name,
            "category": s.category,
            "duration_min": s.duration_min,
            "price_ars": float(s.price_ars),
        }
        for s in CATALOG[vertical]
    ]


def default_role(vertical: str) -> str:
    return STAFF_ROLES[vertical][0]


def make_cuit(prefix: str, body: int) -> str:
    """A valid CUIT with ``prefix``, starting from ``body`` and skipping check digit 10."""
    while True:
        first_ten = f"{prefix}{body % 10**8:08d}"
        digit = cuit_check_digit(first_ten)
        if digit is not None:
            return f"{prefix}-{first_ten[2:]}-{digit}"
        body += 1


def clean_steps(
    *, n: int = 1, locations: int = 1, staff_per_location: int = 2, services: int | None = None
) -> dict[str, Any]:
    """Payloads for every data step of a business that passes verification on an empty
    platform; ``n`` varies the CUIT, e-mail and phone so several can coexist."""
    names = [f"Sucursal {i + 1}" for i in range(locations)]
    catalog = service_template("barbershop")
    if services is not None:
        catalog = [
            {**catalog[i % len(catalog)], "name": f"{catalog[i % len(catalog)]['name']} {i + 1}"}
            if i >= len(catalog)
            else catalog[i]
            for i in range(services)
        ]
    service_names = [s["name"] for s in catalog]
    staff = []
    for loc in names:
        for j in range(staff_per_location):
            staff.append(
                {
                    "name": f"Barbero {j + 1}",
                    "location": loc,
                    "role": "barbero",
                    "services": service_names,
                    "hours": STAFF_WEEK,
                }
            )
    return {
        "business": {
            "legal_name": f"Barbería del Centro {n} S.R.L.",
            "trade_name": f"Barbería del Centro {n}",
            "cuit": make_cuit("30", 71234567 + 7 * n),
            "tax_status": "Responsable Inscripto",
            "legal_form": "srl",
            "vertical": "barbershop",
            "plan": "cadena" if locations > 1 else "profesional",
            "tier": "enterprise" if locations > 1 else "pro",
        },
        "contact": {
            "owner_name": "Lucía Fernández",
            "email": f"lucia.fernandez{n}@barberiadelcentro.com.ar",
            "phone": f"0351 15 {4000000 + n:07d}",
        },
        "locations": [
            {
                "name": name,
                "address": f"San Martín {100 + i}",
                "province": "Córdoba",
                "city": "Córdoba",
            }
            for i, name in enumerate(names)
        ],
        "hours": {name: WEEKDAYS_9_TO_20 for name in names},
        "services": catalog,
        "staff": staff,
        "integrations": {
            "mercadopago": {
                "enabled": True,
                "access_token": SAMPLE_MP_TOKEN,
                "account_email": f"pagos{n}@barberiadelcentro.com.ar",
            },
            "whatsapp": {
                "enabled": True,
                "sender_phone": f"0351 15 {5000000 + n:07d}",
                "hours_before": 24,
            },
            "calendar": {"enabled": False},
        },
    }
