"""Metrics computed straight from the raw platform tables, with no rollup involved.

This is the yardstick: the property tests check that incremental refreshes give exactly
these numbers, and the benchmarks time it as "what a page would cost without snapshots".
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.metrics.compute import (
    SnapshotContent,
    build_snapshot_content,
    read_subscriptions,
    read_tenants,
    window_totals_from_days,
)
from core.metrics.rollups import FAILED_PAYMENT_STATUSES, TENANT_DAY_MEASURES
from core.schema import Booking, Payment


def raw_tenant_days(*, session: Session) -> pd.DataFrame:
    """Per tenant and local day, aggregated in pandas from every booking and payment."""
    bookings = pd.DataFrame(
        session.execute(
            select(
                Booking.tenant_id,
                Booking.start_at,
                Booking.status,
                Booking.duration_min,
                Booking.price_ars,
            )
        ).all(),
        columns=["tenant_id", "start_at", "status", "duration_min", "price_ars"],
    )
    bookings["day"] = pd.to_datetime(bookings["start_at"]).dt.date
    status = bookings["status"]
    bookings = bookings.assign(
        bookings=1,
        completed=(status == "completed").astype(int),
        cancelled=(status == "cancelled").astype(int),
        no_show=(status == "no_show").astype(int),
        booked_minutes=bookings["duration_min"].where(status != "cancelled", 0),
        gmv_ars=bookings["price_ars"].astype(float).where(status == "completed", 0.0),
    )
    booking_days = bookings.groupby(["tenant_id", "day"], as_index=False)[
        ["bookings", "completed", "cancelled", "no_show", "booked_minutes", "gmv_ars"]
    ].sum()

    payments = pd.DataFrame(
        session.execute(
            select(Payment.tenant_id, Payment.created_at, Payment.status, Payment.amount_ars)
        ).all(),
        columns=["tenant_id", "created_at", "status", "amount_ars"],
    )
    payments["day"] = pd.to_datetime(payments["created_at"]).dt.date
    payments = payments.assign(
        payments_approved_ars=payments["amount_ars"]
        .astype(float)
        .where(payments["status"] == "approved", 0.0),
        payments_failed=payments["status"].isin(FAILED_PAYMENT_STATUSES).astype(int),
        payments_total=1,
    )
    payment_days = payments.groupby(["tenant_id", "day"], as_index=False)[
        ["payments_approved_ars", "payments_failed", "payments_total"]
    ].sum()

    merged = booking_days.merge(payment_days, on=["tenant_id", "day"], how="outer")
    for name in TENANT_DAY_MEASURES:
        merged[name] = merged[name].fillna(0)
        merged[name] = (
            merged[name].astype(float).round(2)
            if name.endswith("_ars")
            else merged[name].astype("int64")
        )
    return merged.sort_values(["tenant_id", "day"], ignore_index=True)


def reference_snapshot_content(*, session: Session, as_of: date) -> SnapshotContent:
    """What the newest snapshot must contain, computed from the raw tables alone."""
    tenant_days = raw_tenant_days(session=session)
    day_rollup = tenant_days.groupby("day", as_index=False)[list(TENANT_DAY_MEASURES)].sum()
    for name in TENANT_DAY_MEASURES:
        if name.endswith("_ars"):
            day_rollup[name] = day_rollup[name].round(2)
    return build_snapshot_content(
        day_rollup=day_rollup,
        window_totals=window_totals_from_days(tenant_days, as_of),
        tenants=read_tenants(session=session),
        subscriptions=read_subscriptions(session=session),
        as_of=as_of,
    )
