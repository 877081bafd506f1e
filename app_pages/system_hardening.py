"""Hardening audit (administrators): the newest stored report, and a button to run it now."""

import pandas as pd
import streamlit as st

from core.config import get_settings
from core.errors import DomainError
from core.formatting import format_datetime
from core.ops.hardening import (
    RunHardeningAudit,
    evaluate,
    latest_report,
    reports_dir,
    store_report,
)
from core.ops.snapshot import collect_environment
from core.security import markdown_safe
from ui import db
from ui.auth import current_actor
from ui.errors import show_error
from ui.i18n import _, current_locale
from ui.render import show_table

st.title(_("Hardening audit"))
st.caption(
    _(
        "Checks the running configuration against production: each item passes, warns or "
        "fails, with what was observed and how to fix it. Also from the shell: "
        "`python -m core.ops harden`."
    )
)
settings = get_settings()
folder = reports_dir(settings)

if st.button(_("Run the audit now"), type="primary"):
    # The server's own options, flags included, rather than what config.toml says.
    options = {
        "client.showErrorDetails": st.get_option("client.showErrorDetails"),
        "server.maxUploadSize": st.get_option("server.maxUploadSize"),
    }
    sso = "auth" in st.secrets if st.secrets.load_if_toml_exists() else False
    with st.spinner(_("Checking the configuration...")):
        report = evaluate(collect_environment(settings, options=options, sso_configured=sso))
    try:
        stamped = db.execute(RunHardeningAudit(report), actor=current_actor())
    except DomainError as error:
        show_error(error)
    else:
        store_report(stamped, folder)
        st.success(_("The audit ran and its report is stored."))

report = latest_report(folder)
if report is None:
    st.info(_("No audit has run yet: run it now, or `python -m core.ops harden` on the server."))
    st.stop()

STATUS = {"pass": _("Pass"), "warn": _("Warning"), "fail": _("Fail")}
counts = report.counts()
st.caption(
    _("Ran {when} by {who}: {passed} passed, {warned} warned, {failed} failed.").format(
        when=format_datetime(report.ran_at, locale=current_locale()),
        who=markdown_safe(report.ran_by) if report.ran_by else _("the command line"),
        passed=counts["pass"],
        warned=counts["warn"],
        failed=counts["fail"],
    )
)
rows = pd.DataFrame(
    [
        {
            "status": STATUS[item.status],
            "title": _(item.title),
            "evidence": item.evidence_text(_),
            "fix": "" if item.status == "pass" else item.fix_text(_),
            "weight": item.weight,
        }
        for item in report.items
    ]
)
show_table(
    rows,
    column_config={
        "status": st.column_config.TextColumn(_("Status"), width="small"),
        "title": st.column_config.TextColumn(_("Item"), width="medium"),
        "evidence": st.column_config.TextColumn(_("Observed"), width="large"),
        "fix": st.column_config.TextColumn(_("Fix"), width="large"),
        "weight": st.column_config.NumberColumn(_("Weight"), format="%d", width="small"),
    },
)
