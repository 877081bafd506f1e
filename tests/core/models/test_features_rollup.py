"""Churn features read whole days from the tenant-day rollup and stay exact.

The bulk features (``core.models.features``) take the bookings and payments of whole
local days from ``console_rollup_tenant_day`` once the metrics refresh has built it, and
the raw rows only for days cut by a window bound and for cells changed after the
rollup's watermark. These tests compare them with the previous builder (raw rows only,
``tests/core/models/churn_features_reference.py``) after a refresh, with changes the
refresh has not seen yet, and after the next refresh; and the rollup grid with the raw
grid, bound by bound.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics.refresh import refresh_metrics
from core.models import feature_events
from core.models.churn.data import examples_as_of_many
from core.models.feature_events import cell_sums, rollup_cell_sums
from core.models.features import (
    _BOOKINGS_ROLLUP,
    _PAYMENTS_ROLLUP,
    BASELINE_DAYS,
    _bounds,
    churn_features,
)
from core.schema import Booking, Payment, Tenant
from tests.core.models.churn_features_reference import (
    reference_churn_features,
    reference_examples_as_of,
)
from tests.core.models.test_features import T, _apply, _build_history
from tests.core.models.test_features_bulk import (
    INSIDE_A_DAY,
    MIDNIGHTS,
    TODAY,
    assert_same_features,
)
from tests.generated_data import generated_copy

CHANGES = [
    ("backdated_booking", 0, 60, 7),
    ("resolve_booking", 1, 600, 1),
    ("payment", 0, 20, 1),
    ("resolve_payment", 2, 30, 1),
    ("login", 1, 5, 0),
    ("churn", 2, 8000, 0),
    ("new_booking", 0, 10, 5),
    ("new_booking", 3, 70, 30),
]
MOMENTS = [
    T,
    T + timedelta(minutes=30),
    T + timedelta(days=2),
    datetime(2025, 6, 1),
    datetime(2025, 6, 3),
    datetime(2025, 5, 15, 9, 45),
]


@pytest.fixture(scope="module")
def refreshed_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """25 tenants, 9 months of generated data, with the metrics refresh run once."""
    path: Path = tmp_path_factory.mktemp("rollup_features") / "demo.db"
    # The same set as test_features_bulk.py's: one generation per `make test`.
    url = generated_copy(path, tenants=25, months=9, seed=5, today=TODAY)
    engine = create_engine_for(url)
    refresh_metrics(engine, as_of=datetime.combine(TODAY, datetime.min.time()))
    engine.dispose()
    return url


def _tenants(session: Session) -> np.ndarray:
    return np.array(sorted(session.scalars(select(Tenant.id)).all()), dtype="int64")


def assert_grids_agree(session: Session, moments: list[datetime]) -> None:
    """Rollup and raw grids give the same sums between every two bounds."""
    tenants = _tenants(session)
    for rollup, at, tenant, days in (
        (_BOOKINGS_ROLLUP, Booking.start_at, Booking.tenant_id, (0, 28, 90, BASELINE_DAYS)),
        (_PAYMENTS_ROLLUP, Payment.created_at, Payment.tenant_id, (0, 90)),
    ):
        bounds = _bounds(moments, days)
        measures = [
            (name, expression)
            for name, expression in _raw_measures(rollup.source)
            if name in rollup.measures
        ]
        fast = rollup_cell_sums(
            session,
            rollup=rollup,
            at=at,
            tenant=tenant,
            tenants=tenants,
            bounds=bounds,
            sums=measures,
        )
        assert fast is not None, "the rollup should serve (its refresh has run)"
        raw = cell_sums(
            session, at=at, tenant=tenant, tenants=tenants, bounds=bounds, sums=measures
        )
        assert not isinstance(raw, dict)
        for name, _ in measures:
            for lo, hi in itertools.pairwise(bounds):
                assert np.allclose(fast.sum(name, lo, hi), raw.sum(name, lo, hi), atol=1e-6), (
                    rollup.source,
                    name,
                    lo,
                    hi,
                )


def _raw_measures(source: str) -> list[tuple[str, object]]:
    from sqlalchemy import case, literal

    from core.metrics.rollups import ONLINE_CHANNELS, PENDING_PAYMENT_STATUSES

    b, p = Booking, Payment
    if source == "bookings":
        return [
            ("n", literal(1)),
            ("completed", case((b.status == "completed", 1), else_=0)),
            ("no_show", case((b.status == "no_show", 1), else_=0)),
            ("cancelled", case((b.status == "cancelled", 1), else_=0)),
            ("gmv", case((b.status == "completed", b.price_ars), else_=0)),
            ("online", case((b.channel.in_(ONLINE_CHANNELS), 1), else_=0)),
        ]
    return [
        ("known", case((p.status.notin_(PENDING_PAYMENT_STATUSES), 1), else_=0)),
        ("rejected", case((p.status == "rejected", 1), else_=0)),
    ]


@pytest.fixture(params=["cells summed in SQL", "days read"])
def buckets(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of putting the rollup's days in cells."""
    if request.param == "days read":
        monkeypatch.setattr(feature_events, "SQL_BUCKETS", 0)
    return str(request.param)


