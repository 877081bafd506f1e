"""How every page draws charts and tables, so they look the same everywhere."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from core.formatting import MISSING

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def show_figure(figure: go.Figure) -> None:
    """A plotly figure in the console's own template (dashboards/theme.py), not Streamlit's."""
    st.plotly_chart(figure, theme=None, config=PLOTLY_CONFIG)


def show_table(data: Any, **kwargs: Any) -> None:
    """A read-only table without the index, missing values shown as a dash."""
    st.dataframe(data, hide_index=True, placeholder=MISSING, **kwargs)
