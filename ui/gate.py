"""What a page run shows instead of the console: the way to sign in, or "no access".

The sign-in gate in front of the app (web/auth_routes.py) normally sends an anonymous
browser to the form before the app loads; this covers a session that ends while a tab
is open, and any run without a session at all. Nothing of the console renders here.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

import streamlit as st

from core.i18n import gettext
from page_registry import PageSpec
from ui.auth import sign_in_url
from ui.i18n import _, current_locale


def render_sign_in_prompt() -> None:
    """The page for a run with nobody signed in: a title, one sentence, one link."""
    st.title("BarberPro Command Center")
    st.info(_("Sign in to continue. Your session may have ended."), icon=":material/lock:")
    url = escape(sign_in_url(current_locale()), quote=True)
    label = escape(_("Sign in"))
    st.markdown(f'<a href="{url}" target="_self">{label}</a>', unsafe_allow_html=True)


def sso_requested() -> bool:
    """Whether this run is the /sso page with single sign-on configured."""
    try:
        path = urlsplit(st.context.url or "").path
        return path.rstrip("/").endswith("/sso") and "auth" in st.secrets
    except Exception:  # no request or no secrets file
        return False


def no_access_page(spec: PageSpec):
    """A stand-in for a page the signed-in role may not open: one sentence, nothing else."""

    def page() -> None:
        title = gettext(spec.title, current_locale())
        st.error(
            _("You don't have access to {page}. Ask an administrator if you need it.").format(
                page=title
            ),
            icon=":material/block:",
        )

    page.__name__ = f"no_access_{spec.url_path.replace('-', '_')}"
    return page
