"""PLACEHOLDER (being built): Financial Operations."""

import streamlit as st

from ui.i18n import _

st.title(_("Financial Operations"))
st.info(_("This page is being built."), icon=":material/construction:")
