"""PLACEHOLDER (being built): Operational Efficiency."""

import streamlit as st

from ui.i18n import _

st.title(_("Operational Efficiency"))
st.info(_("This page is being built."), icon=":material/construction:")
