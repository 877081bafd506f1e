"""Hand-made snapshots for UI tests: a database with known numbers, no generator needed.

``flat`` daily data has constant per-day values, so every KPI can be worked out by hand
(see tests/dashboards/test_executive_overview.py). ``realistic`` adds a weekly rhythm, a
trend and noise, for screenshots and browser tests.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.db import get_engine
from core.metrics.registry import compute_kpis
from core.metrics.snapshots import write_snapshot
from core.migrate import upgrade_database
from core.schema import (
    ConsoleUser,
    JobRun,
    OnboardingSession,
    OnboardingStepEvent,
    SchedulerHeartbeat,
)
from tests import db_templates

FUTURE_DAYS = 14
WINDOW = 28  # the KPI window (core.metrics.registry.KPI_WINDOW_DAYS), ending yesterday
# Per-day values of the flat profile: (previous window, current window).
FLAT = {
    "bookings": (10, 12),
    "completed": (8, 9),
    "cancelled": (1, 1),
    "no_show": (1, 2),
    "gmv_ars": (100_000.0, 120_000.0),
    "mrr_ars": (2_000_000.0, 2_500_000.0),
}
FLAT_START_ACTIVE = 200  # active tenants the day before the previous window
FLAT_FUTURE_BOOKINGS = 5
# Today so far: a partial day the KPI windows must leave out (they end yesterday).
FLAT_TODAY = {"bookings": 3, "completed": 0, "cancelled": 0, "no_show": 1, "gmv_ars": 0.0}


def _empty_day(day: date) -> dict:
    return {
        "day": day,
        "bookings": 0,
        "completed": 0,
        "cancelled": 0,
        "no_show": 0,
        "booked_minutes": 0,
        "gmv_ars": 0.0,
        "payments_approved_ars": 0.0,
        "payments_failed": 0,
        "payments_total": 0,
        "mrr_ars": 0.0,
        "active_tenants": 0,
        "new_tenants": 0,
        "churned_tenants": 0,
    }


def flat_daily(as_of_day: date, *, current_bookings: int = FLAT["bookings"][1]) -> pd.DataFrame:
    """Two 28-day windows ending yesterday and the day before them, constant per window;
    today's partial day; 14 scheduled days.

    The previous window (as_of-56 .. as_of-29) churns one tenant every 4th day (7 in
    all), the current one (as_of-28 .. as_of-1) every 7th day (4 in all), today one more;
    nobody signs up.
    """
    rows, active = [], FLAT_START_ACTIVE
    for offset in range(-2 * WINDOW - 1, FUTURE_DAYS + 1):
        day = as_of_day + timedelta(days=offset)
        row = _empty_day(day)
        if offset < 0:
            current = offset >= -WINDOW
            for column, (before, now) in FLAT.items():
                row[column] = now if current else before
            if current:
                row["bookings"] = current_bookings
            step = 7 if current else 4
            position = offset + (WINDOW if current else 2 * WINDOW)  # 0-based day in window
            row["churned_tenants"] = int(offset >= -2 * WINDOW and (position + 1) % step == 0)
            row["booked_minutes"] = row["bookings"] * 45
            row["payments_approved_ars"] = row["gmv_ars"] * 0.9
            row["payments_total"] = row["completed"]
            row["payments_failed"] = 1
        elif offset == 0:
            row.update(FLAT_TODAY)
            row["mrr_ars"] = FLAT["mrr_ars"][1]
            row["churned_tenants"] = 1
        else:
            row["bookings"] = FLAT_FUTURE_BOOKINGS
            row["mrr_ars"] = FLAT["mrr_ars"][1]
        active -= row["churned_tenants"]
        row["active_tenants"] = active
        rows.append(row)
    return pd.DataFrame(rows)


WEEKDAY_FACTOR = (0.8, 0.9, 0.95, 1.0, 1.2, 1.45, 0.35)  # Monday .. Sunday


def realistic_daily(as_of_day: date, *, days: int = 200, level: float = 1.0) -> pd.DataFrame:
    """A platform with a Saturday peak, quiet Sundays, growth, inflation and some churn."""
    rng = np.random.default_rng(7)
    rows, active = [], 236
    for offset in range(-days, FUTURE_DAYS + 1):
        day = as_of_day + timedelta(days=offset)
        row = _empty_day(day)
        growth = 1 + 0.0012 * (offset + days)
        expected = 3_800 * level * growth * WEEKDAY_FACTOR[day.weekday()]
        if offset > 0:  # scheduled ahead, fewer the further out
            row["bookings"] = int(expected * max(0.05, 0.85 - 0.06 * offset))
        else:
            bookings = int(expected * rng.normal(1, 0.05))
            price = 11_000 * 1.025 ** ((offset + days) / 30)
            row.update(
                bookings=bookings,
                completed=int(bookings * 0.81),
                cancelled=int(bookings * 0.11),
                no_show=int(bookings * rng.normal(0.08, 0.006)),
                booked_minutes=bookings * 42,
            )
            row["gmv_ars"] = row["completed"] * price
            row["payments_approved_ars"] = row["gmv_ars"] * 0.93
            row["payments_total"] = row["completed"]
            row["payments_failed"] = int(row["completed"] * 0.03)
            row["new_tenants"] = int(rng.random() < 0.22)
            row["churned_tenants"] = int(rng.random() < 0.12)
        active += row["new_tenants"] - row["churned_tenants"]
        month_index = (day.year * 12 + day.month) - (as_of_day.year * 12 + as_of_day.month)
        row["active_tenants"] = active
        row["mrr_ars"] = active * 52_000 * 1.03**month_index
        rows.append(row)
    return pd.DataFrame(rows)


TENANT_ROWS = [
    # trade_name, vertical, tier, city, status, bookings_prev_28d, bookings_28d
    ("Barbería El Tano", "barbershop", "pro", "La Plata", "active", 100, 40),
    ("Salón Lucía", "salon", "starter", "Mendoza", "active", 50, 45),
    ("Spa Palermo", "spa", "enterprise", "Buenos Aires", "active", 400, 300),
    ("Uñas Bellas", "nails", "starter", "Salta", "active", 10, 2),
    ("Cadena Corte Fino", "barbershop", "enterprise", "Córdoba", "active", 1000, 1300),
    ("Estudio Nails Córdoba", "nails", "pro", "Córdoba", "active", 30, 60),
    ("Barbería Los Andes", "barbershop", "pro", "Neuquén", "churned", 80, 0),
    ("Salón Rosario", "salon", "pro", "Rosario", "active", 60, 60),
]
PROVINCES = {
    "La Plata": "Buenos Aires",
    "Mendoza": "Mendoza",
    "Buenos Aires": "CABA",
    "Salta": "Salta",
    "Córdoba": "Córdoba",
    "Neuquén": "Neuquén",
    "Rosario": "Santa Fe",
}
PLANS = {"starter": "basico", "pro": "profesional", "enterprise": "cadena"}


def tenants_frame(as_of_day: date) -> pd.DataFrame:
    rows = []
    for index, (name, vertical, tier, city, status, before, now) in enumerate(TENANT_ROWS, 1):
        rows.append(
            {
                "tenant_id": index,
                "trade_name": name,
                "vertical": vertical,
                "tier": tier,
                "plan": PLANS[tier],
                "province": PROVINCES[city],
                "city": city,
                "status": status,
                "signup_date": as_of_day - timedelta(days=300 + index),
                "churned_on": as_of_day - timedelta(days=10) if status == "churned" else None,
                "partner_id": None,
                "cs_owner_id": 1,
                "mrr_ars": 0.0 if status == "churned" else 30_000.0 * index,
                "bookings_28d": now,
                "bookings_prev_28d": before,
                "gmv_28d": now * 12_000.0,
                "no_show_rate_28d": 0.05 + index / 100,
            }
        )
    return pd.DataFrame(rows)


def make_database(db_url: str) -> str:
    """Create the schema in a fresh database and return its URL."""
    if db_url.startswith("sqlite:///") and not db_templates.sqlite_path(db_url).exists():
        return db_templates.migrated_sqlite(db_url)  # a copy: migrating each takes a second
    upgrade_database(db_url)
    return db_url


def add_snapshot(db_url: str, as_of: datetime, daily: pd.DataFrame) -> int:
    """Write one snapshot built from ``daily`` (KPIs from the metric registry)."""
    with Session(get_engine(db_url)) as session:
        version = write_snapshot(
            session=session,
            as_of=as_of,
            kind="incremental",
            kpis=compute_kpis(daily, as_of.date()),
            frames={"daily": daily, "tenants": tenants_frame(as_of.date())},
        )
        session.commit()
    return version


def add_operations(db_url: str, at: datetime) -> None:
    """A console user, two onboarding sessions, a heartbeat and a few job runs."""
    with Session(get_engine(db_url)) as session:
        session.add(
            ConsoleUser(
                id=1, full_name="Carla Méndez", email="carla@barberpro.test", role="onboarding"
            )
        )
        session.add_all(
            [
                OnboardingSession(
                    id=1,
                    business_name="Barbería Nueva",
                    vertical="barbershop",
                    tier="starter",
                    operator_id=1,
                    started_at=at - timedelta(minutes=20),
                    current_step="services",
                    status="in_progress",
                    updated_at=at - timedelta(minutes=4),
                ),
                OnboardingSession(
                    id=2,
                    business_name="Cadena Glam",
                    vertical="salon",
                    tier="enterprise",
                    operator_id=1,
                    started_at=at - timedelta(hours=3),
                    current_step="done",
                    status="activated",
                    verification_status="approved",
                    activated_at=at - timedelta(hours=2, minutes=10),
                    updated_at=at - timedelta(hours=2),
                ),
                OnboardingStepEvent(
                    session_id=1, step="services", entered_at=at - timedelta(minutes=2)
                ),
                SchedulerHeartbeat(
                    scheduler_id="embedded-1",
                    hostname="localhost",
                    pid=4242,
                    mode="embedded",
                    started_at=at - timedelta(hours=1),
                    beat_at=at - timedelta(seconds=5),
                ),
            ]
        )
        for minutes, status in ((3, "success"), (2, "failed"), (1, "success")):
            started = at - timedelta(minutes=minutes)
            session.add(
                JobRun(
                    job_id="metrics_refresh",
                    scheduler_id="embedded-1",
                    started_at=started,
                    finished_at=started + timedelta(seconds=2),
                    status=status,
                    rows_touched=120 if status == "success" else None,
                    error="database is locked" if status == "failed" else None,
                )
            )
        session.commit()
