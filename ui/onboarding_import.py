"""Enterprise import in the wizard: templates, uploads, and the row-by-row error report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import DomainError
from core.i18n import N_
from core.security.uploads import MAX_UPLOAD_MB
from core.workflows.onboarding.importer import (
    KINDS,
    MAX_UPLOAD_BYTES,
    ImportFiles,
    ImportRejectedError,
    RowError,
    template_csv,
    template_xlsx,
)
from core.workflows.onboarding.messages import message
from ui import db
from ui.auth import current_actor
from ui.errors import show_error
from ui.i18n import _
from ui.render import show_table

KIND_LABELS = {"locations": N_("Locations"), "services": N_("Services"), "staff": N_("Staff")}


def show_row_errors(errors: list[RowError]) -> None:
    """The report: one line per problem with file, row and column; nothing was saved."""
    st.error(
        _("Nothing was imported: {n} problem(s) to fix.").format(n=len(errors)),
        icon=":material/error:",
    )
    frame = pd.DataFrame(
        [
            {
                _("File"): _(KIND_LABELS.get(e.file, e.file)),
                _("Row"): e.row,
                _("Column"): e.column,
                _("Problem"): e.message,
            }
            for e in errors
        ]
    )
    show_table(frame, units={_("Row"): "id"}, width="stretch")


def import_panel(session_id: int, version: int, locale: str) -> None:
    """The upload panel; ``version`` is the session's version the wizard showed."""
    with st.expander(_("Import a chain from CSV or Excel"), icon=":material/upload_file:"):
        st.caption(
            _(
                "Upload locations, services and staff in the templates' columns. Every row is "
                "checked first; nothing is saved unless all rows are valid."
            )
        )
        buttons = st.columns(4)
        for column, kind in zip(buttons, KINDS, strict=False):
            column.download_button(
                _("{kind} template (CSV)").format(kind=_(KIND_LABELS[kind])),
                template_csv(kind),
                file_name=f"{kind}_template.csv",
                mime="text/csv",
                on_click="ignore",
                key=f"template_{kind}",
            )
        buttons[3].download_button(
            _("All templates (Excel)"),
            template_xlsx(),
            file_name="onboarding_templates.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            on_click="ignore",
            key="template_xlsx",
        )
        uploads = {
            kind: st.file_uploader(
                _(KIND_LABELS[kind]),
                type=["csv", "xlsx"],
                key=f"upload_{session_id}_{kind}",
                max_upload_size=MAX_UPLOAD_MB,
            )
            for kind in KINDS
        }
        if not st.button(_("Check and import"), icon=":material/upload:", key="run_import"):
            return
        chosen = {kind: up for kind, up in uploads.items() if up is not None}
        if not chosen:
            st.warning(_("Choose at least one file."))
            return
        too_big = [
            RowError(
                kind,
                None,
                "",
                message(
                    "import_too_large",
                    locale,
                    size=f"{up.size / 2**20:.1f}",
                    limit=MAX_UPLOAD_BYTES // 2**20,
                ),
            )
            for kind, up in chosen.items()
            if up.size > MAX_UPLOAD_BYTES  # rejected by size, never read
        ]
        if too_big:
            show_row_errors(too_big)
            return
        files = {kind: (up.name, up.getvalue()) for kind, up in chosen.items()}
        try:
            summary = db.execute(
                ImportFiles(session_id, files, locale=locale, expected_version=version),
                actor=current_actor(),
            )
        except ImportRejectedError as exc:
            show_row_errors(exc.errors)
            return
        except DomainError as exc:
            show_error(exc)
            return
        st.session_state["onboarding_notice"] = _(
            "Imported {locations} locations, {services} services and {staff} staff."
        ).format(locations=summary.locations, services=summary.services, staff=summary.staff)
        st.rerun()
