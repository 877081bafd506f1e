"""Properties of the generated platform that make it believable (issue 13, item 6).

Checked on the small generated set: no professional is double-booked, every appointment
sits inside its professional's stored shift and its location's opening hours, working
weeks respect the legal limit, service list prices follow what the bookings charge, and
timestamps run in order.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd

from data.generation.schedules import LEGAL_WEEK_MIN, OWNER_WEEK_MIN
from tests.data.conftest import SMALL_AS_OF


def frame(con: sqlite3.Connection, sql: str) -> pd.DataFrame:
    return pd.read_sql(sql, con)


def minutes(hhmm: pd.Series) -> pd.Series:
    return hhmm.str.slice(0, 2).astype(int) * 60 + hhmm.str.slice(3, 5).astype(int)


def bookings(con: sqlite3.Connection) -> pd.DataFrame:
    b = frame(
        con,
        "SELECT id, staff_id, location_id, service_id, status, created_at, start_at, "
        "duration_min, price_ars, updated_at FROM bookings",
    )
    for column in ("created_at", "start_at", "updated_at"):
        b[column] = pd.to_datetime(b[column])
    b["end_at"] = b["start_at"] + pd.to_timedelta(b["duration_min"], unit="m")
    b["weekday"] = b["start_at"].dt.day_of_week
    b["start_min"] = b["start_at"].dt.hour * 60 + b["start_at"].dt.minute
    b["end_min"] = b["start_min"] + b["duration_min"]
    return b


def test_no_professional_has_two_held_appointments_at_once(small_db) -> None:
    b = bookings(small_db)
    held = b[b["status"] != "cancelled"].sort_values(["staff_id", "start_at", "id"])
    previous_end = held.groupby("staff_id")["end_at"].transform(lambda s: s.cummax().shift())
    clash = held["start_at"] < previous_end
    assert not clash.any(), held[clash].head()
    # Busy days exist, so the check bites: most held appointments share their day.
    per_day = held.groupby(["staff_id", held["start_at"].dt.date]).size()
    assert (per_day >= 4).mean() > 0.3
    booked_h = held.groupby(["staff_id", held["start_at"].dt.date])["duration_min"].sum() / 60
    assert booked_h.max() <= 12


def test_reschedules_take_free_slots(small_db) -> None:
    """A reschedule is a new booking created when another of the same customer was
    cancelled; it lands in a free slot, not on top of the professional's other clients."""
    b = frame(
        small_db,
        "SELECT r.staff_id, r.start_at, r.duration_min FROM bookings r JOIN bookings c "
        "ON c.customer_id = r.customer_id AND c.status = 'cancelled' "
        "AND c.updated_at = r.created_at AND c.id <> r.id",
    )
    assert len(b) > 20


def test_bookings_fall_inside_shifts_and_opening_hours(small_db) -> None:
    b = bookings(small_db)
    shifts = frame(small_db, "SELECT staff_id, weekday, starts, ends FROM staff_working_hours")
    shifts["s"], shifts["e"] = minutes(shifts["starts"]), minutes(shifts["ends"])
    opening = frame(
        small_db, "SELECT location_id, weekday, opens, closes FROM location_opening_hours"
    )
    opening["o"], opening["c"] = minutes(opening["opens"]), minutes(opening["closes"])
    assert len(shifts) and len(opening)

    m = b.merge(shifts[["staff_id", "weekday", "s", "e"]], on=["staff_id", "weekday"], how="left")
    inside = (m["start_min"] >= m["s"]) & (m["end_min"] <= m["e"])
    inside_any = inside.groupby(m["id"]).any()
    assert inside_any.reindex(b["id"]).fillna(False).all()

    m = b.merge(opening[["location_id", "weekday", "o", "c"]], on=["location_id", "weekday"])
    ok = ((m["start_min"] >= m["o"]) & (m["end_min"] <= m["c"])).groupby(m["id"]).any()
    assert ok.reindex(b["id"]).fillna(False).all()

    # Every shift sits inside the opening hours of its professional's location.
    staff = frame(small_db, "SELECT id AS staff_id, location_id FROM staff")
    s = shifts.merge(staff, on="staff_id").merge(opening, on=["location_id", "weekday"])
    assert len(s) == len(shifts)
    assert ((s["s"] >= s["o"]) & (s["e"] <= s["c"]) & (s["s"] < s["e"])).all()


