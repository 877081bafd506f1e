"""Every page of the console, declared once: app.py builds the navigation from it and the
smoke test renders each entry. No Streamlit import, so tests and tools can read it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.auth.roles import ROLES
from core.i18n import N_

# Titles and sections are English msgids (N_ marks them); the navigation translates them.
SECTIONS = (N_("Dashboards"), N_("Customer success"), N_("Onboarding"), N_("Operations"))
# Roles: executive, cs_manager, cs_lead, onboarding, admin, display (core.auth.roles).
# Who reads what (README "Roles"): the twelve dashboards are aggregates, for everyone;
# tenant-level pages are not for wall screens; writes are checked again by each command.
EVERYONE = ROLES
DASHBOARD_READERS = ROLES
CS_TEAM = ("cs_manager", "cs_lead", "admin")
TENANT_READERS = ("executive", "cs_manager", "cs_lead", "onboarding", "admin")
CS_READERS = ("executive", "cs_manager", "cs_lead", "admin")
ONBOARDING_TEAM = ("onboarding", "admin")
ADMINS = ("admin",)
# The System status page: executives read it; only admins act on incidents (commands check).
OPS_READERS = ("executive", "admin")


@dataclass(frozen=True)
class PageSpec:
    # Relative to the repository root, where app.py lives. Not under pages/: Streamlit
    # treats a pages/ folder beside the entry point as a legacy multipage app and, on a
    # fresh server, runs a deep-linked page file without app.py (no navigation, no
    # wide layout, no scheduler) until someone opens "/".
    path: str
    title: str
    icon: str  # a Material Symbols name, ":material/<name>:"
    section: str
    roles: tuple[str, ...]  # who may open the page (app.py enforces it; see EVERYONE...)
    url_path: str
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    # Dashboards: the executives' twelve.
    PageSpec(
        "app_pages/executive_overview.py",
        N_("Executive Overview"),
        ":material/monitoring:",
        "Dashboards",
        DASHBOARD_READERS,
        "executive-overview",
        default=True,
    ),
    PageSpec(
        "app_pages/revenue_subscriptions.py",
        N_("Revenue & Subscriptions"),
        ":material/payments:",
        "Dashboards",
        DASHBOARD_READERS,
        "revenue",
    ),
    PageSpec(
        "app_pages/bookings_demand.py",
        N_("Bookings & Demand"),
        ":material/event_available:",
        "Dashboards",
        DASHBOARD_READERS,
        "bookings",
    ),
    PageSpec(
        "app_pages/operational_efficiency.py",
        N_("Operational Efficiency"),
        ":material/speed:",
        "Dashboards",
        DASHBOARD_READERS,
        "efficiency",
    ),
    PageSpec(
        "app_pages/customer_health.py",
        N_("Customer Health"),
        ":material/favorite:",
        "Dashboards",
        DASHBOARD_READERS,
        "customer-health",
    ),
    PageSpec(
        "app_pages/churn_retention.py",
        N_("Churn & Retention"),
        ":material/group_remove:",
        "Dashboards",
        DASHBOARD_READERS,
        "churn",
    ),
    PageSpec(
        "app_pages/lifetime_value.py",
        N_("Lifetime Value"),
        ":material/savings:",
        "Dashboards",
        DASHBOARD_READERS,
        "lifetime-value",
    ),
    PageSpec(
        "app_pages/onboarding_funnel.py",
        N_("Onboarding Funnel"),
        ":material/filter_alt:",
        "Dashboards",
        DASHBOARD_READERS,
        "onboarding-funnel",
    ),
    PageSpec(
        "app_pages/financial_operations.py",
        N_("Financial Operations"),
        ":material/account_balance:",
        "Dashboards",
        DASHBOARD_READERS,
        "finance",
    ),
    PageSpec(
        "app_pages/partnerships.py",
        N_("Partnerships & Attribution"),
        ":material/handshake:",
        "Dashboards",
        DASHBOARD_READERS,
        "partners",
    ),
    PageSpec(
        "app_pages/regional_performance.py",
        N_("Regional Performance"),
        ":material/map:",
        "Dashboards",
        DASHBOARD_READERS,
        "regions",
    ),
    PageSpec(
        "app_pages/platform_operations.py",
        N_("Platform Operations"),
        ":material/dns:",
        "Dashboards",
        DASHBOARD_READERS,
        "platform",
    ),
    # Customer success.
    PageSpec(
        "app_pages/triage.py",
        N_("Triage queue"),
        ":material/notification_important:",
        "Customer success",
        CS_TEAM,
        "triage",
    ),
    PageSpec(
        "app_pages/tenant_directory.py",
        N_("Tenant directory"),
        ":material/storefront:",
        "Customer success",
        TENANT_READERS,
        "tenants",
    ),
    PageSpec(
        "app_pages/tenant_360.py",
        N_("Tenant 360"),
        ":material/person_search:",
        "Customer success",
        TENANT_READERS,
        "tenant-360",
    ),
    PageSpec(
        "app_pages/intervention_outcomes.py",
        N_("Intervention outcomes"),
        ":material/science:",
        "Customer success",
        CS_READERS,
        "intervention-outcomes",
    ),
    PageSpec(
        "app_pages/model_card.py",
        N_("Model card"),
        ":material/model_training:",
        "Customer success",
        CS_READERS,
        "model-card",
    ),
    # Onboarding.
    PageSpec(
        "app_pages/onboarding_wizard.py",
        N_("Onboarding wizard"),
        ":material/rocket_launch:",
        "Onboarding",
        ONBOARDING_TEAM,
        "onboarding-wizard",
    ),
    PageSpec(
        "app_pages/onboarding_sessions.py",
        N_("Onboarding sessions"),
        ":material/list_alt:",
        "Onboarding",
        ONBOARDING_TEAM,
        "onboarding-sessions",
    ),
    # Operations.
    PageSpec(
        "app_pages/system_status.py",
        N_("System status"),
        ":material/monitor_heart:",
        "Operations",
        OPS_READERS,
        "status",
    ),
    PageSpec(
        "app_pages/refresh_jobs.py",
        N_("Refresh & jobs"),
        ":material/sync:",
        "Operations",
        ADMINS,
        "refresh-jobs",
    ),
    PageSpec(
        "app_pages/cpi_table.py",
        N_("Inflation (CPI) table"),
        ":material/percent:",
        "Operations",
        ADMINS,
        "cpi",
    ),
    PageSpec(
        "app_pages/users.py",
        N_("Users"),
        ":material/manage_accounts:",
        "Operations",
        ADMINS,
        "users",
    ),
    PageSpec(
        "app_pages/api_tokens.py",
        N_("API tokens"),
        ":material/key:",
        "Operations",
        ADMINS,
        "api-tokens",
    ),
    PageSpec(
        "app_pages/audit_log.py",
        N_("Audit log"),
        ":material/history:",
        "Operations",
        ADMINS,
        "audit-log",
    ),
    PageSpec(
        "app_pages/system_hardening.py",
        N_("Hardening audit"),
        ":material/security:",
        "Operations",
        ADMINS,
        "hardening",
    ),
    PageSpec(
        "app_pages/my_account.py",
        N_("My account"),
        ":material/account_circle:",
        "Operations",
        EVERYONE,
        "my-account",
    ),
    PageSpec(
        "app_pages/definitions.py",
        N_("Metric definitions"),
        ":material/menu_book:",
        "Operations",
        EVERYONE,
        "definitions",
    ),
)


def pages_by_section(pages: tuple[PageSpec, ...] = PAGES) -> dict[str, list[PageSpec]]:
    """Pages grouped by section, sections in their fixed order, empty sections left out."""
    grouped: dict[str, list[PageSpec]] = {section: [] for section in SECTIONS}
    for page in pages:
        if page.section not in grouped:
            raise ValueError(f"page {page.path} names an unknown section {page.section!r}")
        grouped[page.section].append(page)
    return {section: entries for section, entries in grouped.items() if entries}
