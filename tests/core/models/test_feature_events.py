"""Cell sums between window bounds, checked by hand on a few bookings."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, case, literal
from sqlalchemy.orm import Session

from core.models import feature_events
from core.models.feature_events import CellGrid, cell_sums
from core.schema import Booking
from tests.factories import add_booking, add_tenant

T = datetime(2025, 6, 1, 12, 0)


@pytest.mark.parametrize("parameters_per_query", [30_000, 1])
def test_cell_sums_by_hand(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, parameters_per_query: int
) -> None:
    # 1 forces one cell per statement: the split must not change the sums.
    monkeypatch.setattr(feature_events, "PARAMETERS_PER_QUERY", parameters_per_query)
    with Session(sqlite_engine) as session, session.begin():
        a = add_tenant(session, 1, signup=date(2024, 1, 1))
        b = add_tenant(session, 2, signup=date(2024, 1, 1))
        for days, status, price in ((1, "completed", 100.0), (3, "no_show", 50.0)):
            add_booking(session, a, start_at=T - timedelta(days=days), status=status, price=price)
        add_booking(session, a, start_at=T - timedelta(days=10), price=70.0)
        add_booking(session, a, start_at=T, price=999.0)  # at the bound: not before it
        add_booking(session, b, start_at=T - timedelta(days=2, hours=1), price=30.0)
    tenants = np.array([a.tenant_id, b.tenant_id])
    bounds = [T - timedelta(days=7), T - timedelta(days=28), T, T - timedelta(days=2)]
    with Session(sqlite_engine) as session:
        grid = cell_sums(
            session,
            at=Booking.start_at,
            tenant=Booking.tenant_id,
            tenants=tenants,
            bounds=bounds,
            sums=[
                ("n", literal(1)),
                ("gmv", case((Booking.status == "completed", Booking.price_ars), else_=0)),
            ],
            maxima=[("last", Booking.start_at)],
        )
    assert isinstance(grid, CellGrid)
    week = grid.sum("n", T - timedelta(days=7), T)
    assert week.tolist() == [2.0, 1.0]
    assert grid.sum("n", T - timedelta(days=28), T).tolist() == [3.0, 1.0]
    assert grid.sum("gmv", T - timedelta(days=28), T - timedelta(days=7)).tolist() == [70.0, 0.0]
    assert grid.sum("gmv", T - timedelta(days=2), T).tolist() == [100.0, 0.0]
    last = grid.max_before("last", T - timedelta(days=2))
    expected = [T - timedelta(days=3), T - timedelta(days=2, hours=1)]
    assert last.tolist() == [float(feature_events.ns(x)) for x in expected]
    assert np.isnan(grid.max_before("last", T - timedelta(days=28))).all()
    with pytest.raises(KeyError):
        grid.sum("n", T - timedelta(days=5), T)
