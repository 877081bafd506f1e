"""PLACEHOLDER (being built): Partnerships & Attribution."""

import streamlit as st

from ui.i18n import _

st.title(_("Partnerships & Attribution"))
st.info(_("This page is being built."), icon=":material/construction:")
