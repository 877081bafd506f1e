"""The registry metrics that need stored scores, alerts or job runs, recomputed from rows.

A copy of the generated console (tests/generated_console.py) gets what the small build
lacks: health scores stored for today and a week earlier, one run of the alert rules at
the console's noon, and two recorded metrics refreshes. The Customer Health, Tenant 360,
Triage and Platform Operations builders then run on it with the kit's tiles watched
(tests/core/metrics/page_values.py), and each figure is computed again with plain pandas
from the stored rows (console_health_scores, cs_alerts, console_job_runs) and the raw
platform tables (subscriptions for the MRR an alert carries).
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db import create_engine_for
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.metrics.frames.health import compute as health_frames
from core.models.health.score import health_scores_for_days, store_scores
from core.queries.platform_operations import job_summary, refresh_runs
from core.queries.tenant_360 import tenant_360
from core.workflows.alerts.engine import run_alert_rules
from core.workflows.alerts.queries import alert_queue, tenant_card
from dashboards import customer_health as health
from dashboards import platform_operations as ops
from dashboards import tenant_360 as t360
from dashboards import triage
from dashboards.filters import Filters
from tests.core.metrics.page_values import Captured, capture, parse_shown
from tests.core.metrics.recompute_raw import read_tables
from tests.dashboards.test_revenue_subscriptions import generated_url
from tests.generated_console import TODAY

AT = datetime.combine(TODAY, time(12, 0))
DAYS = (TODAY - timedelta(days=7), TODAY)


def _copy(url: str) -> str:
    """A consistent copy of the shared build (it must not change under other tests)."""
    path = Path(tempfile.mkdtemp(prefix="recompute_scored_")) / "console.db"
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    target = sqlite3.connect(path)
    with target:
        source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}"


@lru_cache(maxsize=1)
def scored() -> tuple[Captured, dict[str, pd.DataFrame]]:
    engine = create_engine_for(_copy(generated_url()))
    try:
        with Session(engine) as session:
            scores = health_scores_for_days(session, list(DAYS))
        with Session(engine) as session, session.begin():
            for day in DAYS:
                store_scores(session=session, day=day, scores=scores[day])
        with Session(engine) as session, session.begin():
            run_alert_rules(session=session, at=AT, rng=random.Random(5))
        refresh = next(spec for spec in JOBS if spec.job_id == "metrics_refresh")
        for _ in range(2):
            run_recorded(engine, refresh, "tests", get_settings())
        pages: Captured = {}
        with Session(engine) as session:
            frames = health_frames(session, TODAY)
            tenants = pd.read_sql(
                "SELECT id AS tenant_id, trade_name, tier, vertical, province, partner_id "
                "FROM tenants",
                session.connection(),
            )
            queue = alert_queue(session=session)
            top = int(queue["alert_id"].iloc[0])
            card = tenant_card(session=session, alert_id=top, at=AT)
            runs = refresh_runs(session=session)
            summary = job_summary(session=session, since=datetime.min)
            opened = int(queue["tenant_id"].iloc[0])
            data = tenant_360(session=session, tenant_id=opened, today=TODAY)
        assert card is not None
        builds: dict[str, Callable[[], Any]] = {
            "health": lambda: health.build_view(
                frames["health_latest"],
                frames["health_history"],
                frames["health_weights"],
                tenants,
                Filters(),
                locale="en",
            ),
            "triage": lambda: triage.queue_tiles(triage.summarize(queue), locale="en"),
            "card": lambda: triage.card_tiles(card.alert, locale="en"),
            "operations": lambda: ops.refresh_tiles(runs, summary, None, locale="en"),
            "tenant_360": lambda: t360.signal_tiles(
                data.signals, data.health, data.churn, locale="en"
            ),
        }
        for page, build in builds.items():
            with capture() as seen:
                build()
            pages[page] = dict(seen)
        pages["card"]["alert_id"] = float(top)
        pages["tenant_360"]["tenant_id"] = float(opened)
        tables = read_tables(engine)
        with engine.connect() as connection:
            for name in ("console_health_scores", "cs_alerts"):
                tables[name] = pd.read_sql(f"SELECT * FROM {name}", connection)
    finally:
        engine.dispose()
    tables["console_health_scores"]["day"] = pd.to_datetime(tables["console_health_scores"]["day"])
    return pages, tables


# ------------------------------------------------------------------------------ health
def latest_scores(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each scored tenant's newest stored score."""
    rows = tables["console_health_scores"].dropna(subset=["score"])
    return rows.sort_values("day").groupby("tenant_id").tail(1)


def band_count(band: str) -> Callable[[dict[str, pd.DataFrame]], float]:
    return lambda tables: float((latest_scores(tables)["band"] == band).sum())


