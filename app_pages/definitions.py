"""Metric definitions: what every number on the console means, searchable."""

import streamlit as st

from dashboards import definitions
from ui.i18n import _, current_locale
from ui.render import show_table

st.title(_("Metric definitions"))
st.caption(
    _(
        "Every metric the console shows is defined once; each tile's help repeats its "
        "definition. Search by name, words of the definition or key."
    )
)
locale = current_locale()
query = st.text_input(_("Search"), key="definitions_query", placeholder=_("e.g. churn, MRR"))
table = definitions.definitions_table(query, locale=locale)
total = len(definitions.all_metrics())
st.caption(_("{shown} of {total} metrics").format(shown=len(table), total=total))
if table.empty:
    st.info(_("No metric matches your search."), icon=":material/search_off:")
else:
    show_table(
        table,
        column_config={
            "label": st.column_config.TextColumn(_("Metric"), width="medium"),
            "definition": st.column_config.TextColumn(_("Definition"), width="large"),
            "unit": st.column_config.TextColumn(_("Unit")),
            "better": st.column_config.TextColumn(_("Better when")),
            "grain": st.column_config.TextColumn(_("Window")),
            "key": st.column_config.TextColumn(_("Key")),
            "source": st.column_config.TextColumn(_("Computed in")),
        },
        # Tall enough to read a screenful; a cell shows its whole definition on hover.
        height=min(36 * (len(table) + 1) + 3, 720),
    )
