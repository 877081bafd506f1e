"""The pages render a snapshot written by the real refresh, not only hand-made ones."""

from datetime import date, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy.orm import Session

from core.db import get_engine
from core.i18n import gettext
from core.metrics.refresh import refresh_metrics
from page_registry import PAGES
from tests import factories
from tests import snapshot_factory as factory
from tests.pages.test_smoke import render

AS_OF = datetime(2026, 6, 30, 15, 0)


@pytest.fixture
def refreshed_env(monkeypatch, tmp_path) -> str:
    url = factory.make_database(f"sqlite:///{tmp_path / 'real.db'}")
    with Session(get_engine(url)) as session:
        steady = factories.add_tenant(session, 1, signup=date(2025, 10, 1), mrr=45_000)
        fading = factories.add_tenant(session, 2, signup=date(2025, 11, 1), tier="starter")
        factories.add_tenant(
            session, 3, signup=date(2025, 12, 1), churned_on=date(2026, 6, 10), tier="enterprise"
        )
        for offset in range(-59, 8):  # two KPI windows and a week of scheduled bookings
            start = AS_OF + timedelta(days=offset)
            status = "scheduled" if offset > 0 else ("no_show" if offset % 9 == 0 else "completed")
            factories.add_booking(session, steady, start_at=start, status=status)
            if offset < -30 or offset % 3 == 0:
                factories.add_booking(session, fading, start_at=start, status=status)
        session.commit()
    refresh_metrics(get_engine(url), as_of=AS_OF)
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", url)
    monkeypatch.setenv("BARBERPRO_EMBEDDED_SCHEDULER", "false")
    return url


@pytest.mark.parametrize("page", PAGES, ids=[page.url_path for page in PAGES])
def test_page_renders_a_refreshed_snapshot(page, refreshed_env):
    app = render(page)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def test_overview_numbers_from_the_refresh(refreshed_env):
    app = render(PAGES[0])
    values = {metric.label: metric.value for metric in app.metric}
    es = partial(gettext, locale="es_AR")
    # MRR: two tenants open at the close of 29/06 (45.000 + 20.000); tenant 3 churned on
    # 10/06.
    assert values["MRR"] == "$ 65,0 mil"
    assert values[es("Active tenants")] == "2"
    # Bookings 02/06..29/06 (28 days ending yesterday): 28 for the steady tenant, 9 for the
    # fading one (offsets -27, -24, ..., -3).
    assert values[es("{label} ({days} d)").format(label=es("Bookings"), days=28)] == "37"
