"""Generate the whole demo data set and load it in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from core.config import ground_truth_path_for
from core.db import write_unit
from core.schema import Base
from data.demo_guard import record_demo_marker
from data.generation import billing, engagement, onboarding
from data.generation.bookings import US_PER_DAY, US_PER_MIN, BatchTables, generate_batch
from data.generation.context import Calendar, GenerationParams, build_calendar, stream, to_day
from data.generation.lifecycle import Lifecycle, simulate_lifecycle
from data.generation.payments import generate_payments
from data.generation.pricing import PLAN_TIER, plan_price_table, tenant_price_factors
from data.generation.schedules import hhmm, location_hours, shift_arrays, week_rows
from data.generation.tenants import World, build_world
from data.generation.truth import truth_document, write_truth
from data.generation.writer import BulkWriter

BATCH_TENANTS = 16
# Tables the generator fills; console_ tables hold what the console derives from them.
DATA_TABLES = tuple(
    t.name
    for t in Base.metadata.sorted_tables
    if not t.name.startswith("console_") or t.name == "console_users"
)
# Reference data the console seeds and admins edit (the CPI series): --replace keeps it.
REFERENCE_TABLES = ("console_cpi_monthly",)
DERIVED_TABLES = (
    "console_snapshot_frames",
    "console_metric_snapshots",
    "console_rollup_tenant_day",
    "console_rollup_day",
    "console_watermarks",
)


class DatabaseNotEmptyError(RuntimeError):
    """The target database already holds platform data."""


@dataclass
class GenerationReport:
    counts: dict[str, int]
    seconds: float
    truth_path: Path
    today: date
    timings: dict[str, float] = field(default_factory=dict)


def existing_tenants(engine: Engine) -> int:
    """How many tenants the database holds."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM tenants")).scalar_one())


def has_platform_data(engine: Engine) -> bool:
    """Whether any table the generator fills already has a row."""
    with engine.connect() as conn:
        for name in DATA_TABLES:
            if conn.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None:
                return True
    return False


def build_world_and_lifecycle(params: GenerationParams) -> tuple[Calendar, World, Lifecycle]:
    """The calendar, the tenants' world and their latent lifecycle, ready for bookings."""
    cal = build_calendar(params)
    world = build_world(params, cal)
    life = simulate_lifecycle(params, cal, world.tenants, world.staff, world.locations)
    _finalize_world(world, life, cal)
    return cal, world, life


def booking_batches(
    params: GenerationParams, world: World, life: Lifecycle, cal: Calendar
) -> Iterator[tuple[int, BatchTables]]:
    """Customers and bookings, BATCH_TENANTS tenants at a time, in generation order."""
    t = world.tenants
    price_factor = price_factors(t, cal)
    for b_no, lo in enumerate(range(0, len(t), BATCH_TENANTS)):
        yield (
            b_no,
            generate_batch(
                seed=params.seed,
                batch_no=b_no,
                tenant_idx=np.arange(lo, min(lo + BATCH_TENANTS, len(t))),
                tenants=t,
                locations=world.locations,
                staff=world.staff,
                services=world.services,
                life=life,
                cal=cal,
                price_factor=price_factor,
            ),
        )


def price_factors(tenants: pd.DataFrame, cal: Calendar) -> np.ndarray:
    """``(tenants, months)`` factors from signup list prices to each month's prices."""
    return tenant_price_factors(
        tenants["signup_day"].to_numpy(),
        tenants["reprice_every"].to_numpy(),
        tenants["reprice_phase"].to_numpy(),
        cal,
    )


def current_catalog(
    services: pd.DataFrame, tenants: pd.DataFrame, cal: Calendar
) -> tuple[np.ndarray, np.ndarray]:
    """Each service's list price now and the day it was last repriced.

    A shop reprices its menu when it raises what it charges, so the list price follows
    the bookings' prices (same factor, same rounding) up to today's month, or up to the
    month the tenant churned; it last changed on the first day of its latest repricing
    month (never before signup).
    """
    factor = price_factors(tenants, cal)
    today = to_day(cal.today)
    churned = tenants["churned_on"].to_numpy()
    last_day = np.where(churned >= 0, np.minimum(churned - 1, today), today)
    last_month = cal.month_index[np.clip(last_day - cal.day0, 0, len(cal.days) - 1)]
    n_t = len(tenants)
    changed = np.c_[factor[:, 0] != 1.0, factor[:, 1:] != factor[:, :-1]]
    months = np.arange(factor.shape[1])[None, :]
    month_no = np.where(changed & (months <= last_month[:, None]), months, -1).max(axis=1)
    signup = tenants["signup_day"].to_numpy()
    repriced_day = np.where(
        month_no >= 0, np.maximum(cal.month_start[np.maximum(month_no, 0)], signup), signup
    )
    sv_t = services["tenant_idx"].to_numpy()
    now_factor = factor[np.arange(n_t), last_month][sv_t]
    price = np.maximum(np.round(services["price_ars"].to_numpy() * now_factor / 100) * 100, 100.0)
    return price, repriced_day[sv_t]


