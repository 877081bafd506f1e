"""The demo data generator: realism, consistency, time semantics and determinism."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import phonenumbers

from core.config import ground_truth_path_for
from core.inflation.reference import cpi_index
from core.schema import Base
from data.generate import generate_demo_data
from data.generation.identity import COMPANY_PREFIXES, cuit_check_digit, is_valid_cuit
from data.reference import PROVINCES
from tests.data.conftest import SMALL_AS_OF

AS_OF_TEXT = SMALL_AS_OF.strftime("%Y-%m-%d %H:%M:%S.%f")


def frame(con: sqlite3.Connection, sql: str) -> pd.DataFrame:
    return pd.read_sql(sql, con)


# --------------------------------------------------------------------------- identity


def test_cuit_check_digit_matches_afip_examples() -> None:
    # Weights 5,4,3,2,7,6,5,4,3,2; r = 11 - sum mod 11; 11 -> 0; 10 is never issued.
    assert cuit_check_digit("2012345678") == 6
    assert is_valid_cuit("20-12345678-6")
    assert not is_valid_cuit("20-12345678-5")
    assert not is_valid_cuit("99-12345678-6")


def test_tenants_have_valid_cuits_consistent_with_tax_status(small_db) -> None:
    tenants = frame(small_db, "SELECT cuit, tax_status, legal_name, owner_name FROM tenants")
    assert tenants["cuit"].map(is_valid_cuit).all()
    assert tenants["cuit"].is_unique
    prefix = tenants["cuit"].str[:2]
    company = prefix.isin(COMPANY_PREFIXES)
    assert set(tenants.loc[company, "tax_status"]) <= {"Responsable Inscripto", "Exento"}
    assert set(tenants.loc[~company, "tax_status"]) <= {"Responsable Inscripto", "Monotributo"}
    # A person's legal name is the owner; a company's carries its legal form.
    assert (tenants.loc[~company, "legal_name"] == tenants.loc[~company, "owner_name"]).all()
    assert (
        tenants.loc[company, "legal_name"].str.contains(r"S\.R\.L\.|S\.A\.S\.|S\.A\.|Ltda\.").all()
    )


def test_phones_are_e164_with_the_province_area_code(small_db) -> None:
    tenants = frame(small_db, "SELECT phone, province FROM tenants")
    customers = frame(small_db, "SELECT phone FROM customers WHERE phone IS NOT NULL LIMIT 2000")
    for phone in pd.concat([tenants["phone"], customers["phone"]]):
        assert re.fullmatch(r"\+549\d{10}", phone), phone
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
    codes = {p.name: {c.area_code for c in p.cities} for p in PROVINCES}
    for phone, province in zip(tenants["phone"], tenants["province"], strict=True):
        assert any(phone[4:].startswith(code) for code in codes[province])


# --------------------------------------------------------------------------- calendar


def _daily_bookings(con: sqlite3.Connection) -> pd.Series:
    b = frame(con, f"SELECT start_at FROM bookings WHERE start_at < '{AS_OF_TEXT}'")
    days = pd.to_datetime(b["start_at"]).dt.normalize()
    return days.value_counts().sort_index()


def test_saturday_is_the_peak_and_sunday_mostly_closed(small_db) -> None:
    daily = _daily_bookings(small_db)
    full = daily.reindex(pd.date_range(daily.index.min(), daily.index.max()), fill_value=0)
    weekday = full.index.day_of_week
    ar = holidays.country_holidays("AR", years=[2026])
    normal = ~full.index.isin(pd.to_datetime(list(ar)))
    saturday = full[(weekday == 5) & normal].mean()
    weekdays = full[(weekday < 5) & normal].mean()
    sunday = full[(weekday == 6) & normal].mean()
    assert saturday > 1.3 * weekdays
    assert sunday < 0.25 * weekdays


def test_national_holidays_have_much_lower_demand(small_db) -> None:
    daily = _daily_bookings(small_db)
    full = daily.reindex(pd.date_range(daily.index.min(), daily.index.max()), fill_value=0)
    ar = holidays.country_holidays("AR", years=[2026])
    is_holiday = full.index.isin(pd.to_datetime(list(ar)))
    weekday = full.index.day_of_week < 5
    assert is_holiday[weekday].sum() >= 4
    assert full[is_holiday & weekday].mean() < 0.5 * full[~is_holiday & weekday].mean()


def test_prices_follow_inflation(small_db) -> None:
    b = frame(small_db, "SELECT service_id, start_at, price_ars FROM bookings")
    b["month"] = b["start_at"].str[:7]
    by_month = b.groupby(["service_id", "month"])["price_ars"].median().unstack()
    first, last = "2026-01", "2026-04"
    ratio = (by_month[last] / by_month[first]).dropna().median()
    expected = cpi_index([last], "2025-12")[0]  # roughly three months of CPI
    assert 1.0 < ratio < expected * 1.08
    assert (b["price_ars"] % 100 == 0).all()


# --------------------------------------------------------------------------- behaviour


def test_no_show_rates_vary_by_tenant(small_db) -> None:
    b = frame(small_db, f"SELECT tenant_id, status FROM bookings WHERE start_at < '{AS_OF_TEXT}'")
    rate = b.groupby("tenant_id")["status"].apply(lambda s: (s == "no_show").mean())
    assert 0.02 < rate.median() < 0.12
    assert rate.max() - rate.min() > 0.04
    assert rate.max() < 0.2


def test_payment_method_mix_and_fees(small_db) -> None:
    p = frame(small_db, "SELECT method, status, amount_ars, fee_ars FROM payments")
    share = p["method"].value_counts(normalize=True)
    assert share.idxmax() == "mercadopago"
    assert 0.35 < share["mercadopago"] < 0.6
    assert 0.1 < share["cash"] < 0.35
    assert set(share.index) == {"mercadopago", "cash", "card", "transfer"}
    approved = p[p["status"] == "approved"]
    fee = (approved["fee_ars"] / approved["amount_ars"]).groupby(approved["method"]).mean()
    assert 0.04 <= fee["mercadopago"] <= 0.06
    assert 0.025 <= fee["card"] <= 0.035
    assert fee["cash"] == 0 and fee["transfer"] == 0
    status = p["status"].value_counts(normalize=True)
    assert status["approved"] > 0.9
    assert {"rejected", "refunded"} <= set(status.index)


def test_some_completed_bookings_are_unpaid_or_mismatched(small_db) -> None:
    sql = """
        SELECT b.id, b.price_ars, COALESCE(SUM(CASE WHEN p.status = 'approved'
               THEN p.amount_ars END), 0) AS paid
        FROM bookings b LEFT JOIN payments p ON p.booking_id = b.id
        WHERE b.status = 'completed' GROUP BY b.id, b.price_ars
    """
    r = frame(small_db, sql)
    off = (r["paid"] - r["price_ars"]).abs() > 0.5
    assert 0.02 < off.mean() < 0.12


def test_customers_come_back_every_few_weeks(small_db) -> None:
    b = frame(small_db, "SELECT customer_id, start_at FROM bookings WHERE status = 'completed'")
    b["start"] = pd.to_datetime(b["start_at"])
    gaps = b.sort_values("start").groupby("customer_id")["start"].diff().dt.days.dropna()
    assert 14 <= gaps.median() <= 45
    visits = b.groupby("customer_id").size()
    assert visits.max() >= 3 and (visits == 1).mean() > 0.1


def test_walk_ins_are_created_when_they_start(small_db) -> None:
    b = frame(small_db, "SELECT channel, created_at, start_at FROM bookings")
    lead = (pd.to_datetime(b["start_at"]) - pd.to_datetime(b["created_at"])).dt.total_seconds()
    walk = b["channel"] == "walk_in"
    assert (lead[walk] <= 300).all() and (lead >= 0).all()
    assert lead[b["channel"] == "app"].median() > lead[b["channel"] == "whatsapp"].median()


# --------------------------------------------------------------------------- time


# Reference data the console itself seeds when it migrates a database (stamped with the
# wall clock, the same for every data set): not part of the generated history.
SEEDED_ON_MIGRATE = {"console_cpi_monthly"}


def test_nothing_is_stamped_after_generation_now(small_db) -> None:
    stamped = [
        (t.name, c.name)
        for t in Base.metadata.sorted_tables
        if t.name not in SEEDED_ON_MIGRATE
        for c in t.columns
        if c.name
        in {
            "updated_at",
            "created_at",
            "occurred_at",
            "opened_at",
            "closed_at",
            "paid_on",
            "responded_at",
            "triggered_at",
            "activated_at",
            "referred_at",
            "completed_at",
            "entered_at",
            "started_at",
        }
    ]
    for table, column in stamped:
        latest = small_db.execute(f"SELECT MAX({column}) FROM {table}").fetchone()[0]
        if latest is not None:
            assert latest <= AS_OF_TEXT, (table, column, latest)


def test_only_future_bookings_are_scheduled(small_db) -> None:
    b = frame(small_db, "SELECT status, start_at, duration_min, created_at FROM bookings")
    start = pd.to_datetime(b["start_at"])
    past = start < SMALL_AS_OF
    assert set(b.loc[past, "status"]) <= {"completed", "cancelled", "no_show"}
    assert set(b.loc[~past, "status"]) <= {"scheduled", "cancelled"}
    assert (b.loc[~past, "status"] == "scheduled").mean() > 0.8
    assert start.max() < SMALL_AS_OF + pd.Timedelta(days=14)
    assert (pd.to_datetime(b["created_at"]) <= SMALL_AS_OF).all()


def test_updated_at_tells_when_a_booking_last_changed(small_db) -> None:
    b = frame(
        small_db, "SELECT status, created_at, start_at, duration_min, updated_at FROM bookings"
    )
    created, start = pd.to_datetime(b["created_at"]), pd.to_datetime(b["start_at"])
    updated = pd.to_datetime(b["updated_at"])
    end = start + pd.to_timedelta(b["duration_min"], unit="m")
    done = b["status"] == "completed"
    assert (updated[done] >= end[done]).all()
    cancelled = b["status"] == "cancelled"
    assert (
        (updated[cancelled] > created[cancelled]) & (updated[cancelled] < start[cancelled])
    ).all()
    sched = b["status"] == "scheduled"
    assert (updated[sched] == created[sched]).all()


# --------------------------------------------------------------------------- lifecycle


def test_subscriptions_are_consistent_with_churn(small_db) -> None:
    tenants = frame(
        small_db,
        "SELECT id, status, churned_on, churn_reason, plan, tier, signup_date FROM tenants",
    )
    subs = frame(small_db, "SELECT * FROM subscriptions ORDER BY tenant_id, started_on")
    for t in tenants.itertuples():
        own = subs[subs["tenant_id"] == t.id]
        assert len(own) >= 1
        assert own.iloc[0]["change_reason"] == "new" and own.iloc[0]["started_on"] == t.signup_date
        ends = own["ended_on"].to_numpy()
        starts = own["started_on"].to_numpy()
        assert all(not pd.isna(e) and e <= s for e, s in zip(ends[:-1], starts[1:], strict=True))
        last = own.iloc[-1]
        if t.status == "churned":
            assert last["ended_on"] == t.churned_on and t.churn_reason is not None
        else:
            assert pd.isna(last["ended_on"]) and pd.isna(t.churned_on)
            assert last["plan"] == t.plan and last["tier"] == t.tier
    assert set(subs["change_reason"]) >= {"new", "price_update"}
    inv = frame(
        small_db,
        "SELECT i.issued_on, s.started_on, s.ended_on, i.amount_ars, s.mrr_ars "
        "FROM invoices i JOIN subscriptions s ON s.id = i.subscription_id",
    )
    assert (inv["issued_on"] >= inv["started_on"]).all()
    assert ((inv["ended_on"].isna()) | (inv["issued_on"] < inv["ended_on"])).all()
    assert (inv["amount_ars"] == inv["mrr_ars"]).all()


def test_onboarding_sessions_precede_their_tenants(small_db) -> None:
    s = frame(
        small_db,
        "SELECT s.status, s.activated_at, s.tenant_id, s.verification_status, "
        "t.signup_date, t.created_at FROM onboarding_sessions s "
        "LEFT JOIN tenants t ON t.id = s.tenant_id",
    )
    act = s[s["status"] == "activated"]
    assert act["tenant_id"].notna().all()
    assert (act["activated_at"] == act["created_at"]).all()
    assert (act["activated_at"].str[:10] == act["signup_date"]).all()
    assert set(act["verification_status"]) <= {"auto_approved", "approved"}
    new_tenants = small_db.execute(
        "SELECT COUNT(*) FROM tenants WHERE signup_date >= '2026-01-10'"
    ).fetchone()[0]
    assert len(act) == new_tenants
    first = frame(
        small_db, "SELECT tenant_id, MIN(created_at) AS first FROM bookings GROUP BY tenant_id"
    )
    merged = act.merge(first, on="tenant_id")
    assert (merged["activated_at"] <= merged["first"]).all()
    assert {"abandoned", "rejected"} <= set(s["status"])


def test_interventions_are_worked_only_when_treated(small_db) -> None:
    iv = frame(
        small_db,
        "SELECT i.*, t.cs_owner_id FROM cs_interventions i JOIN tenants t ON t.id = i.tenant_id",
    )
    assert len(iv) > 0
    assert set(iv["arm"]) <= {"treated", "holdout"}
    hold = iv[iv["arm"] == "holdout"]
    assert hold[["action", "outcome", "closed_at"]].isna().all().all()
    assert (iv["owner_id"] == iv["cs_owner_id"]).all()
    roles = dict(small_db.execute("SELECT id, role FROM console_users").fetchall())
    assert {roles[o] for o in iv["owner_id"]} == {"cs_manager"}


def test_ground_truth_is_beside_the_database_not_in_it(small_set: Path, small_db) -> None:
    path = ground_truth_path_for(f"sqlite:///{small_set}")
    assert path.parent == small_set.parent and path.exists()
    truth = json.loads(path.read_text())
    ids = {str(r[0]) for r in small_db.execute("SELECT id FROM tenants")}
    assert set(truth["tenants"]) == ids
    one = next(iter(truth["tenants"].values()))
    assert set(one["traits"]) == {"engagement", "quality", "price_pressure", "payment_reliability"}
    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in one["monthly_hazard"])
    assert truth["intervention"]["hazard_multiplier"] < 1
    assert truth["today"] == "2026-04-10" and truth["seed"] == 11
    tables = {r[0] for r in small_db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables <= {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
    columns = {r[1] for t in tables for r in small_db.execute(f"PRAGMA table_info({t})")}
    assert not columns & {"engagement", "quality", "hazard", "price_pressure", "decline"}


def test_foreign_keys_hold(small_db) -> None:
    assert small_db.execute("PRAGMA foreign_key_check").fetchall() == []


# --------------------------------------------------------------------------- determinism


def _dump(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    try:
        return {
            t.name: con.execute(f"SELECT * FROM {t.name} ORDER BY 1").fetchall()
            for t in Base.metadata.sorted_tables
            if t.name not in SEEDED_ON_MIGRATE
        }
    finally:
        con.close()


def test_same_seed_and_day_give_identical_data(tmp_path: Path) -> None:
    paths = [tmp_path / "a" / "demo.db", tmp_path / "b" / "demo.db"]
    for path in paths:
        path.parent.mkdir()
        generate_demo_data(f"sqlite:///{path}", tenants=8, months=2, seed=3, today=date(2026, 6, 1))
    first, second = (_dump(p) for p in paths)
    assert sum(len(v) for v in first.values()) > 1000
    for table in first:
        assert first[table] == second[table], table
    truths = [p.with_suffix(".ground_truth.json").read_text() for p in paths]
    assert truths[0] == truths[1]
    other = tmp_path / "c.db"
    generate_demo_data(f"sqlite:///{other}", tenants=8, months=2, seed=4, today=date(2026, 6, 1))
    assert _dump(other)["bookings"] != first["bookings"]


def test_bookings_carry_strictly_increasing_ids_by_creation(small_db) -> None:
    b = frame(small_db, "SELECT id FROM bookings ORDER BY id")
    assert np.all(np.diff(b["id"].to_numpy()) == 1)
