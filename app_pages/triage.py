"""PLACEHOLDER (being built): Triage queue."""

import streamlit as st

from ui.i18n import _

st.title(_("Triage queue"))
st.info(_("This page is being built."), icon=":material/construction:")
