"""PLACEHOLDER (being built): Churn & Retention."""

import streamlit as st

from ui.i18n import _

st.title(_("Churn & Retention"))
st.info(_("This page is being built."), icon=":material/construction:")
