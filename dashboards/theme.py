"""The one plotly look of the console: a template, a colour scheme and locale separators.

Text and grid colours are mid-tones on a transparent background, so charts stay readable
under both Streamlit's light and dark themes. Pages render figures with ``theme=None`` so
this template, not Streamlit's, decides how they look.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME = "barberpro"


class Colors:
    PRIMARY = "#2563eb"  # the headline series
    PRIMARY_LIGHT = "#93b4f5"  # bars behind a smoothed line
    SECONDARY = "#0f766e"
    ACCENT = "#d97706"
    FUTURE = "#a8b3c2"  # scheduled, not yet happened
    POSITIVE = "#16a34a"
    NEGATIVE = "#dc2626"
    TEXT = "#5b6472"
    GRID = "rgba(128, 128, 128, 0.18)"
    AXIS = "rgba(128, 128, 128, 0.45)"


COLORWAY = [Colors.PRIMARY, Colors.SECONDARY, Colors.ACCENT, "#7c3aed", "#db2777", "#64748b"]
# Streamlit's own web font, so chart text matches the page; the rest are fallbacks.
FONT_FAMILY = '"Source Sans", "Source Sans Pro", -apple-system, "Segoe UI", sans-serif'
# Plotly's ``separators``: decimal mark, then thousands mark.
_SEPARATORS = {"es": ",.", "en": ".,"}


def _axis() -> dict:  # type: ignore[type-arg]
    return {
        "showgrid": True,
        "gridcolor": Colors.GRID,
        "zeroline": False,
        "linecolor": Colors.AXIS,
        "ticks": "",
        "title": {"font": {"size": 12}},
        "automargin": True,
    }


TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_FAMILY, "size": 13, "color": Colors.TEXT},
        "colorway": COLORWAY,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "title": {"x": 0, "xanchor": "left", "font": {"size": 15}, "pad": {"l": 4}},
        "margin": {"l": 8, "r": 8, "t": 64, "b": 8},
        "height": 340,
        "hovermode": "x unified",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 12}},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "left",
            "x": 0.0,
            "bgcolor": "rgba(0,0,0,0)",
        },
        "xaxis": {**_axis(), "showgrid": False, "showline": True},
        "yaxis": _axis(),
        "bargap": 0.15,
    }
)
pio.templates[TEMPLATE_NAME] = TEMPLATE


def separators(locale: str) -> str:
    """Plotly's decimal and thousands marks for a console locale."""
    return _SEPARATORS.get(locale.replace("-", "_").split("_")[0], _SEPARATORS["en"])


def new_figure(*, title: str, locale: str) -> go.Figure:
    """An empty figure in the console's template, with the locale's number marks."""
    figure = go.Figure()
    figure.update_layout(template=TEMPLATE, title={"text": title}, separators=separators(locale))
    return figure


def empty_figure(*, title: str, locale: str, message: str) -> go.Figure:
    """A figure that says, in its middle, why there is nothing to draw."""
    figure = new_figure(title=title, locale=locale)
    figure.add_annotation(
        text=message,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 14, "color": Colors.TEXT},
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure
