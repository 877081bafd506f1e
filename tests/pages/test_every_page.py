"""Every page of the registry, rendered with AppTest on a complete generated console:
no exception, no error, its translated title, and the tiles, charts and tables it shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.db import create_engine_for
from core.i18n import gettext
from core.metrics.registry import KPI_WINDOW_DAYS
from core.models.churn.registry import promoted_version
from core.schema import Tenant
from dashboards.definitions import all_metrics
from page_registry import PAGES, PageSpec
from tests.pages.helpers import page_env

# The generated console ends today; some days give no promoted churn model.
pytestmark = pytest.mark.clock

ROOT = Path(__file__).resolve().parents[2]

# The least each page shows on the full console: st.metric tiles, plotly charts, tables.
EXPECTED: dict[str, dict[str, int]] = {
    "executive-overview": {"metric": 12, "plotly_chart": 2, "dataframe": 2},
    "revenue": {"metric": 8, "plotly_chart": 4, "dataframe": 2},
    "bookings": {"metric": 4, "plotly_chart": 7, "dataframe": 1},
    "efficiency": {"metric": 6, "plotly_chart": 5, "dataframe": 3},
    "customer-health": {"metric": 4, "plotly_chart": 4, "dataframe": 3},
    "churn": {"metric": 6, "plotly_chart": 4, "dataframe": 1},
    "lifetime-value": {"metric": 4, "plotly_chart": 3, "dataframe": 1},
    "onboarding-funnel": {"metric": 7, "plotly_chart": 3, "dataframe": 3},
    "finance": {"metric": 8, "plotly_chart": 4, "dataframe": 3},
    "partners": {"metric": 8, "plotly_chart": 3, "dataframe": 2},
    "regions": {"metric": 8, "plotly_chart": 2, "dataframe": 3},
    "platform": {"metric": 8, "plotly_chart": 3, "dataframe": 2},
    "triage": {"metric": 4},
    "tenants": {"dataframe": 1},
    "tenant-360": {"plotly_chart": 1, "dataframe": 1},
    "intervention-outcomes": {"metric": 4, "plotly_chart": 2, "dataframe": 2},
    "model-card": {"plotly_chart": 3, "dataframe": 4},
    "onboarding-wizard": {},
    "onboarding-sessions": {"metric": 4, "dataframe": 1},
    "refresh-jobs": {"metric": 4, "dataframe": 2},
    "cpi": {"plotly_chart": 1, "dataframe": 1},
    "definitions": {"dataframe": 1},
    "users": {"dataframe": 1},
    # The generated console has no API tokens: the list is empty until one is issued.
    "api-tokens": {},
    "audit-log": {"dataframe": 1},
    # Empty until someone runs the audit (tests/pages/test_hardening_page.py runs it).
    "hardening": {},
    "my-account": {},
    # No watchdog ran on the generated console: every monitor unknown, uptime and SLOs empty.
    "status": {"plotly_chart": 2, "dataframe": 3},
}


def test_every_page_has_expectations():
    assert set(EXPECTED) == {page.url_path for page in PAGES}


@pytest.fixture
def full_env(monkeypatch, full_console_url) -> str:
    page_env(monkeypatch, full_console_url)
    monkeypatch.delenv("BARBERPRO_REFRESH_INTERVAL_S", raising=False)
    return full_console_url


def _render(page: PageSpec, url: str, query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    app.run()
    app.switch_page(page.path)
    app.run()
    return app


def _has_promoted_model(url: str) -> bool:
    engine = create_engine_for(url)
    with Session(engine) as session:
        promoted = promoted_version(session=session)
    engine.dispose()
    return promoted is not None


def _a_tenant(url: str) -> int:
    engine = create_engine_for(url)
    with Session(engine) as session:
        tenant = session.scalar(select(Tenant.id).where(Tenant.status == "active").limit(1))
    engine.dispose()
    return int(tenant)


@pytest.mark.parametrize("page", PAGES, ids=[page.url_path for page in PAGES])
@pytest.mark.parametrize("lang", ["es_AR", "en"])
def test_page_shows_its_content(page, lang, full_env):
    query = {"lang": lang}
    if page.url_path == "tenant-360":
        query["tenant"] = str(_a_tenant(full_env))
    app = _render(page, full_env, query)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value == gettext(page.title, lang)
    counts = {kind: len(app.get(kind)) for kind in ("metric", "plotly_chart", "dataframe")}
    if page.url_path == "model-card" and not _has_promoted_model(full_env):
        # Not every day's small history yields a model that beats the base rate.
        assert app.info, "the model card must say that no model is promoted yet"
        return
    expected = dict(EXPECTED.get(page.url_path, {}))
    if page.url_path == "onboarding-funnel" and _says_nothing_is_stalled(app, lang):
        # The generated console ends today: on some days no open session is stalled, and
        # the stalled table gives way to a sentence saying so.
        expected["dataframe"] -= 1
    for kind, least in expected.items():
        assert counts[kind] >= least, (kind, counts)
    if page.url_path not in FORM_RECAPS:
        unregistered = {m.label for m in app.metric} - registry_labels(lang)
        assert not unregistered, f"tiles whose metric is not in the registry: {unregistered}"


def _says_nothing_is_stalled(app: AppTest, lang: str) -> bool:
    sentence = gettext("No session is stalled.", lang)
    return any(caption.value == sentence for caption in app.caption)


# Pages whose st.metric tiles recap a form being filled, not metrics of the business.
FORM_RECAPS = {"onboarding-wizard"}


def registry_labels(lang: str) -> set[str]:
    """Every label a metric tile may carry: the registry's, translated, and the headline
    window form ("Bookings (28 d)")."""
    window = gettext("{label} ({days} d)", lang)
    labels = set()
    for metric in all_metrics():
        label = gettext(metric.label, lang)
        labels |= {label, window.format(label=label, days=KPI_WINDOW_DAYS)}
    return labels
