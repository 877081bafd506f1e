"""The domain vocabulary: the codes of the enumerated columns, stored as short strings.

Kept apart from the ORM (``core.schema``) so pages, dashboards and the generator can use
the codes without importing the tables.
"""

from __future__ import annotations

VERTICALS = ("barbershop", "salon", "spa", "nails")
TIERS = ("starter", "pro", "enterprise")
PLANS = ("basico", "profesional", "premium", "cadena")
TENANT_STATUSES = ("active", "churned", "suspended")
BOOKING_STATUSES = ("scheduled", "completed", "cancelled", "no_show")
BOOKING_CHANNELS = ("whatsapp", "web", "app", "instagram", "walk_in")
PAYMENT_METHODS = ("mercadopago", "cash", "card", "transfer")
PAYMENT_STATUSES = (
    "approved",
    "pending",
    "in_process",
    "rejected",
    "refunded",
    "cancelled",
    "charged_back",
)
INVOICE_STATUSES = ("open", "paid", "failed", "retried", "written_off")
TICKET_SEVERITIES = ("low", "medium", "high", "urgent")
CHURN_REASONS = (
    "price",
    "closed_business",
    "competitor",
    "low_usage",
    "support",
    "payment_failure",
)
