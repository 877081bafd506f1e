"""PLACEHOLDER (being built): Revenue & Subscriptions."""

import streamlit as st

from ui.i18n import _

st.title(_("Revenue & Subscriptions"))
st.info(_("This page is being built."), icon=":material/construction:")
