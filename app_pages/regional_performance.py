"""PLACEHOLDER (being built): Regional Performance."""

import streamlit as st

from ui.i18n import _

st.title(_("Regional Performance"))
st.info(_("This page is being built."), icon=":material/construction:")
