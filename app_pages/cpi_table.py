"""PLACEHOLDER (being built): Inflation (CPI) table."""

import streamlit as st

from ui.i18n import _

st.title(_("Inflation (CPI) table"))
st.info(_("This page is being built."), icon=":material/construction:")
