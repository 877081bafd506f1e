"""What the alert programme knows by name: reasons, rules, playbooks, actions, outcomes.

Pure definitions, no SQL: the defaults and the shapes of the rules, playbooks and
programme settings (``core.workflows.alerts.config.load_config`` merges what is stored
over them), and the labels pages and dashboards show. Texts are English msgids (``N_``):
callers translate at display time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.i18n import N_

# ----------------------------------------------------------------------- reasons

REASONS = (
    "health_red",
    "churn_risk",
    "failed_invoice",
    "no_bookings",
    "onboarding_stalled",
    "nps_detractor",
)
# Labels also cover "usage_drop", a reason found only in the generated history.
REASON_LABELS = {
    "health_red": N_("Health entered red"),
    "churn_risk": N_("High churn probability"),
    "failed_invoice": N_("Failed invoice"),
    "no_bookings": N_("No bookings"),
    "onboarding_stalled": N_("Onboarding stalled"),
    "nps_detractor": N_("NPS detractor"),
    "usage_drop": N_("Usage drop"),
}
# Event reasons close when their event leaves the rule's window; state reasons when the
# state is gone. Both are "the signal cleared" (see core.workflows.alerts.engine).

ACTION_KINDS = ("call", "whatsapp", "email", "discount", "training")
ACTION_LABELS = {
    "call": N_("Call"),
    "whatsapp": N_("WhatsApp"),
    "email": N_("Email"),
    "discount": N_("Discount"),
    "training": N_("Training session"),
    # Kinds found in the generated history.
    "business_review": N_("Business review"),
    "billing_fix": N_("Billing fix"),
    "discount_offer": N_("Discount"),
}

# Outcomes a CS manager closes with; the rule job closes with the automatic ones.
CLOSE_OUTCOMES = ("resolved", "retained_with_discount", "no_response", "escalated", "churned")
AUTO_OUTCOMES = ("signal_cleared", "churned")
OUTCOME_LABELS = {
    "resolved": N_("Resolved"),
    "retained_with_discount": N_("Retained with a discount"),
    "no_response": N_("No response"),
    "escalated": N_("Escalated elsewhere"),
    "churned": N_("Tenant churned"),
    "signal_cleared": N_("Signal cleared (automatic)"),
}

ARMS = ("treated", "holdout")

# ------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class ParamSpec:
    label: str
    default: float
    minimum: float
    maximum: float
    integer: bool = False
    help: str = ""


@dataclass(frozen=True)
class RuleSpec:
    reason: str
    description: str
    threshold: ParamSpec | None = None
    days: ParamSpec | None = None


RULE_SPECS: dict[str, RuleSpec] = {
    "health_red": RuleSpec(
        "health_red", N_("The tenant's latest health score is in the red band.")
    ),
    "churn_risk": RuleSpec(
        "churn_risk",
        N_("The churn model's latest probability is at or above the threshold."),
        threshold=ParamSpec(N_("Probability threshold"), 0.5, 0.05, 0.99),
    ),
    "failed_invoice": RuleSpec(
        "failed_invoice",
        N_("An invoice issued in the last N days failed or was written off and is unpaid."),
        days=ParamSpec(N_("Days to look back"), 45, 1, 365, integer=True),
    ),
    "no_bookings": RuleSpec(
        "no_bookings",
        N_("An active tenant has had no appointments in the last N days."),
        days=ParamSpec(N_("Days without bookings"), 14, 2, 120, integer=True),
    ),
    "onboarding_stalled": RuleSpec(
        "onboarding_stalled",
        N_(
            "A tenant N or more days after signup, still in its first 60 days, has fewer "
            "bookings since signup than the threshold."
        ),
        threshold=ParamSpec(N_("Minimum bookings"), 5, 1, 500, integer=True),
        days=ParamSpec(N_("Days after signup"), 14, 1, 59, integer=True),
    ),
    "nps_detractor": RuleSpec(
        "nps_detractor",
        N_("An NPS answer in the last N days scored at or below the threshold."),
        threshold=ParamSpec(N_("Highest detractor score"), 6, 0, 9, integer=True),
        days=ParamSpec(N_("Days to look back"), 30, 1, 180, integer=True),
    ),
}
ONBOARDING_WINDOW_DAYS = 60


@dataclass(frozen=True)
class RuleConfig:
    reason: str
    enabled: bool
    threshold: float | None
    days: int | None


def default_rule(reason: str) -> RuleConfig:
    spec = RULE_SPECS[reason]
    return RuleConfig(
        reason,
        True,
        spec.threshold.default if spec.threshold else None,
        int(spec.days.default) if spec.days else None,
    )


# --------------------------------------------------------------------- playbooks


@dataclass(frozen=True)
class Playbook:
    reason: str
    playbook: str  # a stable key: the ledger and the Outcomes view group by it
    title: str
    steps: tuple[str, ...]


DEFAULT_PLAYBOOKS: dict[str, Playbook] = {
    p.reason: p
    for p in (
        Playbook(
            "health_red",
            "health_review",
            N_("Health review"),
            (
                N_("Read the health components and recent activity"),
                N_("Call the owner to understand what changed"),
                N_("Agree an action plan with the owner"),
                N_("Follow up in 7 days"),
            ),
        ),
        Playbook(
            "churn_risk",
            "churn_save",
            N_("Save an at-risk account"),
            (
                N_("Read the risk drivers"),
                N_("Call the owner"),
                N_("Offer a training session or a plan that fits"),
                N_("Follow up in 14 days"),
            ),
        ),
        Playbook(
            "failed_invoice",
            "billing_recovery",
            N_("Billing recovery"),
            (
                N_("Call the owner"),
                N_("Offer a payment plan"),
                N_("Retry the charge"),
            ),
        ),
        Playbook(
            "no_bookings",
            "adoption_boost",
            N_("Bring bookings back"),
            (
                N_("Check the agenda and the online booking link"),
                N_("WhatsApp the owner"),
                N_("Offer a training session"),
            ),
        ),
        Playbook(
            "onboarding_stalled",
            "onboarding_rescue",
            N_("Onboarding rescue"),
            (
                N_("Check which setup steps are missing"),
                N_("Schedule a training session"),
                N_("Help publish the online booking link"),
            ),
        ),
        Playbook(
            "nps_detractor",
            "detractor_callback",
            N_("Detractor callback"),
            (
                N_("Read the NPS comment"),
                N_("Call back within 48 hours"),
                N_("Log the root cause and fix it or escalate"),
            ),
        ),
    )
}
# Playbook keys of the generated history, so the Outcomes view can name them.
PLAYBOOK_TITLES = {p.playbook: p.title for p in DEFAULT_PLAYBOOKS.values()}
MAX_PLAYBOOK_STEPS = 15
MAX_TEXT = 200

# ---------------------------------------------------------------------- settings

DEFAULT_HOLDOUT_SHARE = 0.10
MAX_HOLDOUT_SHARE = 0.5
# ARS of monthly revenue expected to be lost: enterprise tenants at modest risk, or
# mid-sized tenants at high risk, notify; the rest only show in the queue.
DEFAULT_NOTIFY_MIN_PRIORITY = 50_000.0
DEFAULT_REOPEN_COOLDOWN_DAYS = 30
# Plausible bounds of what an admin types: no tenant loses 100 M ARS of revenue a month,
# and a cooldown over a year is "never reopen" (close the alert with that outcome).
MAX_NOTIFY_MIN_PRIORITY = 100_000_000.0
MAX_REOPEN_COOLDOWN_DAYS = 365


@dataclass(frozen=True)
class ProgrammeSettings:
    holdout_share: float = DEFAULT_HOLDOUT_SHARE
    notify_min_priority: float = DEFAULT_NOTIFY_MIN_PRIORITY
    reopen_cooldown_days: int = DEFAULT_REOPEN_COOLDOWN_DAYS


@dataclass(frozen=True)
class AlertConfig:
    rules: dict[str, RuleConfig]
    playbooks: dict[str, Playbook]
    settings: ProgrammeSettings = field(default_factory=ProgrammeSettings)


# ---------------------------------------------------------------------- outcomes

# A treated-vs-holdout comparison with fewer scored interventions in either arm is
# flagged as too small to conclude (core.workflows.alerts.outcomes).
MIN_ARM_N = 30
