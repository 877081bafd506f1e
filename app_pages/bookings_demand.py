"""PLACEHOLDER (being built): Bookings & Demand."""

import streamlit as st

from ui.i18n import _

st.title(_("Bookings & Demand"))
st.info(_("This page is being built."), icon=":material/construction:")