def _finalize_world(world: World, life: Lifecycle, cal: Calendar) -> None:
    """Drop what never existed (openings after churn), assign ids, set final tenant state."""
    t = world.tenants
    loc = world.locations
    late_ok = life.active_mask(loc["tenant_idx"].to_numpy(), loc["opened_day"].to_numpy())
    loc = loc[~loc["late_opening"].to_numpy() | late_ok].copy()
    loc = loc.sort_values(["tenant_idx", "opened_day"], kind="stable")
    new_pos = pd.Series(np.arange(len(loc)), index=loc.index)
    loc = loc.reset_index(drop=True)
    loc["id"] = np.arange(1, len(loc) + 1)
    staff = world.staff[world.staff["location_idx"].isin(new_pos.index)].copy()
    staff["location_idx"] = new_pos[staff["location_idx"]].to_numpy()
    signup = t["signup_day"].to_numpy()[staff["tenant_idx"].to_numpy()]
    hired_later = staff["hired_day"].to_numpy() >= signup
    ok = ~hired_later | life.active_mask(
        staff["tenant_idx"].to_numpy(), staff["hired_day"].to_numpy()
    )
    staff = staff[ok].sort_values(["location_idx", "hired_day"], kind="stable")
    staff = staff.reset_index(drop=True)
    staff["id"] = np.arange(1, len(staff) + 1)
    world.locations, world.staff = loc, staff
    world.services = world.services.reset_index(drop=True)
    world.services["id"] = np.arange(1, len(world.services) + 1)
    t["n_locations"] = loc.groupby("tenant_idx").size().reindex(t.index, fill_value=1)

    last_kind: dict[int, tuple[int, str]] = {}
    for i, day, kind, _ in life.events:
        if kind in ("churn", "reactivation"):
            last_kind[i] = (day, kind)
    churned = np.array([last_kind.get(i, (0, ""))[1] == "churn" for i in t.index])
    t["status"] = np.where(churned, "churned", "active")
    t["churned_on"] = np.where(churned, life.churn_day, -1)
    t["churn_reason"] = [r if c else None for r, c in zip(life.churn_reason, churned, strict=True)]


def _us(day: np.ndarray, minute: np.ndarray | int) -> np.ndarray:
    return (
        np.asarray(day, dtype=np.int64) * US_PER_DAY
        + np.asarray(minute, dtype=np.int64) * US_PER_MIN
    )


