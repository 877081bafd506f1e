"""The pages' status line: "Data as of 14:03:12 (12 s ago) · snapshot v42 · ...".

The page reruns once per refresh interval (30 s), so an age written by the server would
stand still between reruns ("12 s ago" for half a minute). The line therefore carries
its age and the time to the next refresh as small ``<span>`` elements with the server's
figures in ``data-`` attributes, and one script (:data:`TICKER_SCRIPT`, installed once
per browser tab by :func:`install_ticker`) advances them every half second from the
moment the browser first saw each one. Without JavaScript the line reads as the server
wrote it. Only our own formatted figures and translations go into the HTML, escaped.

Figures that come at a slower cadence than the refresh (detail tables kept between
recomputations, model jobs) are named after the line with their cadence
(:func:`cadence_text`, ``core.queries.freshness``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

import streamlit as st

from core import formatting as fmt
from core.i18n import translator
from core.queries.freshness import Cadence

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S

# Advances every [data-bp-tick] span: "age" spans rewrite their template with the age
# (the server's age plus the time since the browser first saw this render of the span),
# "countdown" spans count their seconds down to 0. Units as core.formatting's
# format_duration: the largest whole unit of d, h, min, s.
TICKER_SCRIPT = """<script>
(function () {
  if (window.__barberproTicker) { return; }
  function duration(seconds) {
    var whole = Math.max(0, Math.floor(seconds));
    var units = [["d", 86400], ["h", 3600], ["min", 60]];
    for (var i = 0; i < units.length; i++) {
      if (whole >= units[i][1]) { return Math.floor(whole / units[i][1]) + " " + units[i][0]; }
    }
    return whole + " s";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-bp-tick]").forEach(function (el) {
      var stamp = el.getAttribute("data-bp-stamp");
      if (el.__bpStamp !== stamp) { el.__bpStamp = stamp; el.__bpSeen = now; }
      var passed = (now - el.__bpSeen) / 1000;
      var base = parseFloat(el.getAttribute("data-bp-base"));
      if (isNaN(base)) { return; }
      if (el.getAttribute("data-bp-tick") === "age") {
        var template = el.getAttribute("data-bp-template") || "{n}";
        el.textContent = template.replace("{n}", duration(base + passed));
      } else {
        el.textContent = String(Math.max(0, Math.round(base - passed)));
      }
    });
  }
  window.__barberproTicker = window.setInterval(tick, 500);
})();
</script>"""


def install_ticker() -> None:
    """Put the ticking script on the page (it installs itself once per browser tab)."""
    st.html(TICKER_SCRIPT, unsafe_allow_javascript=True)


def _age_template(locale: str) -> str:
    # "hace {n}" / "{n} ago": the language's own phrase around a duration.
    zero = fmt.format_duration(0, locale=locale)
    return fmt.format_age(0, locale=locale).replace(zero, "{n}", 1)


def _ticking(kind: str, base_s: float, text: str, *, stamp: str, template: str = "") -> str:
    attributes = {
        "data-bp-tick": kind,
        "data-bp-base": f"{base_s:.1f}",
        "data-bp-stamp": stamp,
    }
    if template:
        attributes["data-bp-template"] = template
    if kind == "age":
        attributes["role"] = "timer"  # implicitly aria-live="off": read on demand, not announced
    rendered = " ".join(f'{key}="{html.escape(value)}"' for key, value in attributes.items())
    return f"<span {rendered}>{html.escape(text)}</span>"


def when_text(moment: datetime, *, at: datetime, locale: str) -> str:
    """A time of day, with the date when it is not ``at``'s day."""
    when = fmt.format_time(moment, locale=locale)
    if moment.date() != at.date():
        when = f"{fmt.format_date(moment, locale=locale)} {when}"
    return when


def cadence_text(cadence: Cadence, *, at: datetime, locale: str) -> str:
    """``tables recomputed every 5 min (last 14:03:10)``, ``churn model retrained daily``."""
    _ = translator(locale)
    if cadence.cadence_s == DAY_S:
        every = _("daily")
    elif cadence.cadence_s == HOUR_S:
        every = _("hourly")
    else:
        every = _("every {duration}").format(
            duration=fmt.format_duration(cadence.cadence_s, locale=locale)
        )
    if cadence.source == "tables":
        text = _("some tables recomputed {every}").format(every=every)
    elif cadence.source == "churn_retrain":
        text = _("churn model retrained {every}").format(every=every)
    elif cadence.source == "churn_score":
        text = _("churn scores {every}").format(every=every)
    elif cadence.source == "health_scores":
        text = _("health scores {every}").format(every=every)
    else:
        text = _("{job} {every}").format(job=cadence.source, every=every)
    if cadence.computed_at is not None:
        text += " " + _("(last {when})").format(
            when=when_text(cadence.computed_at, at=at, locale=locale)
        )
    return text


def status_line(
    as_of: datetime,
    version: int,
    *,
    at: datetime,
    locale: str,
    detail_as_of: datetime | None = None,
    next_refresh_s: float | None = None,
    cadences: Sequence[Cadence] = (),
    ticking: bool = False,
) -> str:
    """``Data as of 14:03:12 (12 s ago) · snapshot v42``; the day too when not today.

    Adds when the detail tables were computed, the figures at a slower cadence, and when
    the next refresh is expected. With ``ticking`` the age and the seconds to the next
    refresh are spans the browser advances (:data:`TICKER_SCRIPT`); the line is then
    Markdown with HTML (``st.caption(..., unsafe_allow_html=True)``).
    """
    _ = translator(locale)
    age_s = max(0.0, (at - as_of).total_seconds())
    age = fmt.format_age(age_s, locale=locale)
    stamp = f"{version}@{at.isoformat()}"
    if ticking:
        age = _ticking("age", age_s, age, stamp=stamp, template=_age_template(locale))
    line = _("Data as of {when} ({age}) · snapshot v{version}").format(
        when=when_text(as_of, at=at, locale=locale), age=age, version=version
    )
    if detail_as_of is not None:
        line += " · " + _("detail tables {when}").format(
            when=when_text(detail_as_of, at=at, locale=locale)
        )
    for cadence in cadences:
        line += " · " + cadence_text(cadence, at=at, locale=locale)
    if next_refresh_s is not None:
        seconds = max(0, round(next_refresh_s))
        shown = _ticking("countdown", seconds, str(seconds), stamp=stamp) if ticking else seconds
        line += " · " + _("next refresh in ~{seconds} s").format(seconds=shown)
    return line