def test_rollup_grid_equals_raw_grid_on_generated_data(refreshed_url: str, buckets: str) -> None:
    engine = create_engine_for(refreshed_url)
    with Session(engine) as session:
        assert_grids_agree(session, [*MIDNIGHTS[::4], *INSIDE_A_DAY[:2]])
    engine.dispose()


def test_features_from_the_rollup_equal_the_reference(refreshed_url: str) -> None:
    engine = create_engine_for(refreshed_url)
    moments = [*MIDNIGHTS[::5], *INSIDE_A_DAY[:2]]
    with Session(engine) as session:
        bulk = examples_as_of_many(session=session, as_ofs=moments)
        for moment in moments:
            reference = reference_examples_as_of(session=session, as_of=moment)
            assert_same_features(bulk[moment], reference, ("rollup", moment))
    engine.dispose()


@pytest.fixture(params=["patched cells", "too many changed: raw rows"])
def stale_limit(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Patch the stale cells from the raw rows, or give up on the rollup altogether."""
    if request.param != "patched cells":
        monkeypatch.setattr(feature_events, "MAX_STALE_CELLS", 0)
    return str(request.param)


def test_changes_the_refresh_has_not_seen_yet_are_read_raw(
    engine: Engine, stale_limit: str
) -> None:
    """After a refresh, new and changed rows (not yet refreshed), then the next refresh."""
    with Session(engine) as session, session.begin():
        refs = _build_history(session)
    refresh_metrics(engine, as_of=T)
    with Session(engine) as session, session.begin():
        for change in CHANGES:
            _apply(session, refs, change)
        # A booking moved to another channel after the refresh: only the online measure.
        moved = session.scalars(
            select(Booking).where(Booking.start_at < T).order_by(Booking.id).limit(1)
        ).one()
        moved.channel = "walk_in" if moved.channel != "walk_in" else "web"
        moved.updated_at = T + timedelta(minutes=45)
    for round_ in ("before the next refresh", "after it"):
        with Session(engine) as session:
            if stale_limit == "patched cells":
                assert_grids_agree(session, MOMENTS)
            bulk = examples_as_of_many(session=session, as_ofs=MOMENTS)
            for moment in MOMENTS:
                old = reference_examples_as_of(session=session, as_of=moment)
                assert_same_features(bulk[moment], old, (stale_limit, round_, moment))
            some = [refs[0].tenant_id, refs[2].tenant_id]
            restricted = churn_features(session=session, as_of=MOMENTS[1], tenant_ids=some)
            expected = reference_churn_features(session=session, as_of=MOMENTS[1], tenant_ids=some)
            assert_same_features(restricted, expected, (stale_limit, round_, "restricted"))
        refresh_metrics(engine, as_of=T)
