"""PLACEHOLDER (being built): Intervention outcomes."""

import streamlit as st

from ui.i18n import _

st.title(_("Intervention outcomes"))
st.info(_("This page is being built."), icon=":material/construction:")
