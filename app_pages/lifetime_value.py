"""PLACEHOLDER (being built): Lifetime Value."""

import streamlit as st

from ui.i18n import _

st.title(_("Lifetime Value"))
st.info(_("This page is being built."), icon=":material/construction:")
