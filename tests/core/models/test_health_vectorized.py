"""The vectorized health score equals the previous implementation on generated data.

``tests/core/models/reference_health.py`` is the score as computed before issue 18 (tenant
by tenant, a cold BG/NBD fit per tenant and day). On a generated database, every tenant
and day scored by the one-pass code (one reduction of the visits for all days, cached
and warm-started fits) and by the job that stores them equals it within float tolerance.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.models.health.client_base import ClientBaseFits
from core.models.health.job import update_health_scores, wanted_days
from core.models.health.score import SCORE_COLUMNS, health_scores_for_days
from core.schema import HealthClientBaseFit, HealthScore
from data.generate import generate_demo_data
from tests.core.models.reference_health import reference_health_scores_for_days

TODAY = date(2026, 4, 10)
T0 = datetime(2026, 4, 10, 0, 30)
# Some of the job's days: today, the two before, and weekly points back to its first.
DAYS = sorted({*wanted_days(TODAY)[-3:], *wanted_days(TODAY)[:12:6]})
SHARES = ["score", *SCORE_COLUMNS, "share_clients_lapsed"]
# Scores (0-100) and shares agree to 1e-6. A warm-started fit stops within the optimizer's
# tolerance of the cold optimum (parameters ~1e-5 relative), and expected active clients,
# a sum over up to thousands of clients' P(alive), moves by about as much relative to it.
TOLERANCE = 1e-6
CLIENTS_RTOL = 1e-5


@pytest.fixture
def generated(database_url: str) -> str:
    # 14 tenants over 13 months: a year of visits before the first day scored.
    generate_demo_data(database_url, tenants=14, months=13, seed=11, today=TODAY)
    return database_url


def _assert_same(expected: pd.DataFrame, actual: pd.DataFrame, day: date) -> None:
    expected = expected.set_index("tenant_id").sort_index()
    actual = actual.set_index("tenant_id").sort_index()
    assert list(actual.index) == list(expected.index), day
    for column in [*SHARES, "expected_active_clients"]:
        want = expected[column].astype(float).to_numpy()
        got = actual[column].astype(float).to_numpy()
        assert np.array_equal(np.isnan(want), np.isnan(got)), (day, column)
        rtol = CLIENTS_RTOL if column == "expected_active_clients" else 0.0
        assert np.allclose(got, want, rtol=rtol, atol=TOLERANCE, equal_nan=True), (day, column)
    for column in ("tier", "band", "missing"):
        assert list(actual[column]) == list(expected[column]), (day, column)


def test_one_pass_and_the_job_equal_the_previous_implementation(generated: str) -> None:
    engine = create_engine_for(generated)
    with Session(engine) as session:
        reference = reference_health_scores_for_days(session, DAYS)
        fits = ClientBaseFits()
        vectorized = health_scores_for_days(session, DAYS, fits=fits)
    scored = sum(int(frame["client_base_score"].notna().sum()) for frame in reference.values())
    assert scored >= 5 * len(DAYS)  # the BG/NBD component really is computed
    assert fits.cold > 0 and fits.warm > 0  # a cold fit per tenant, warm ones after
    for day in DAYS:
        _assert_same(reference[day], vectorized[day], day)

    # The job, in one pass, stored with the tenants' fits. Its other days are marked
    # stored beforehand (a row each), so it computes exactly DAYS.
    with Session(engine) as session, session.begin():
        for day in sorted(set(wanted_days(TODAY)) - set(DAYS)):
            session.add(HealthScore(tenant_id=0, day=day, missing=[], computed_at=T0))
    first = update_health_scores(engine, today=TODAY)
    assert first["days"] == [day.isoformat() for day in DAYS]
    assert first["fits"]["cold"] > 0 and first["fits"]["reused"] == 0
    with Session(engine) as session:
        stored_fits = session.scalar(select(HealthClientBaseFit.tenant_id).limit(1))
        for day in DAYS:
            rows = pd.read_sql(select(HealthScore).where(HealthScore.day == day), session.bind)
            rows["missing"] = rows["missing"].apply(list)
            _assert_same(reference[day], rows, day)
    assert stored_fits is not None
    # Today again (as after a restart, or a weight edit): the stored fits are reused.
    with Session(engine) as session, session.begin():
        session.execute(delete(HealthScore).where(HealthScore.day == TODAY))
    again = update_health_scores(engine, today=TODAY)
    assert again["days"] == [TODAY.isoformat()]
    assert again["fits"]["reused"] > 0 and again["fits"]["cold"] == again["fits"]["warm"] == 0
    with Session(engine) as session:
        rows = pd.read_sql(select(HealthScore).where(HealthScore.day == TODAY), session.bind)
    rows["missing"] = rows["missing"].apply(list)
    _assert_same(reference[TODAY], rows, TODAY)
    engine.dispose()
