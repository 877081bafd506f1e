"""What the pages show for each registry metric, as numbers: every dashboard builder run
on one database, with the kit's tile constructors watched.

Each builder makes its tiles through ``dashboards.kit``'s ``metric_tile`` (or ``tile``,
for the headline strip); ``capture`` records the value each call receives, by metric key
and page, before it is formatted. Tiles given a pre-formatted string (a count, a money
amount, a percentage) are parsed back with ``parse_shown``: those values are compared at
the precision the page shows.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import dashboards.kit.tiles as kit_tiles
from core.metrics.registry import METRICS
from core.metrics.snapshots import latest_detail_version, latest_version, load_snapshot
from core.queries.onboarding import onboarding_sessions
from core.queries.tenant_360 import tenant_360
from dashboards import bookings_demand as bookings
from dashboards import churn_retention as churn
from dashboards import executive_overview as overview
from dashboards import financial_operations as finance
from dashboards import lifetime_value as ltv
from dashboards import onboarding_funnel as funnel
from dashboards import onboarding_sessions as onboarding
from dashboards import operational_efficiency as efficiency
from dashboards import partnerships as partners
from dashboards import regional_performance as regions
from dashboards import revenue_subscriptions as revenue
from dashboards import tenant_360 as t360
from dashboards.filters import Filters
from dashboards.kit import format_value

Shown = float | str | None
# The page a value was read from, then the metric key.
Captured = dict[str, dict[str, Shown]]

FINANCE_FRAMES = (
    "finance_invoices",
    "finance_payments_monthly",
    "finance_reconciliation_monthly",
    "finance_mismatches",
    "finance_coverage",
    "finance_jobs",
    "finance_job_runs_daily",
)


@contextmanager
def capture() -> Iterator[dict[str, Shown]]:
    """Record ``key -> value`` for every tile a builder makes while the block runs."""
    seen: dict[str, Shown] = {}
    original_metric_tile = kit_tiles.metric_tile
    original_tile = kit_tiles.tile

    def metric_tile(spec: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        seen[spec.key] = value
        return original_metric_tile(spec, value, *args, **kwargs)

    def tile(label: str, unit: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("key"):
            seen.setdefault(kwargs["key"], value)
        return original_tile(label, unit, value, *args, **kwargs)

    replaced: list[tuple[Any, str, Any]] = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("dashboards") or module is None:
            continue
        for attribute, wrapper in (("metric_tile", metric_tile), ("tile", tile)):
            current = getattr(module, attribute, None)
            if current is (original_metric_tile if attribute == "metric_tile" else original_tile):
                replaced.append((module, attribute, current))
                setattr(module, attribute, wrapper)
    try:
        yield seen
    finally:
        for module, attribute, current in replaced:
            setattr(module, attribute, current)


_NUMBER = re.compile(r"-?[\d,]*\.?\d+")


def parse_shown(text: str) -> float | None:
    """A value a tile shows in English (``$1,234.50``, ``12.5%``, ``42``, ``+3.1 p.p.``,
    ``71 · Green``) as a number; a percentage as a ratio."""
    text = text.split("·")[0].strip()
    match = _NUMBER.search(text.replace("\u2212", "-"))
    if match is None:
        return None
    value = float(match.group().replace(",", ""))
    if text.endswith("%") or "p.p." in text:
        value /= 100
    return value


def _run(pages: Captured, page: str, build: Callable[[], Any]) -> Any:
    with capture() as seen:
        result = build()
    pages[page] = dict(seen)
    return result


def page_values(
    engine: Engine, *, today: date, filters: Filters
) -> tuple[Captured, dict[str, Any]]:
    """Every dashboard builder of the generated console: its tiles' values by page, and
    the views whose figures and tables show a metric outside a tile."""
    at = datetime.combine(today, time(12, 0))
    with Session(engine) as session:
        snapshot = load_snapshot(session=session, version=latest_version(session=session))
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
    frames = {**snapshot.frames, **detail.frames}
    tenants = frames["tenants"]
    pages: Captured = {}
    views: dict[str, Any] = {}
    common = {"as_of": today, "locale": "en"}
    headline = _run(pages, "overview", lambda: overview.build_tiles(snapshot, locale="en"))
    # A headline tile is given the like-for-like pair (for its change) and then shows the
    # window's own figure, ``kpis[key]["value"]``: that figure, checked to be the text shown.
    for shown_tile in headline:
        value = snapshot.kpis[shown_tile.key]["value"]
        unit = METRICS[shown_tile.key].unit
        assert shown_tile.value == format_value(unit, value, locale="en"), shown_tile.key
        pages["overview"][shown_tile.key] = value
    revenue_view = _run(
        pages,
        "revenue",
        lambda: revenue.build_view(
            frames["revenue_tenant_months"], tenants, filters, **common, cpi=frames["cpi_monthly"]
        ),
    )
    views["revenue"] = revenue_view
    _run(
        pages,
        "churn",
        lambda: churn.build_view(
            frames["revenue_tenant_months"],
            tenants,
            frames["churn_tenant_reasons"],
            frames.get("churn_risk_scores", pd.DataFrame()),
            filters,
            **common,
            cpi=frames["cpi_monthly"],
        ),
    )
    _run(
        pages,
        "ltv",
        lambda: ltv.build_view(
            frames["ltv_segments"], frames["revenue_tenant_months"], tenants, Filters(), **common
        ),
    )
    booking_frames = {name: frames[name] for name in bookings.FRAMES}
    bookings_view = _run(
        pages, "bookings", lambda: bookings.build_view(booking_frames, tenants, filters, **common)
    )
    views["bookings"] = bookings_view
    efficiency_frames = {name: frames[name] for name in efficiency.FRAMES}
    _run(
        pages,
        "efficiency",
        lambda: efficiency.build_view(efficiency_frames, tenants, filters, **common),
    )
    finance_frames = {name: frames[name] for name in FINANCE_FRAMES}
    _run(pages, "finance", lambda: finance.build_view(finance_frames, tenants, filters, **common))
    region_frames = {name: frames[name] for name in ("regions_tenant_day", "regions_cities")}
    _run(pages, "regions", lambda: regions.build_view(region_frames, tenants, filters, **common))
    partner_frames = {
        name: frames[name] for name in ("partners", "partners_tenant_month", "regions_tenant_day")
    }
    _run(pages, "partners", lambda: partners.build_view(partner_frames, tenants, filters, **common))
    _run(
        pages,
        "funnel",
        lambda: funnel.build_tiles(
            frames["onboarding_funnel_sessions"], filters, at=at, locale="en"
        ),
    )
    with Session(engine) as session:
        sessions = onboarding_sessions(session=session, at=at)
        tenant_id = busiest_tenant(engine)
        data = tenant_360(session=session, tenant_id=tenant_id, today=today)
    _run(
        pages,
        "onboarding",
        lambda: onboarding.summary_tiles(onboarding.summarize(sessions), locale="en"),
    )
    _run(
        pages,
        "tenant_360",
        lambda: t360.signal_tiles(data.signals, data.health, data.churn, locale="en"),
    )
    pages["tenant_360"]["tenant_id"] = float(tenant_id)
    return pages, views


def busiest_tenant(engine: Engine) -> int:
    """The tenant Tenant 360 is opened on: the one with the most support tickets (so its
    signals are not all zero)."""
    with engine.connect() as connection:
        frame = pd.read_sql(
            "SELECT tenant_id, COUNT(*) AS n FROM support_tickets GROUP BY tenant_id "
            "ORDER BY n DESC, tenant_id LIMIT 1",
            connection,
        )
    return int(frame["tenant_id"].iloc[0])
