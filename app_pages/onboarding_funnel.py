"""PLACEHOLDER (being built): Onboarding Funnel."""

import streamlit as st

from ui.i18n import _

st.title(_("Onboarding Funnel"))
st.info(_("This page is being built."), icon=":material/construction:")