def generate(
    engine: Engine,
    database_url: str,
    params: GenerationParams,
    *,
    replace: bool = False,
    on_progress: Callable[[str, int], None] | None = None,
    total_callback: Callable[[int], None] | None = None,
) -> GenerationReport:
    """Generate the demo data set into ``engine`` and its truth file beside the database.

    Parameters
    ----------
    engine
        Engine of the migrated target database.
    database_url
        Its URL (decides where the ground-truth file goes).
    params
        Size, seed and ``today``.
    replace
        Empty every platform and console table first (in the same transaction);
        without it, a database that already holds platform data is refused.
    on_progress, total_callback
        Progress hooks: total steps once, then ``(step name, steps done)``.

    Raises
    ------
    DatabaseNotEmptyError
        When the database holds platform data and ``replace`` is false.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    if not replace and has_platform_data(engine):
        raise DatabaseNotEmptyError(
            f"the database already has data ({existing_tenants(engine)} tenants); "
            "use --replace to overwrite it or --if-empty to leave it as it is"
        )
    progress = on_progress or (lambda _name, _n: None)
    cal, world, life = build_world_and_lifecycle(params)
    t = world.tenants
    prices = plan_price_table(cal)
    subs, final_plan, last_change = billing.build_subscriptions(
        params.seed, t, world.locations, life, prices, cal
    )
    t["plan"] = final_plan
    t["tier"] = [PLAN_TIER[p] for p in final_plan]
    invoices = billing.build_invoices(params.seed, subs, t, life, cal)
    timings["world_and_lifecycle"] = time.perf_counter() - started

    if total_callback:
        total_callback(-(-len(t) // BATCH_TENANTS) + 4)
    done = 0
    as_of_us = to_day(cal.today) * US_PER_DAY
    activated = _us(t["signup_day"], t["activated_minute"])

    with BulkWriter(engine) as out:
        if replace:
            out.truncate(
                [
                    tb.name
                    for tb in reversed(Base.metadata.sorted_tables)
                    if tb.name not in REFERENCE_TABLES
                ]
            )
        else:
            out.truncate(list(DERIVED_TABLES))
        _write_static(out, world, t, activated, last_change, cal)
        done += 1
        progress("tenants", done)

        next_customer = next_booking = next_payment = 1
        t_gen = t_write = 0.0
        a = time.perf_counter()
        for b_no, tables in booking_batches(params, world, life, cal):
            pay = generate_payments(
                stream(params.seed, "payments", b_no),
                tables.bookings,
                tables.booking_extra,
                t,
                as_of_us,
            )
            c, bk = tables.customers, tables.bookings
            c["id"] = next_customer + c.pop("rank")
            bk["id"] = next_booking + np.arange(len(bk["status"]))
            bk["customer_id"] = next_customer + bk.pop("customer_rank")
            pay["id"] = next_payment + np.arange(len(pay["status"]))
            pay["booking_id"] = bk["id"][pay.pop("booking_rank")]
            b = time.perf_counter()
            out.write("customers", c)
            out.write("bookings", bk)
            out.write("payments", pay)
            t_write += time.perf_counter() - b
            t_gen += b - a
            next_customer += len(c["id"])
            next_booking += len(bk["id"])
            next_payment += len(pay["id"])
            done += 1
            progress("bookings", done)
            a = time.perf_counter()
        timings["bookings_generate"] = t_gen
        timings["bookings_write"] = t_write

        a = time.perf_counter()
        out.write("subscriptions", {k: v for k, v in subs.items() if k != "tenant_idx"})
        out.write("invoices", invoices)
        out.write("support_tickets", engagement.support_tickets(params.seed, t, life, cal))
        out.write("nps_responses", engagement.nps_responses(params.seed, t, life))
        done += 1
        progress("billing and support", done)
        out.write("admin_activity", engagement.admin_activity(params.seed, t, life, cal))
        staff_counts = (
            world.staff.groupby("tenant_idx").size().reindex(t.index, fill_value=1).to_numpy()
        )
        sessions, steps = onboarding.build_onboarding(
            params.seed, t, staff_counts, world.console_users, cal
        )
        out.write("onboarding_sessions", sessions)
        out.write("onboarding_step_events", steps)
        out.write("cs_interventions", engagement.cs_interventions(params.seed, t, life, cal))
        done += 1
        progress("activity and onboarding", done)
        timings["other_tables"] = time.perf_counter() - a
        a = time.perf_counter()
    timings["indexes_and_commit"] = time.perf_counter() - a
    # Marks the database as the generator's, so the simulator and a later --replace know
    # they are not writing over real data.
    with write_unit(engine) as session:
        record_demo_marker(
            session,
            {
                "tenants": params.tenants,
                "months": params.months,
                "seed": params.seed,
                "today": params.today.isoformat(),
            },
            at=cal.as_of,
        )
    done += 1
    progress("commit", done)

    truth_path = ground_truth_path_for(database_url)
    write_truth(truth_path, truth_document(params, cal, t, life))
    return GenerationReport(
        out.counts, time.perf_counter() - started, truth_path, cal.today, timings
    )


def _write_static(
    out: BulkWriter,
    world: World,
    t: pd.DataFrame,
    activated: np.ndarray,
    last_change: np.ndarray,
    cal: Calendar,
) -> None:
    p = world.partners
    out.write(
        "partners",
        {
            "id": p["id"].to_numpy(),
            "name": p["name"].to_numpy(),
            "kind": p["kind"].to_numpy(),
            "revenue_share_pct": p["revenue_share_pct"].to_numpy(dtype=float),
            "created_at": _us(p["created_day"], 10 * 60),
            "updated_at": _us(p["created_day"], 10 * 60),
        },
    )
    u = world.console_users
    users_at = _us(np.full(len(u), to_day(cal.window_start) - 60), 9 * 60)
    out.write(
        "console_users",
        {
            **{k: u[k].to_numpy() for k in ("id", "full_name", "email", "role", "active")},
            "updated_at": users_at,
        },
    )
    out.write(
        "tenants",
        {
            **{
                k: t[k].to_numpy()
                for k in (
                    "id",
                    "legal_name",
                    "trade_name",
                    "cuit",
                    "tax_status",
                    "vertical",
                    "plan",
                    "tier",
                    "province",
                    "city",
                    "owner_name",
                    "email",
                    "phone",
                    "status",
                    "churn_reason",
                    "cs_owner_id",
                )
            },
            "signup_date": t["signup_day"].to_numpy(),
            "churned_on": t["churned_on"].to_numpy(),
            "partner_id": np.where(t["partner_id"] > 0, t["partner_id"], np.nan),
            "created_at": activated,
            "updated_at": np.maximum(last_change, activated),
        },
    )
    loc = world.locations
    signup = t["signup_day"].to_numpy()
    minute = t["activated_minute"].to_numpy()
    loc_t = loc["tenant_idx"].to_numpy()
    out.write(
        "locations",
        {
            **{
                k: loc[k].to_numpy()
                for k in ("id", "name", "address", "province", "city", "latitude", "longitude")
            },
            "tenant_id": t["id"].to_numpy()[loc_t],
            "opened_on": loc["opened_day"].to_numpy(),
            "updated_at": _us(np.maximum(loc["opened_day"], signup[loc_t]), minute[loc_t]),
        },
    )
    st = world.staff
    st_t = st["tenant_idx"].to_numpy()
    out.write(
        "staff",
        {
            **{k: st[k].to_numpy() for k in ("id", "full_name", "role", "weekly_minutes")},
            "tenant_id": t["id"].to_numpy()[st_t],
            "location_id": loc["id"].to_numpy()[st["location_idx"].to_numpy()],
            "active": np.ones(len(st), dtype=bool),
            "hired_on": st["hired_day"].to_numpy(),
            "updated_at": _us(np.maximum(st["hired_day"], signup[st_t]), minute[st_t]),
        },
    )
    loc_id = loc["id"].to_numpy()
    open_m, close_m = location_hours(loc)
    owner, weekday, opens, closes = week_rows(loc_id, open_m, close_m)
    loc_stamp = _us(np.maximum(loc["opened_day"], signup[loc_t]), minute[loc_t])
    out.write(
        "location_opening_hours",
        {
            "id": np.arange(1, len(owner) + 1),
            "location_id": owner,
            "weekday": weekday,
            "opens": hhmm(opens),
            "closes": hhmm(closes),
            "updated_at": loc_stamp[owner - 1],
        },
    )
    starts, ends = shift_arrays(st)
    owner, weekday, opens, closes = week_rows(st["id"].to_numpy(), starts, ends)
    staff_stamp = _us(np.maximum(st["hired_day"], signup[st_t]), minute[st_t])
    out.write(
        "staff_working_hours",
        {
            "id": np.arange(1, len(owner) + 1),
            "staff_id": owner,
            "weekday": weekday,
            "starts": hhmm(opens),
            "ends": hhmm(closes),
            "updated_at": staff_stamp[owner - 1],
        },
    )
    sv = world.services
    sv_t = sv["tenant_idx"].to_numpy()
    price, repriced_day = current_catalog(sv, t, cal)
    out.write(
        "services",
        {
            **{k: sv[k].to_numpy() for k in ("id", "name", "category", "duration_min")},
            "price_ars": price,
            "tenant_id": t["id"].to_numpy()[sv_t],
            "active": np.ones(len(sv), dtype=bool),
            # Repriced before opening; never stamped after the generation's now.
            "updated_at": np.maximum(
                np.minimum(_us(repriced_day, 8 * 60), _us(to_day(cal.today), 0) - US_PER_MIN),
                activated[sv_t],
            ),
        },
    )
    r = world.referrals
    out.write(
        "referrals",
        {
            "id": np.arange(1, len(r) + 1),
            "partner_id": r["partner_id"].to_numpy(),
            "tenant_id": r["tenant_id"].to_numpy(),
            "referred_at": _us(r["day"], r["minute"]),
            "attribution": r["attribution"].to_numpy(),
            "updated_at": _us(r["day"], r["minute"]),
        },
    )
