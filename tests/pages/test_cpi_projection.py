"""Constant ARS past the CPI table: the page says which months are projected and how.

Bookings & Demand on the generated console (data to 2026-04-10), in ARS of 2026-01, once
with the CPI table the console seeded (it runs to the data's month: nothing to say) and
once with a copy whose CPI frame stops at 2026-02, so March and April are projected at
the compound average of the table's last three monthly changes (Dec, Jan, Feb).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.formatting import format_percent
from core.metrics.snapshots import DETAIL_KIND, latest_detail_version, load_snapshot, write_snapshot
from tests.dashboards.test_revenue_subscriptions import generated_url
from tests.pages.helpers import page_env, render_page

PAGE = "app_pages/bookings_demand.py"
QUERY = {"from": "2025-12-01", "to": "2026-04-10", "ars": "2026-01", "lang": "en"}
TABLE_ENDS = pd.Timestamp("2026-02-01")


def _projection_captions(app) -> list[str]:
    return [c.value for c in app.caption if "are projected at" in c.value]


def _truncated_copy(tmp_path: Path) -> tuple[str, float]:
    """A copy of the generated console whose newest detail snapshot has the CPI frame cut
    at ``TABLE_ENDS``; returns its URL and the rate a page must state, by hand."""
    source = generated_url().removeprefix("sqlite:///")
    target = tmp_path / "console.db"
    original, copy = sqlite3.connect(source), sqlite3.connect(target)
    original.backup(copy)  # a plain file copy could miss rows still in the WAL file
    original.close()
    copy.close()
    url = f"sqlite:///{target}"
    engine = create_engine_for(url)
    with Session(engine) as session, session.begin():
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
        assert detail is not None
        cpi = detail.frames["cpi_monthly"]
        cut = cpi[pd.to_datetime(cpi["month"]) <= TABLE_ENDS].reset_index(drop=True)
        write_snapshot(
            session=session,
            as_of=detail.as_of,
            kind=DETAIL_KIND,
            kpis=detail.kpis,
            frames={**detail.frames, "cpi_monthly": cut},
        )
    engine.dispose()
    levels = cut.set_index(pd.to_datetime(cut["month"]))["index_value"]
    # Feb over Nov: three monthly changes, compounded; their geometric mean.
    rate = (levels[TABLE_ENDS] / levels[pd.Timestamp("2025-11-01")]) ** (1 / 3) - 1
    return url, rate


def test_no_caption_when_the_table_covers_the_period(monkeypatch):
    page_env(monkeypatch, generated_url())
    app = render_page(PAGE, QUERY, timeout=120)
    assert app.get("plotly_chart")
    assert _projection_captions(app) == []


def test_caption_when_the_period_runs_past_the_table(monkeypatch, tmp_path):
    url, rate = _truncated_copy(tmp_path)
    page_env(monkeypatch, url)
    app = render_page(PAGE, QUERY, timeout=120)
    assert app.get("plotly_chart"), "the figures are still drawn, in constant ARS"
    assert 0.005 < rate < 0.10  # the bundled series' late-2025 inflation, about 2-3 %
    assert _projection_captions(app) == [
        f":material/trending_up: Months after 2026-02 are projected at "
        f"{format_percent(rate, locale='en')} a month (the average of the last 3 months of "
        "the CPI table)."
    ]
    # Nominal pesos need no CPI: no caption.
    nominal = render_page(PAGE, {**QUERY, "ars": ""}, timeout=120)
    assert _projection_captions(nominal) == []
