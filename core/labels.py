"""The one label table: how every stored code reads in the UI, in the user's language.

A code (``barbershop``, ``written_off``, ``mercadopago``) is what the database stores; a
label is what people read ("Barbería", "Incobrable", "Mercado Pago"). Tables, filters,
chart legends and the audit history all read labels from here, so a code never reaches a
page. Where one English word means two things whose Spanish differs ("Cancelled" booking
is *cancelada*, a payment *cancelado*; "Open" invoice or alert), the label carries a
gettext context (``NP_`` / ``pgettext``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core import vocabulary
from core.i18n import N_, NP_, gettext, pgettext

# One label: plain English (translated with gettext) or (context, English) (pgettext).
Label = str | tuple[str, str]

VERTICAL_LABELS: dict[str, str] = {
    "barbershop": N_("Barbershop"),
    "salon": N_("Hair salon"),
    "spa": N_("Spa"),
    "nails": N_("Nail studio"),
}
TIER_LABELS: dict[str, str] = {
    "starter": N_("Starter"),
    "pro": N_("Pro"),
    "enterprise": N_("Enterprise"),
}

LABELS: dict[str, dict[str, Label]] = {
    "vertical": dict(VERTICAL_LABELS),
    "tier": dict(TIER_LABELS),
    "plan": {
        "basico": NP_("plan", "Basic"),
        "profesional": NP_("plan", "Professional"),
        "premium": NP_("plan", "Premium"),
        "cadena": NP_("plan", "Chain"),
    },
    "tenant_status": {
        "active": NP_("tenant status", "Active"),
        "churned": NP_("tenant status", "Churned"),
        "suspended": NP_("tenant status", "Suspended"),
    },
    "booking_status": {
        "scheduled": NP_("booking status", "Scheduled"),
        "completed": NP_("booking status", "Completed"),
        "cancelled": NP_("booking status", "Cancelled"),
        "no_show": NP_("booking status", "No-show"),
    },
    "channel": {
        "whatsapp": N_("WhatsApp"),
        "web": NP_("booking channel", "Web"),
        "app": NP_("booking channel", "App"),
        "instagram": N_("Instagram"),
        "walk_in": NP_("booking channel", "Walk-in"),
    },
    "payment_method": {
        "mercadopago": N_("Mercado Pago"),
        "cash": NP_("payment method", "Cash"),
        "card": NP_("payment method", "Card"),
        "transfer": NP_("payment method", "Bank transfer"),
    },
    "payment_status": {
        "approved": NP_("payment status", "Approved"),
        "pending": NP_("payment status", "Pending"),
        "in_process": NP_("payment status", "In process"),
        "rejected": NP_("payment status", "Rejected"),
        "refunded": NP_("payment status", "Refunded"),
        "cancelled": NP_("payment status", "Cancelled"),
        "charged_back": NP_("payment status", "Charged back"),
    },
    "invoice_status": {
        "open": NP_("invoice status", "Open"),
        "paid": NP_("invoice status", "Paid"),
        "failed": NP_("invoice status", "Failed"),
        "retried": NP_("invoice status", "Retried"),
        "written_off": NP_("invoice status", "Written off"),
    },
    "severity": {
        "low": NP_("severity", "Low"),
        "medium": NP_("severity", "Medium"),
        "high": NP_("severity", "High"),
        "urgent": NP_("severity", "Urgent"),
    },
    "churn_reason": {
        "price": NP_("churn reason", "Price"),
        "closed_business": NP_("churn reason", "Business closed"),
        "competitor": NP_("churn reason", "Competitor"),
        "low_usage": NP_("churn reason", "Low usage"),
        "support": NP_("churn reason", "Support"),
        "payment_failure": NP_("churn reason", "Payment failure"),
    },
    "alert_status": {
        "open": NP_("alert status", "Open"),
        "snoozed": NP_("alert status", "Snoozed"),
        "closed": NP_("alert status", "Closed"),
    },
    "onboarding_status": {
        "in_progress": NP_("onboarding status", "In progress"),
        "activated": NP_("onboarding status", "Activated"),
        "abandoned": NP_("onboarding status", "Abandoned"),
        "rejected": NP_("onboarding status", "Rejected"),
    },
    "verification_status": {
        "auto_approved": NP_("verification status", "Approved automatically"),
        "manual_review": NP_("verification status", "Manual review"),
        "approved": NP_("verification status", "Approved"),
        "rejected": NP_("verification status", "Rejected"),
    },
    "onboarding_step": {
        "business": NP_("onboarding step", "Business"),
        "contact": NP_("onboarding step", "Contact"),
        "locations": NP_("onboarding step", "Locations"),
        "hours": NP_("onboarding step", "Opening hours"),
        "services": NP_("onboarding step", "Services"),
        "staff": NP_("onboarding step", "Staff"),
        "integrations": NP_("onboarding step", "Integrations"),
        "review": NP_("onboarding step", "Review"),
        "activation": NP_("onboarding step", "Activation"),
    },
    "partner_kind": {
        "reseller": NP_("partner kind", "Reseller"),
        "agency": NP_("partner kind", "Agency"),
        "distributor": NP_("partner kind", "Distributor"),
        "influencer": NP_("partner kind", "Influencer"),
    },
    "service_category": {
        "corte": NP_("service category", "Haircut"),
        "barba": NP_("service category", "Beard"),
        "color": NP_("service category", "Colour"),
        "estetica": NP_("service category", "Beauty"),
    },
    "subscription_change": {
        "new": NP_("subscription change", "New subscription"),
        "upgrade": NP_("subscription change", "Upgrade"),
        "downgrade": NP_("subscription change", "Downgrade"),
        "expansion": NP_("subscription change", "More seats"),
        "price_update": NP_("subscription change", "Price update"),
    },
    "ticket_category": {
        "how_to": NP_("ticket category", "How-to question"),
        "bookings": NP_("ticket category", "Bookings"),
        "integrations": NP_("ticket category", "Integrations"),
        "bug": NP_("ticket category", "Bug"),
        "payments": NP_("ticket category", "Payments"),
        "billing": NP_("ticket category", "Billing"),
        "account": NP_("ticket category", "Account"),
    },
    "mrr_change": {
        "new": NP_("MRR change", "New"),
        "reactivation": NP_("MRR change", "Reactivation"),
        "price_update": NP_("MRR change", "Price update"),
        "plan_seat_expansion": NP_("MRR change", "Plan or seat expansion"),
        "plan_seat_contraction": NP_("MRR change", "Plan or seat contraction"),
        "churn": NP_("MRR change", "Churn"),
    },
}

# Table columns named after the kind of code they hold (a column a page names otherwise
# says its kind to ui.render.show_table with ``labels=``).
COLUMN_KINDS: dict[str, str] = {
    "vertical": "vertical",
    "tier": "tier",
    "plan": "plan",
    "channel": "channel",
    "payment_method": "payment_method",
    "method": "payment_method",
    "payment_status": "payment_status",
    "invoice_status": "invoice_status",
    "severity": "severity",
    "churn_reason": "churn_reason",
    "verification_status": "verification_status",
    "partner_kind": "partner_kind",
    "tenant_status": "tenant_status",
    "onboarding_status": "onboarding_status",
    "alert_status": "alert_status",
    "step": "onboarding_step",
    "current_step": "onboarding_step",
    "change_reason": "subscription_change",
}
# "all" stands for every value of a dimension (a total row, a filter) in any column.
ALL_CODE = "all"
ALL_LABEL = NP_("every value", "All")

# The enumerated columns of the schema must all have labels (tests/core/test_labels.py).
VOCABULARY_KINDS = {
    "vertical": vocabulary.VERTICALS,
    "tier": vocabulary.TIERS,
    "plan": vocabulary.PLANS,
    "tenant_status": vocabulary.TENANT_STATUSES,
    "booking_status": vocabulary.BOOKING_STATUSES,
    "channel": vocabulary.BOOKING_CHANNELS,
    "payment_method": vocabulary.PAYMENT_METHODS,
    "payment_status": vocabulary.PAYMENT_STATUSES,
    "invoice_status": vocabulary.INVOICE_STATUSES,
    "severity": vocabulary.TICKET_SEVERITIES,
    "churn_reason": vocabulary.CHURN_REASONS,
}


def translate_label(label: Label, locale: str) -> str:
    """A label of the table in ``locale``."""
    if isinstance(label, tuple):
        return pgettext(label[0], label[1], locale)
    return gettext(label, locale)


def code_label(kind: str, code: object, locale: str) -> str:
    """The translated label of a stored code; the code itself when it has none."""
    label = ALL_LABEL if code == ALL_CODE else LABELS.get(kind, {}).get(str(code))
    return translate_label(label, locale) if label is not None else str(code)


def has_label(kind: str, code: object) -> bool:
    return str(code) in LABELS.get(kind, {})


def kind_of(column: str, values: Iterable[Any]) -> str | None:
    """The kind of codes a table column holds: by its name, else the one kind whose codes
    cover every value (None when no kind or several fit, e.g. only ``open``)."""
    if column in COLUMN_KINDS:
        return COLUMN_KINDS[column]
    texts = {str(v) for v in values if isinstance(v, str) and v}
    present = texts - {ALL_CODE}
    fitting = [kind for kind, codes in LABELS.items() if present <= codes.keys()]
    if present and len(fitting) == 1:
        return fitting[0]
    # A dimension column of a summary ("all" tiers): "all" still reads as its label.
    return "any" if ALL_CODE in texts else None


def stored_codes() -> Mapping[str, frozenset[str]]:
    """Every code of the label table, by kind: what no page may show as it is."""
    return {kind: frozenset(codes) for kind, codes in LABELS.items()}
