"""PLACEHOLDER (being built): Customer Health."""

import streamlit as st

from ui.i18n import _

st.title(_("Customer Health"))
st.info(_("This page is being built."), icon=":material/construction:")
