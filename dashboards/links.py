"""Links between pages: every tenant name in a table opens its Tenant 360 view."""

from __future__ import annotations

import pandas as pd

TENANT_360_PATH = "/tenant-360"
# st.column_config.LinkColumn(display_text=TENANT_LINK_TEXT) shows the name, not the URL.
TENANT_LINK_TEXT = r"&name=(.*)$"


def tenant_url(tenant_id: int, name: str, *, locale: str | None = None) -> str:
    """The Tenant 360 link of one tenant; the name rides along only for display."""
    language = f"&lang={locale}" if locale else ""
    shown = str(name).replace("&", "y").replace("#", "")
    return f"{TENANT_360_PATH}?tenant={int(tenant_id)}{language}&name={shown}"


def with_tenant_links(
    frame: pd.DataFrame,
    *,
    id_column: str = "tenant_id",
    name_column: str = "trade_name",
    link_column: str = "tenant",
    locale: str | None = None,
) -> pd.DataFrame:
    """``frame`` with a ``link_column`` of Tenant 360 URLs built from id and name."""
    links = [
        tenant_url(tenant_id, name, locale=locale)
        for tenant_id, name in zip(frame[id_column], frame[name_column], strict=True)
    ]
    return frame.assign(**{link_column: links})