def tenant_score(tables: dict[str, pd.DataFrame], tenant_id: int) -> float:
    latest = latest_scores(tables)
    return round(float(latest.loc[latest["tenant_id"] == tenant_id, "score"].iloc[0]))


# -------------------------------------------------------------------------------- alerts
def shown_queue(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The triage queue's default view: open and snoozed alerts, holdout left out."""
    alerts = tables["cs_alerts"]
    return alerts[alerts["status"].isin(["open", "snoozed"]) & (alerts["arm"] != "holdout")]


def alert_mrr(tables: dict[str, pd.DataFrame], alert: pd.Series) -> float:
    """The tenant's MRR from the raw subscriptions open when the alert fired."""
    subs = tables["subscriptions"]
    on = pd.Timestamp(alert["triggered_at"]).normalize()
    open_ = (
        (subs["tenant_id"] == alert["tenant_id"])
        & (subs["started_on"] <= on)
        & (subs["ended_on"].isna() | (subs["ended_on"] > on))
    )
    return float(subs.loc[open_, "mrr_ars"].sum())


def the_alert(pages: Captured, tables: dict[str, pd.DataFrame]) -> pd.Series:
    alerts = tables["cs_alerts"]
    return alerts[alerts["id"] == int(pages["card"]["alert_id"])].iloc[0]  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ job runs
def refresh_seconds(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    runs = tables["console_job_runs"]
    ok = runs[(runs["job_id"] == "metrics_refresh") & (runs["status"] == "success")]
    return ok.assign(seconds=(ok["finished_at"] - ok["started_at"]).dt.total_seconds())


Recompute = Callable[[Captured, dict[str, pd.DataFrame]], float | None]
# key -> (page whose tile shows it, recomputation from the stored and raw rows)
SCORED: dict[str, tuple[str, Recompute]] = {
    "green_tenants": ("health", lambda p, t: band_count("green")(t)),
    "yellow_tenants": ("health", lambda p, t: band_count("yellow")(t)),
    "red_tenants": ("health", lambda p, t: band_count("red")(t)),
    "mean_health_score": ("health", lambda p, t: float(latest_scores(t)["score"].mean())),
    "health_score": (
        "tenant_360",
        lambda p, t: tenant_score(t, int(p["tenant_360"]["tenant_id"])),  # type: ignore[arg-type]
    ),
    "open_alerts": ("triage", lambda p, t: float((shown_queue(t)["status"] == "open").sum())),
    "snoozed_alerts": ("triage", lambda p, t: float((shown_queue(t)["status"] == "snoozed").sum())),
    "escalated_alerts": (
        "triage",
        lambda p, t: float(shown_queue(t)["escalated_at"].notna().sum()),
    ),
    # MRR at risk × churn probability, the MRR from the raw subscriptions
    "priority_in_queue": (
        "triage",
        lambda p, t: sum(
            alert_mrr(t, row) * row["churn_probability"] for _, row in shown_queue(t).iterrows()
        ),
    ),
    "priority": (
        "card",
        lambda p, t: alert_mrr(t, the_alert(p, t)) * the_alert(p, t)["churn_probability"],
    ),
    "alert_mrr_at_risk": ("card", lambda p, t: alert_mrr(t, the_alert(p, t))),
    # one run of the rules: every open alert has fired once
    "signal_count": ("card", lambda p, t: 1.0),
    "refresh_duration": ("operations", lambda p, t: float(refresh_seconds(t)["seconds"].median())),
    "rows_touched": (
        "operations",
        lambda p, t: float(refresh_seconds(t).sort_values("started_at")["rows_touched"].iloc[-1]),
    ),
    "job_failures": (
        "operations",
        lambda p, t: float((t["console_job_runs"]["status"] == "failed").sum()),
    ),
}
# Shown as text rounded to the unit a person reads (whole pesos, a whole score, a
# percentage to one decimal): compared at that precision.
SHOWN_PRECISION = {"priority": 0.5, "alert_mrr_at_risk": 0.5, "priority_in_queue": 0.5}


@pytest.mark.parametrize("key", sorted(SCORED))
def test_the_page_shows_the_recomputed_value(key: str) -> None:
    pages, tables = scored()
    page, recompute = SCORED[key]
    expected = recompute(pages, tables)
    value = pages[page][key]
    actual = parse_shown(value) if isinstance(value, str) else value
    assert expected is not None and actual is not None, (key, actual, expected)
    tolerance = SHOWN_PRECISION.get(key, 0.5 if isinstance(value, str) else 1e-9)
    assert actual == pytest.approx(expected, abs=tolerance, rel=1e-9), key


def test_the_scored_console_has_something_to_count() -> None:
    """Each figure above is over real rows, not zero over zero."""
    _pages, tables = scored()
    assert len(latest_scores(tables)) >= 15
    assert len(shown_queue(tables)) >= 3
    assert len(refresh_seconds(tables)) == 2