def test_working_weeks_stay_within_the_legal_limit(small_db) -> None:
    staff = frame(
        small_db,
        "SELECT s.id AS staff_id, s.full_name, s.weekly_minutes, t.owner_name "
        "FROM staff s JOIN tenants t ON t.id = s.tenant_id",
    )
    shifts = frame(small_db, "SELECT staff_id, starts, ends FROM staff_working_hours")
    worked = (minutes(shifts["ends"]) - minutes(shifts["starts"])).groupby(shifts["staff_id"]).sum()
    staff["worked"] = staff["staff_id"].map(worked)
    assert staff["worked"].notna().all()
    # The console's capacity figure is the sum of the stored shifts.
    assert (staff["worked"] == staff["weekly_minutes"]).all()
    owner = staff["full_name"] == staff["owner_name"]
    assert owner.any() and (~owner).any()
    assert (staff.loc[~owner, "weekly_minutes"] <= LEGAL_WEEK_MIN).all()
    assert (staff.loc[owner, "weekly_minutes"] <= OWNER_WEEK_MIN).all()
    assert 30 * 60 <= staff["weekly_minutes"].median() <= LEGAL_WEEK_MIN


def test_catalog_prices_follow_recent_bookings(small_db) -> None:
    b = bookings(small_db)
    recent = b[
        (b["start_at"] >= SMALL_AS_OF - pd.Timedelta(days=45)) & (b["start_at"] < SMALL_AS_OF)
    ]
    median = recent.groupby("service_id")["price_ars"].median()
    services = frame(small_db, "SELECT id, price_ars FROM services").set_index("id")["price_ars"]
    gap = services.reindex(median.index) / median - 1
    assert len(gap) > 50
    assert (gap.abs() <= 0.15).all(), gap[gap.abs() > 0.15]


def test_timestamps_run_in_order(small_db) -> None:
    s = frame(
        small_db,
        "SELECT id, started_at, activated_at, updated_at, status FROM onboarding_sessions",
    )
    act = s[s["activated_at"].notna()]
    assert len(act)
    assert (act["started_at"] < act["activated_at"]).all()
    assert (act["activated_at"] <= act["updated_at"]).all()
    assert (s["started_at"] <= s["updated_at"]).all()
    ev = frame(
        small_db,
        "SELECT e.entered_at, e.completed_at, e.updated_at, s.started_at, "
        "s.updated_at AS session_updated FROM onboarding_step_events e "
        "JOIN onboarding_sessions s ON s.id = e.session_id",
    )
    assert (ev["entered_at"] >= ev["started_at"]).all()
    done = ev["completed_at"].notna()
    assert (ev.loc[done, "completed_at"] >= ev.loc[done, "entered_at"]).all()
    assert (ev.loc[done, "completed_at"] <= ev.loc[done, "session_updated"]).all()

    b = bookings(small_db)
    assert (b["created_at"] <= b["start_at"]).all()
    assert (b["created_at"] <= b["updated_at"]).all()
    first = frame(
        small_db,
        "SELECT c.created_at, MIN(b.created_at) AS first FROM customers c "
        "JOIN bookings b ON b.customer_id = c.id GROUP BY c.id",
    )
    assert (first["created_at"] <= first["first"]).all()
    pay = frame(
        small_db,
        "SELECT p.created_at, p.updated_at, b.created_at AS booked FROM payments p "
        "JOIN bookings b ON b.id = p.booking_id",
    )
    assert (pay["created_at"] >= pay["booked"]).all()
    assert (pay["updated_at"] >= pay["created_at"]).all()
    t = frame(small_db, "SELECT id, created_at, updated_at FROM tenants")
    assert (t["created_at"] <= t["updated_at"]).all()
    for table in ("services", "locations", "staff"):
        rows = frame(
            small_db,
            f"SELECT x.updated_at, t.created_at FROM {table} x "
            "JOIN tenants t ON t.id = x.tenant_id",
        )
        assert (rows["updated_at"] >= rows["created_at"]).all(), table
    hours = frame(
        small_db,
        "SELECT h.updated_at, s.hired_on FROM staff_working_hours h JOIN staff s "
        "ON s.id = h.staff_id",
    )
    assert (hours["updated_at"].str[:10] >= hours["hired_on"]).all()
    assert np.all(pd.to_datetime(hours["updated_at"]) <= SMALL_AS_OF)
