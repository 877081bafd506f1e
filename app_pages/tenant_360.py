"""PLACEHOLDER (being built): Tenant 360."""

import streamlit as st

from ui.i18n import _

st.title(_("Tenant 360"))
st.info(_("This page is being built."), icon=":material/construction:")
