"""Every page of the console, declared once: app.py builds the navigation from it and the
smoke test renders each entry. No Streamlit import, so tests and tools can read it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = ("Dashboards", "Customer success", "Onboarding", "Operations")
ROLES = ("executive", "cs_manager", "onboarding", "admin")


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
    roles: tuple[str, ...]  # who the page is for; enforced once the console has logins
    url_path: str
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "app_pages/executive_overview.py",
        "Executive Overview",
        ":material/monitoring:",
        "Dashboards",
        ("executive", "cs_manager", "admin"),
        "executive-overview",
        default=True,
    ),
    PageSpec(
        "app_pages/tenant_directory.py",
        "Tenant directory",
        ":material/storefront:",
        "Customer success",
        ("cs_manager", "executive", "admin"),
        "tenants",
    ),
    PageSpec(
        "app_pages/onboarding_sessions.py",
        "Onboarding sessions",
        ":material/rocket_launch:",
        "Onboarding",
        ("onboarding", "admin"),
        "onboarding-sessions",
    ),
    PageSpec(
        "app_pages/refresh_jobs.py",
        "Refresh & jobs",
        ":material/sync:",
        "Operations",
        ("admin",),
        "refresh-jobs",
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
