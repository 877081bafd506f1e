"""Inflation (CPI) table: the monthly index behind constant ARS; admins edit or upload it."""

import pandas as pd
import streamlit as st

from core import formatting as fmt
from core.db import DATABASE_ERRORS
from core.errors import DomainError
from core.inflation.table import (
    BASE_MONTH,
    CpiError,
    edits_to_update,
    load_cpi,
    parse_cpi_csv,
    upload_to_update,
)
from dashboards import cpi_table
from ui import db
from ui.auth import current_actor
from ui.errors import error_text
from ui.i18n import _, current_locale
from ui.incidents import show_database_error
from ui.live import read_settings
from ui.render import show_figure, show_table

st.title(_("Inflation (CPI) table"))
st.caption(
    _(
        "A price index per month (end of month, {base} = 100, INDEC's base). Every dashboard's "
        "“Money in” option restates pesos with it; they pick up changes at their next detail "
        "refresh (a few minutes)."
    ).format(base=BASE_MONTH.strftime("%m/%Y"))
)
locale = current_locale()
settings = read_settings()


def _load() -> pd.DataFrame | None:
    try:
        with db.session() as session:
            return load_cpi(session=session)
    except DATABASE_ERRORS as exc:
        show_database_error(exc, where="cpi table")
        return None


def _save(update) -> None:
    try:
        changed = db.execute(update, actor=current_actor())
    except DomainError as exc:
        st.error(error_text(exc), icon=":material/error:")
        return
    except DATABASE_ERRORS as exc:
        show_database_error(exc, where="saving the cpi table")
        return
    st.session_state["cpi_saved"] = changed
    st.session_state.pop("cpi_editor", None)
    st.rerun()


table = _load() if settings is not None else None
if table is not None:
    saved = st.session_state.pop("cpi_saved", None)
    if saved is not None:
        st.success(
            _("Saved {n} month(s); the change is in the audit log.").format(n=saved),
            icon=":material/check_circle:",
        )
    approximate = int(table["approximate"].astype(bool).sum()) if not table.empty else 0
    if approximate:
        st.info(
            _(
                "{n} of {total} months come from the bundled series and are APPROXIMATE "
                "(marked below). Upload the official INDEC index to replace them."
            ).format(n=approximate, total=len(table)),
            icon=":material/info:",
        )
    show_figure(cpi_table.cpi_figure(table, locale=locale))
    shown = cpi_table.with_monthly_change(table)
    edit_tab, upload_tab = st.tabs([_("Table (edit)"), _("Upload CSV")])
    with edit_tab:
        st.caption(
            _(
                "Edit an index value, add a month at the bottom (YYYY-MM) or delete rows, then "
                "save. Edited months stop being approximate."
            )
        )
        editable = shown[["month_key", "index_value", "monthly_pct", "source", "approximate"]]
        edited = st.data_editor(
            editable.rename(columns={"month_key": "month"}),
            key="cpi_editor",
            num_rows="dynamic",
            hide_index=True,
            disabled=["monthly_pct", "source", "approximate"],
            column_config={
                "month": st.column_config.TextColumn(_("Month"), help="YYYY-MM", required=True),
                "index_value": st.column_config.NumberColumn(
                    _("Index"), min_value=0.0, format="%.4f", required=True
                ),
                "monthly_pct": st.column_config.NumberColumn(_("Monthly %"), format="%.1f"),
                "source": _("Source"),
                "approximate": st.column_config.CheckboxColumn(_("Approximate")),
            },
            height=420,
        )
        if st.button(_("Save changes"), type="primary", icon=":material/save:", key="cpi_save"):
            try:
                update = edits_to_update(table, edited)
            except CpiError as exc:
                st.error(error_text(exc), icon=":material/error:")
            else:
                _save(update)
    with upload_tab:
        st.markdown(
            _(
                "A CSV with a header and one row per month: `month,index_value` (index levels, "
                "e.g. INDEC's) or `month,monthly_pct` (percent change, chained from the month "
                "before the first one). Months as YYYY-MM; commas or semicolons. Nothing is "
                "saved unless every row is valid."
            )
        )
        upload = st.file_uploader(
            _("CPI file"), type=["csv", "txt"], key="cpi_upload", max_upload_size=1
        )
        if upload is not None:
            parsed = parse_cpi_csv(upload.getvalue(), locale=locale)
            if parsed.errors:
                st.error(
                    _("The file has {n} problem(s); nothing was saved.").format(
                        n=len(parsed.errors)
                    ),
                    icon=":material/error:",
                )
                show_table(
                    cpi_table.errors_frame(parsed.errors, locale=locale),
                    column_config={
                        "line": st.column_config.NumberColumn(_("Line"), format="%d"),
                        "column": _("Column"),
                        "problem": st.column_config.TextColumn(_("Problem"), width="large"),
                    },
                )
            else:
                for warning in parsed.warnings:
                    st.warning(warning, icon=":material/warning:")
                preview = pd.DataFrame(
                    {
                        "month": [m.strftime("%Y-%m") for m in parsed.values],
                        parsed.kind: list(parsed.values.values()),
                    }
                )
                st.caption(
                    _("{n} month(s) ready to save, {first} to {last}.").format(
                        n=len(preview), first=preview["month"].min(), last=preview["month"].max()
                    )
                )
                show_table(preview, height=min(300, 38 + 35 * len(preview)))
                if st.button(
                    _("Save upload"),
                    type="primary",
                    icon=":material/upload:",
                    key="cpi_upload_save",
                ):
                    _save(upload_to_update(parsed))
    if not table.empty:
        st.caption(
            _("{n} months, {first} to {last}; last change {when}.").format(
                n=len(table),
                first=pd.Timestamp(table["month"].min()).strftime("%m/%Y"),
                last=pd.Timestamp(table["month"].max()).strftime("%m/%Y"),
                when=fmt.format_datetime(
                    pd.Timestamp(table["updated_at"].max()).to_pydatetime(), locale=locale
                ),
            )
        )
