"""PLACEHOLDER (being built): Model card."""

import streamlit as st

from ui.i18n import _

st.title(_("Model card"))
st.info(_("This page is being built."), icon=":material/construction:")
