"""Domain errors shown on pages: the msgid translated into the session's language."""

from __future__ import annotations

import streamlit as st

from core.errors import DomainError
from core.security import markdown_safe
from ui.i18n import _


def error_text(error: DomainError) -> str:
    """``_(msgid).format(**params)`` in the user's language, ready for markdown.

    Messages quote what the user typed (a name, a URL), so the text is escaped: every
    st.error, st.warning or caption shows it as text, never as a link or markup.
    """
    return markdown_safe(error.translated(_))


def show_error(error: DomainError) -> None:
    st.error(error_text(error))
