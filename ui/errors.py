"""Domain errors shown on pages: the msgid translated into the session's language."""

from __future__ import annotations

import streamlit as st

from core.errors import DomainError
from core.security import markdown_safe
from ui.i18n import _


def error_text(error: DomainError) -> str:
    """``_(msgid).format(**params)``: the error in the user's language."""
    return error.translated(_)


def show_error(error: DomainError) -> None:
    # Messages quote what the user typed: shown as text, never as markdown.
    st.error(markdown_safe(error_text(error)))
