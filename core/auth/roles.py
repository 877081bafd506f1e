"""Who may do what: the console's roles and the capabilities each one has.

Pages declare their roles in ``page_registry``; write commands declare the capability
they need (``required_capability``) and ``core.commands.execute`` checks it against the
acting user's role as stored in the database, so no page, script or API route can skip
the check.
"""

from __future__ import annotations

from enum import StrEnum

from core.i18n import N_


class Role(StrEnum):
    EXECUTIVE = "executive"
    CS_MANAGER = "cs_manager"
    CS_LEAD = "cs_lead"
    ONBOARDING = "onboarding"
    ADMIN = "admin"
    # Office wall screens: aggregate dashboards only, no personal data, a long session.
    DISPLAY = "display"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)

ROLE_LABELS: dict[str, str] = {
    Role.EXECUTIVE: N_("Executive"),
    Role.CS_MANAGER: N_("CS manager"),
    Role.CS_LEAD: N_("CS lead"),
    Role.ONBOARDING: N_("Onboarding"),
    Role.ADMIN: N_("Administrator"),
    Role.DISPLAY: N_("Wall display"),
}


class Capability(StrEnum):
    """A kind of change (or of sensitive read) that only some roles may make."""

    # Health weights, alert rules, the holdout share, playbooks, the CPI table.
    EDIT_SETTINGS = "edit_settings"
    # The onboarding wizard, imports, verification, activation and discards.
    RUN_ONBOARDING = "run_onboarding"
    # Deciding an onboarding that went to manual review (never one's own: four eyes).
    REVIEW_ONBOARDING = "review_onboarding"
    # Triage actions on alerts: in one's own book (cs_manager) or anywhere (lead, admin).
    WORK_ALERTS = "work_alerts"
    # Seeing and acting on every tenant, and moving tenants or alerts between books.
    ALL_BOOKS = "all_books"
    # Each user's own notification channels.
    OWN_NOTIFICATIONS = "own_notifications"
    # Accounts, roles and books of business.
    MANAGE_USERS = "manage_users"
    # Owners' e-mail, phone and CUIT unmasked (each view is audited).
    VIEW_PERSONAL_DATA = "view_personal_data"
    # Tenant-level pages (Tenant 360, triage card): not for wall screens.
    VIEW_TENANTS = "view_tenants"
    # The audit log.
    READ_AUDIT_LOG = "read_audit_log"
    # Ops incidents (acknowledge, silence, resolve), maintenance windows, monitor overrides.
    OPERATE_SYSTEM = "operate_system"


_GRANTS: dict[Capability, frozenset[str]] = {
    Capability.EDIT_SETTINGS: frozenset({Role.ADMIN}),
    Capability.RUN_ONBOARDING: frozenset({Role.ONBOARDING, Role.ADMIN}),
    Capability.REVIEW_ONBOARDING: frozenset({Role.ONBOARDING, Role.ADMIN}),
    Capability.WORK_ALERTS: frozenset({Role.CS_MANAGER, Role.CS_LEAD, Role.ADMIN}),
    Capability.ALL_BOOKS: frozenset({Role.CS_LEAD, Role.ADMIN}),
    Capability.OWN_NOTIFICATIONS: frozenset({Role.CS_MANAGER, Role.CS_LEAD, Role.ADMIN}),
    Capability.MANAGE_USERS: frozenset({Role.ADMIN}),
    Capability.VIEW_PERSONAL_DATA: frozenset(
        {Role.CS_MANAGER, Role.CS_LEAD, Role.ONBOARDING, Role.ADMIN}
    ),
    Capability.VIEW_TENANTS: frozenset(
        {Role.EXECUTIVE, Role.CS_MANAGER, Role.CS_LEAD, Role.ONBOARDING, Role.ADMIN}
    ),
    Capability.READ_AUDIT_LOG: frozenset({Role.ADMIN}),
    Capability.OPERATE_SYSTEM: frozenset({Role.ADMIN}),
}

# What each capability lets a user do, for refusals ("your role cannot {what}").
CAPABILITY_LABELS: dict[Capability, str] = {
    Capability.EDIT_SETTINGS: N_("change the console's settings"),
    Capability.RUN_ONBOARDING: N_("run onboardings and imports"),
    Capability.REVIEW_ONBOARDING: N_("decide onboarding reviews"),
    Capability.WORK_ALERTS: N_("work churn alerts"),
    Capability.ALL_BOOKS: N_("act on tenants outside your book of business"),
    Capability.OWN_NOTIFICATIONS: N_("set triage notifications"),
    Capability.MANAGE_USERS: N_("manage console users"),
    Capability.VIEW_PERSONAL_DATA: N_("see owners' personal data"),
    Capability.VIEW_TENANTS: N_("open tenant pages"),
    Capability.READ_AUDIT_LOG: N_("read the audit log"),
    Capability.OPERATE_SYSTEM: N_("handle ops incidents, maintenance windows and monitors"),
}


def can(role: str | None, capability: Capability) -> bool:
    """Whether a user with ``role`` has ``capability`` (an unknown role has none)."""
    return role is not None and role in _GRANTS[capability]


def roles_with(capability: Capability) -> frozenset[str]:
    """The roles that have ``capability``."""
    return _GRANTS[capability]
