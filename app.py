"""BarberPro Command Center: page config, the embedded scheduler, the sign-in gate, and
navigation for the signed-in role. Nothing else."""

import logging

import streamlit as st

import scheduler
from core.config import ConfigError, get_settings
from core.i18n import gettext
from core.jobs.control import set_default_statement_timeout
from page_registry import PAGES, pages_by_section
from ui.auth import signed_in_user
from ui.gate import no_access_page, render_sign_in_prompt, sso_requested
from ui.i18n import current_locale
from ui.render_timing import run_timed, start_flusher
from ui.sidebar import render_sidebar

st.set_page_config(
    page_title="BarberPro Command Center",
    page_icon="✂️",  # an emoji: a Material icon here makes browsers fetch a Google font
    layout="wide",
)

try:
    # Page queries get a short statement limit; the scheduler's jobs set their own.
    set_default_statement_timeout(get_settings().page_statement_timeout_s)
    start_flusher()  # page timings and the console's uptime probe, once a minute
    scheduler.ensure_embedded_scheduler()  # idempotent: starts once per process
except ConfigError:
    pass  # every page explains a bad setting itself
except Exception as exc:  # the pages still serve the last snapshot without a scheduler
    logging.getLogger(__name__).exception("embedded scheduler did not start")
    st.warning(f"The background refresh did not start: {exc}", icon=":material/sync_problem:")

locale = current_locale()
user = signed_in_user()
if user is None:
    if sso_requested():
        st.login()  # Streamlit's OpenID Connect round trip; web/sso.py takes it from there
    render_sign_in_prompt()  # nothing of the console before sign-in, whatever the URL
    st.stop()

# Every page stays routable, so a direct link to one the role may not open says so
# (a hidden stand-in) instead of silently landing on the default page.
allowed = [p for p in PAGES if user.role in p.roles]
default_path = next((p.path for p in allowed if p.default), allowed[0].path if allowed else None)
navigation = st.navigation(
    {
        gettext(section, locale): [
            st.Page(
                p.path,
                title=gettext(p.title, locale),
                icon=p.icon,
                url_path=p.url_path,
                default=p.path == default_path,
            )
            if user.role in p.roles
            else st.Page(
                no_access_page(p),
                title=gettext(p.title, locale),
                icon=p.icon,
                url_path=p.url_path,
                visibility="hidden",
            )
            for p in pages
        ]
        for section, pages in pages_by_section().items()
    },
    expanded=True,  # 21 pages: show them all rather than "View 11 more"
)
render_sidebar(user)
run_timed(navigation)  # the page, timed (core.ops.timings)
