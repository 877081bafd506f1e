"""PLACEHOLDER (being built): Onboarding wizard."""

import streamlit as st

from ui.i18n import _

st.title(_("Onboarding wizard"))
st.info(_("This page is being built."), icon=":material/construction:")
