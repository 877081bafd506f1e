"""The status line: its text in both languages, the spans the browser ticks, the cadences."""

from __future__ import annotations

import re
from datetime import datetime

from streamlit.testing.v1 import AppTest

from core.queries.freshness import Cadence
from page_registry import PAGES
from tests.pages.helpers import ROOT, page_env
from ui.status_line import TICKER_SCRIPT, cadence_text, status_line

AS_OF = datetime(2026, 12, 7, 14, 3, 12)
AT = datetime(2026, 12, 7, 14, 3, 24)  # 12 s later


def plain(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


def test_the_plain_line_in_spanish_and_english() -> None:
    line = status_line(AS_OF, 42, at=AT, locale="es_AR", next_refresh_s=17.6)
    assert (
        line == "Datos al 14:03:12 (hace 12 s) · instantánea v42 · próxima actualización en ~18 s"
    )
    english = status_line(AS_OF, 42, at=AT, locale="en", next_refresh_s=17.6)
    assert english == "Data as of 14:03:12 (12 s ago) · snapshot v42 · next refresh in ~18 s"


def test_the_ticking_line_reads_the_same_and_carries_what_the_browser_needs() -> None:
    line = status_line(AS_OF, 42, at=AT, locale="es_AR", next_refresh_s=17.6, ticking=True)
    assert plain(line) == status_line(AS_OF, 42, at=AT, locale="es_AR", next_refresh_s=17.6)
    age, countdown = re.findall(r"<span [^>]*>", line)
    assert 'data-bp-tick="age"' in age and 'data-bp-base="12.0"' in age
    assert 'data-bp-template="hace {n}"' in age and 'role="timer"' in age
    assert 'data-bp-tick="countdown"' in countdown and 'data-bp-base="18.0"' in countdown
    # One stamp per render: the browser restarts its count when a rerun changes it.
    assert 'data-bp-stamp="42@2026-12-07T14:03:24"' in age
    english = status_line(AS_OF, 42, at=AT, locale="en", ticking=True)
    assert 'data-bp-template="{n} ago"' in english


def test_the_ticker_script_formats_like_the_server() -> None:
    # Same units as core.formatting.format_duration; installs itself once per tab.
    assert '[["d", 86400], ["h", 3600], ["min", 60]]' in TICKER_SCRIPT
    assert "window.__barberproTicker" in TICKER_SCRIPT
    assert TICKER_SCRIPT.startswith("<script>") and TICKER_SCRIPT.endswith("</script>")


def test_slow_figures_are_named_with_their_cadence() -> None:
    tables = Cadence("tables", 300.0, datetime(2026, 12, 7, 14, 0, 5))
    retrain = Cadence("churn_retrain", 86_400.0, datetime(2026, 12, 6, 3, 10))
    scores = Cadence("churn_score", 3_600.0)
    assert cadence_text(tables, at=AT, locale="es_AR") == (
        "algunas tablas se recalculan cada 5 min (última: 14:00:05)"
    )
    assert cadence_text(tables, at=AT, locale="en") == (
        "some tables recomputed every 5 min (last 14:00:05)"
    )
    assert cadence_text(retrain, at=AT, locale="en") == (
        "churn model retrained daily (last 2026-12-06 03:10:00)"
    )
    assert cadence_text(scores, at=AT, locale="es_AR") == "puntajes de churn cada hora"
    line = status_line(
        AS_OF, 42, at=AT, locale="en", detail_as_of=datetime(2026, 12, 7, 14, 2), cadences=[tables]
    )
    assert line == (
        "Data as of 14:03:12 (12 s ago) · snapshot v42 · detail tables 14:02:00 · "
        "some tables recomputed every 5 min (last 14:00:05)"
    )


def test_a_page_names_its_slower_figures_on_its_status_line(monkeypatch, full_console_url):  # type: ignore[no-untyped-def]
    page_env(monkeypatch, full_console_url)
    monkeypatch.delenv("BARBERPRO_REFRESH_INTERVAL_S", raising=False)
    churn = next(spec for spec in PAGES if spec.url_path == "churn")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params["lang"] = "en"
    app.run()
    app.switch_page(churn.path)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    lines = [c.value for c in app.caption if c.value.startswith(":material/schedule:")]
    assert len(lines) == 1, lines
    line = lines[0]
    # Its churn scores: the daily retrain's model, scored hourly; its revenue and churn
    # tables come from providers recomputed at BARBERPRO_DETAIL_REFRESH_S (default 300 s).
    assert "churn model retrained daily" in line and "churn scores hourly" in line
    assert "some tables recomputed every 5 min (last " in line
    assert 'data-bp-tick="age"' in line
