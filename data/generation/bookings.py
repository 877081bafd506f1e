"""Customers and their appointments, generated per batch of tenants with numpy only.

Bookings come from customers, not from a daily quota: every professional has a pool
of clients who arrive over time and lapse after a while; regulars come back every
few weeks (a barbershop regular every 3-6 weeks, nails every 2-4), occasional clients
now and then. Their visits are then shaped by the calendar and by the tenant:

* the visit moves to a day of its week by the location's weekday profile (Saturday
  peak, Monday slow or closed, Sunday mostly closed);
* national holidays, the January summer dip and the December peak thin visits out;
* the tenant's latent demand (which falls during a decline) thins each customer out;
* each professional's day holds only what fits in its opening hours.

No Python loop runs per booking or per customer; loops run per tenant at most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.generation.context import Calendar, stream, to_day
from data.generation.identity import full_names, phone_numbers, random_people
from data.generation.lifecycle import Lifecycle
from data.generation.schedules import location_hours, shift_arrays
from data.generation.tenants import CHANNELS, VISITS_PER_STAFF_DAY

US_PER_MIN = 60_000_000
US_PER_DAY = 1440 * US_PER_MIN

# Customer mix per vertical: share of regulars, their cycle (days), occasional gap (days).
CUSTOMER_MIX = {
    "barbershop": (0.55, (21, 42), (60, 150)),
    "salon": (0.45, (28, 56), (60, 180)),
    "nails": (0.60, (14, 28), (45, 120)),
    "spa": (0.30, (28, 70), (60, 180)),
}
LIFETIME_DAYS = (520.0, 300.0)  # mean customer lifetime: regular, occasional
WEEKDAY_WEIGHT = np.array([0.75, 0.85, 0.9, 1.0, 1.25, 1.6, 0.55])  # Mon..Sun
# Seasonality by calendar month: January summer dip, December peak.
SEASON = np.array([0.72, 0.86, 1.0, 0.98, 0.97, 0.96, 1.0, 0.98, 1.0, 1.02, 1.05, 1.2])
SEASON_MAX = 1.2
DEMAND_MAX = 1.35
HOLIDAY_KEEP = 0.18
MIGRATED_SHARE = 0.75  # of a new tenant's steady clientele that moves onto the platform
# Lead time (median days, log-sd) by channel: whatsapp, web, app, instagram, walk_in.
LEAD_MEDIAN = np.array([1.2, 3.0, 6.0, 2.0, 0.0])
LEAD_SIGMA = np.array([1.0, 1.0, 0.9, 1.0, 0.0])
NOSHOW_CHANNEL = np.array([1.1, 1.0, 0.7, 1.4, 0.0])
CANCEL_CHANNEL = np.array([1.0, 1.1, 1.0, 1.2, 0.0])
RESCHEDULE_SHARE = 0.35


@dataclass
class BatchTables:
    customers: dict[str, np.ndarray]
    bookings: dict[str, np.ndarray]
    booking_extra: dict[str, np.ndarray]  # per booking, for payments (not written)


def _group_cumsum(values: np.ndarray, new_group: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting where ``new_group`` is True (rows already sorted)."""
    total = np.cumsum(values)
    starts = np.flatnonzero(new_group)
    lengths = np.diff(np.append(starts, len(values)))
    offset = np.repeat(total[starts] - values[starts], lengths)
    return total - offset


def _expected_rate(lo: float, hi: float) -> float:
    """E[1/X] for X uniform on [lo, hi]: visits per day of a customer with that cycle."""
    return float(np.log(hi / lo) / (hi - lo))


def generate_batch(
    *,
    seed: int,
    batch_no: int,
    tenant_idx: np.ndarray,
    tenants: pd.DataFrame,
    locations: pd.DataFrame,
    staff: pd.DataFrame,
    services: pd.DataFrame,
    life: Lifecycle,
    cal: Calendar,
    price_factor: np.ndarray,
) -> BatchTables:
    """Customers and bookings of the tenants ``tenant_idx`` (positions in ``tenants``)."""
    rng = stream(seed, "bookings", batch_no)
    day0, horizon = cal.day0, to_day(cal.horizon_end)
    window_start = to_day(cal.window_start)
    as_of_us = int(np.datetime64(cal.as_of, "us").astype(np.int64))

    st = staff[staff["tenant_idx"].isin(tenant_idx)].sort_values(["location_idx", "id"])
    st = st.reset_index(drop=True)
    n_staff = len(st)
    s_tenant = st["tenant_idx"].to_numpy()
    s_loc = st["location_idx"].to_numpy()
    t_rows = tenants.iloc[s_tenant]
    vertical = t_rows["vertical"].to_numpy()
    loc_rows = locations.iloc[s_loc]
    open_m, close_m = location_hours(locations)
    loc_open_days = (close_m[s_loc] > open_m[s_loc]).sum(axis=1)
    # Each professional books inside their own shifts (stored as staff working hours).
    s_open, s_close = shift_arrays(st)
    works = s_close > s_open
    weekday_w = np.where(works, WEEKDAY_WEIGHT[None, :], 0.0)
    s_start = np.maximum.reduce(
        [
            st["hired_day"].to_numpy(),
            loc_rows["opened_day"].to_numpy(),
            t_rows["signup_day"].to_numpy(),
        ]
    )
    avail = st["availability"].to_numpy()
    rng.random(n_staff)  # (was a shift offset; kept so the later draws stay the same)
    per_open_day = (
        np.array([VISITS_PER_STAFF_DAY[v] for v in vertical])
        * avail
        * t_rows["utilization"].to_numpy()
    )
    # Demand is the clientele's, by the location's open days; shifts only cap it.
    daily_target = per_open_day * loc_open_days / 7.0

    # --- customer pools per professional ---
    reg_share = np.array([CUSTOMER_MIX[v][0] for v in vertical])
    reg_rate = np.array([_expected_rate(*CUSTOMER_MIX[v][1]) for v in vertical])
    occ_rate = np.array([_expected_rate(*CUSTOMER_MIX[v][2]) for v in vertical])
    mu_reg, mu_occ = LIFETIME_DAYS
    visits_per_arrival = reg_share * mu_reg * reg_rate + (1 - reg_share) * mu_occ * occ_rate
    alpha = daily_target * DEMAND_MAX * SEASON_MAX / visits_per_arrival  # arrivals per day
    t0 = np.maximum(s_start, window_start)
    pre = s_start < window_start
    original = st["hired_day"].to_numpy() <= t_rows["signup_day"].to_numpy()
    pool_scale = np.where(pre, 1.0, np.where(original, MIGRATED_SHARE, 0.25))
    n_pool = rng.poisson(alpha * pool_scale * (reg_share * mu_reg + (1 - reg_share) * mu_occ))
    n_arrive = rng.poisson(alpha * np.maximum(horizon - t0, 0))
    c_staff = np.concatenate(
        [np.repeat(np.arange(n_staff), n_pool), np.repeat(np.arange(n_staff), n_arrive)]
    )
    in_pool = np.concatenate([np.ones(n_pool.sum(), bool), np.zeros(n_arrive.sum(), bool)])
    n_cust = len(c_staff)
    c_tenant = s_tenant[c_staff]
    c_vert = vertical[c_staff]
    # Pool customers are regulars in proportion to their longer lives.
    pool_reg_p = reg_share * mu_reg / (reg_share * mu_reg + (1 - reg_share) * mu_occ)
    regular = rng.random(n_cust) < np.where(in_pool, pool_reg_p[c_staff], reg_share[c_staff])
    lo_reg = np.array([CUSTOMER_MIX[v][1][0] for v in c_vert], dtype=float)
    hi_reg = np.array([CUSTOMER_MIX[v][1][1] for v in c_vert], dtype=float)
    lo_occ = np.array([CUSTOMER_MIX[v][2][0] for v in c_vert], dtype=float)
    hi_occ = np.array([CUSTOMER_MIX[v][2][1] for v in c_vert], dtype=float)
    u = rng.random(n_cust)
    # 1/cycle uniform between the bounds' inverses matches E[1/X] used for alpha.
    cycle = np.where(regular, lo_reg + u * (hi_reg - lo_reg), lo_occ + u * (hi_occ - lo_occ))
    life_mean = np.where(regular, mu_reg, mu_occ)
    c_t0 = t0[c_staff].astype(float)
    migrating = in_pool & ~pre[c_staff]
    first = np.where(
        in_pool,
        c_t0
        + np.where(migrating, rng.exponential(25.0, n_cust), 0.0)
        + np.where(regular, rng.random(n_cust) * cycle, rng.exponential(cycle)),
        c_t0 + rng.random(n_cust) * np.maximum(horizon - c_t0, 0),
    )
    stop = np.minimum(np.where(in_pool, c_t0, first) + rng.exponential(life_mean), horizon)
    # A pre-window pool customer joined some time before the window.
    joined = np.where(
        in_pool & pre[c_staff],
        c_t0 - rng.random(n_cust) * np.minimum(730, c_t0 - s_start[c_staff]),
        np.nan,
    )
    span = np.maximum(stop - first, 0.0)
    n_visits = np.where(
        first < stop,
        np.where(regular, np.floor(span / cycle) + 1, 1 + rng.poisson(span / cycle)),
        0,
    ).astype(np.int64)

    # --- visits ---
    v_cust = np.repeat(np.arange(n_cust), n_visits)
    k = np.arange(len(v_cust)) - np.repeat(np.cumsum(n_visits) - n_visits, n_visits)
    v_reg = regular[v_cust]
    t = np.where(
        v_reg,
        first[v_cust] + k * cycle[v_cust] + rng.normal(0, 0.08, len(v_cust)) * cycle[v_cust],
        np.where(k == 0, first[v_cust], first[v_cust] + rng.random(len(v_cust)) * span[v_cust]),
    )
    day_nom = np.floor(t).astype(np.int64)
    v_staff = c_staff[v_cust]
    # Move each visit to a day of its week by the location's weekday profile.
    week_start = day_nom - (day_nom + 3) % 7
    cum_w = np.cumsum(weekday_w, axis=1)
    cum_w = cum_w / cum_w[:, -1:]
    flat = (np.arange(n_staff)[:, None] + cum_w).ravel()
    pick = np.searchsorted(flat, v_staff + rng.random(len(v_staff)), side="right")
    dow = np.minimum(pick - v_staff * 7, 6)
    day = week_start + dow
    v_tenant = s_tenant[v_staff]
    keep = (day >= np.maximum(s_start[v_staff], window_start)) & (day < horizon)
    keep &= life.active_mask(v_tenant, np.where(keep, day, window_start))
    v_cust, v_staff, v_tenant, day, dow = (a[keep] for a in (v_cust, v_staff, v_tenant, day, dow))

    # --- thinning: the tenant's demand (per customer) and the calendar (per visit) ---
    di = day - day0
    cal_month = cal.month_index[di]
    hist = len(life.months)
    demand = life.demand[v_tenant, np.minimum(cal_month, hist - 1)]
    cust_u = rng.random(n_cust)[v_cust]
    month_no = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    season = SEASON[month_no] * np.where(cal.holiday[di], HOLIDAY_KEEP, 1.0)
    keep = (cust_u < np.minimum(demand, DEMAND_MAX) / DEMAND_MAX) & (
        rng.random(len(day)) < season / SEASON_MAX
    )
    v_cust, v_staff, v_tenant, day, dow = (a[keep] for a in (v_cust, v_staff, v_tenant, day, dow))
    n_v = len(v_cust)

    # A few visits go to another professional of the same location.
    loc_of = s_loc[v_staff]
    loc_first = np.searchsorted(s_loc, loc_of, side="left")
    loc_count = np.searchsorted(s_loc, loc_of, side="right") - loc_first
    alt = loc_first + (rng.random(n_v) * loc_count).astype(np.int64)
    switch = (rng.random(n_v) < 0.08) & (s_start[alt] <= day) & works[alt, dow]
    v_staff = np.where(switch, alt, v_staff)

    # --- service: the customer's usual one most of the time ---
    sv = services[services["tenant_idx"].isin(tenant_idx)].sort_values(["tenant_idx", "id"])
    sv_tenant = sv["tenant_idx"].to_numpy()
    local_t = np.searchsorted(np.unique(sv_tenant), sv_tenant)
    w = sv["popularity"].to_numpy()
    cw = _group_cumsum(w, np.r_[True, sv_tenant[1:] != sv_tenant[:-1]])
    totals = np.repeat(np.bincount(local_t, weights=w), np.bincount(local_t))
    flat_sv = local_t + cw / totals
    flat_sv[np.r_[sv_tenant[1:] != sv_tenant[:-1], True]] = (
        local_t[np.r_[sv_tenant[1:] != sv_tenant[:-1], True]] + 1.0
    )
    uniq_t = np.unique(sv_tenant)
    c_local = np.searchsorted(uniq_t, c_tenant)
    favourite = np.searchsorted(flat_sv, c_local + rng.random(n_cust), side="right")
    v_local = np.searchsorted(uniq_t, v_tenant)
    any_sv = np.searchsorted(flat_sv, v_local + rng.random(n_v), side="right")
    sv_pos = np.where(rng.random(n_v) < 0.7, favourite[v_cust], any_sv)
    duration = sv["duration_min"].to_numpy()[sv_pos]

    # --- capacity and start times per professional and day ---
    order = np.lexsort((rng.random(n_v), day, v_staff))
    v_cust, v_staff, v_tenant, day, dow, sv_pos, duration = (
        a[order] for a in (v_cust, v_staff, v_tenant, day, dow, sv_pos, duration)
    )
    new_group = np.r_[True, (v_staff[1:] != v_staff[:-1]) | (day[1:] != day[:-1])]
    capacity = s_close[v_staff, dow] - s_open[v_staff, dow]
    used = _group_cumsum(duration, new_group)
    fits = used <= capacity
    v_cust, v_staff, v_tenant, day, dow, sv_pos, duration, capacity = (
        a[fits] for a in (v_cust, v_staff, v_tenant, day, dow, sv_pos, duration, capacity)
    )
    n_v = len(v_cust)
    new_group = np.r_[True, (v_staff[1:] != v_staff[:-1]) | (day[1:] != day[:-1])]
    group_id = np.cumsum(new_group) - 1
    total_dur = np.bincount(group_id, weights=duration)[group_id]
    # Idle time is spread over the gaps; the day starts slower than it ends (after-work
    # hours are the busiest), so the first gap weighs more and the end slack less.
    gap_w = rng.exponential(1.0, n_v) * np.where(new_group, 3.0, 1.0)
    slack_w = np.bincount(group_id, weights=gap_w)[group_id] + 0.2 * rng.exponential(1.0, n_v)
    free = np.maximum(capacity - total_dur, 0)
    gap = (free * gap_w / slack_w // 5 * 5).astype(np.int64)
    start_min = s_open[v_staff, dow] + _group_cumsum(gap + duration, new_group) - duration
    start_us = day * US_PER_DAY + start_min * US_PER_MIN
    end_us = start_us + duration * US_PER_MIN

    # --- channel, lead time, status ---
    t_pos = v_tenant
    ch_cols = [f"ch_{c}" for c in CHANNELS]
    mix = tenants[ch_cols].to_numpy()
    c_channel = _draw_rows(rng, mix[c_tenant])
    channel = np.where(rng.random(n_v) < 0.8, c_channel[v_cust], _draw_rows(rng, mix[v_tenant]))
    walk_in = channel == CHANNELS.index("walk_in")
    lead_days = np.exp(
        np.log(np.maximum(LEAD_MEDIAN[channel], 1e-9)) + LEAD_SIGMA[channel] * rng.normal(0, 1, n_v)
    )
    lead_us = np.where(
        walk_in, rng.uniform(0, 5, n_v) * US_PER_MIN, np.clip(lead_days, 10 / 1440, 45) * US_PER_DAY
    ).astype(np.int64)
    activated_us = (
        tenants["signup_day"].to_numpy()[t_pos] * US_PER_DAY
        + tenants["activated_minute"].to_numpy()[t_pos].astype(np.int64) * US_PER_MIN
    )
    created_us = start_us - lead_us
    late = created_us < activated_us
    created_us = np.where(
        late,
        activated_us + (rng.random(n_v) * np.maximum(start_us - activated_us, 0)).astype(np.int64),
        created_us,
    )
    created_us = created_us // 1_000_000 * 1_000_000  # whole seconds

    noshow_p = tenants["noshow_rate"].to_numpy()[v_tenant] * NOSHOW_CHANNEL[channel]
    cancel_p = (
        tenants["cancel_rate"].to_numpy()[v_tenant]
        * CANCEL_CHANNEL[channel]
        * np.where(lead_us > 3 * US_PER_DAY, 1.3, 1.0)
    )
    past = end_us <= as_of_us
    u = rng.random(n_v)
    status = np.full(n_v, "completed", dtype=object)
    status[past & (u < noshow_p)] = "no_show"
    status[past & (u >= noshow_p) & (u < noshow_p + cancel_p)] = "cancelled"
    cancel_us = created_us + (rng.uniform(0.1, 0.98, n_v) * (start_us - created_us)).astype(
        np.int64
    )
    # Future appointments: only those booked by now; some already cancelled.
    future = ~past
    known = ~future | (created_us <= as_of_us)
    elapsed = np.clip((as_of_us - created_us) / np.maximum(start_us - created_us, 1), 0, 1)
    fut_cancel = future & (u < cancel_p * elapsed)
    status[future] = "scheduled"
    status[fut_cancel] = "cancelled"
    cancel_us = np.where(
        fut_cancel,
        created_us + (rng.random(n_v) * np.maximum(as_of_us - created_us, 0)).astype(np.int64),
        cancel_us,
    )
    cancel_us = np.maximum(cancel_us // 1_000_000 * 1_000_000, created_us + 1_000_000)
    # Nothing is booked on the platform before the tenant went live on it.
    known &= start_us >= activated_us + 15 * US_PER_MIN

    cols = {
        "cust": v_cust,
        "staff": v_staff,
        "tenant": v_tenant,
        "sv": sv_pos,
        "duration": duration,
        "start": start_us,
        "created": created_us,
        "channel": channel,
        "cancel": cancel_us,
        "status": status,
    }
    cols = {key: val[known] for key, val in cols.items()}

    # Reschedules: a cancelled appointment rebooked with the same professional a few days
    # later (their next working day from there), in a free slot of that day's shift.
    resched = (cols["status"] == "cancelled") & (rng.random(len(cols["cust"])) < RESCHEDULE_SHARE)
    r = {key: val[resched].copy() for key, val in cols.items()}
    r["created"] = r["cancel"]
    r_day = r["start"] // US_PER_DAY + rng.integers(1, 11, len(r["cust"]))
    r_day = r_day + _days_to_shift(works, r["staff"], (r_day + 3) % 7)
    r_ok = (r_day < horizon) & (r["created"] <= as_of_us)
    r_ok &= life.active_mask(r["tenant"], np.where(r_ok, r_day, window_start))
    r = {key: val[r_ok] for key, val in r.items()}
    r_day, r_dow = r_day[r_ok], (r_day[r_ok] + 3) % 7
    held = cols["status"] != "cancelled"
    b_day = cols["start"][held] // US_PER_DAY
    b_min = (cols["start"][held] - b_day * US_PER_DAY) // US_PER_MIN
    r_min = place_in_gaps(
        rng,
        busy_key=cols["staff"][held] * DAY_KEY + b_day,
        busy_start=b_min,
        busy_end=b_min + cols["duration"][held],
        key=r["staff"] * DAY_KEY + r_day,
        duration=r["duration"],
        shift_start=s_open[r["staff"], r_dow],
        shift_end=s_close[r["staff"], r_dow],
    )
    placed = r_min >= 0
    r = {key: val[placed] for key, val in r.items()}
    r["start"] = r_day[placed] * US_PER_DAY + r_min[placed] * US_PER_MIN
    r_end = r["start"] + r["duration"] * US_PER_MIN
    ru = rng.random(len(r["cust"]))
    r_noshow = tenants["noshow_rate"].to_numpy()[r["tenant"]]
    r["status"] = np.where(
        r_end > as_of_us, "scheduled", np.where(ru < r_noshow, "no_show", "completed")
    ).astype(object)
    cols = {key: np.concatenate([cols[key], r[key]]) for key in cols}

    end = cols["start"] + cols["duration"] * US_PER_MIN
    n_b = len(cols["cust"])
    st_arr = cols["status"]
    updated = np.select(
        [st_arr == "completed", st_arr == "no_show", st_arr == "cancelled"],
        [
            end + rng.integers(0, 20, n_b) * US_PER_MIN,
            cols["start"] + rng.integers(15, 90, n_b) * US_PER_MIN,
            cols["cancel"],
        ],
        cols["created"],
    )
    updated = np.minimum(updated, as_of_us)
    month_of = cal.month_index[cols["start"] // US_PER_DAY - day0]
    list_price = sv["price_ars"].to_numpy()[cols["sv"]]
    charged = list_price * price_factor[cols["tenant"], month_of]
    price = np.maximum(np.round(charged / 100) * 100, 100.0)

    # Ids follow creation time, as an autoincrement key would.
    order = np.argsort(cols["created"], kind="stable")
    for key in cols:
        cols[key] = cols[key][order]
    updated, price, end = updated[order], price[order], end[order]

    # --- customers that have at least one booking ---
    used_c, first_pos = np.unique(cols["cust"], return_index=True)
    first_created = cols["created"][first_pos]
    joined_us = np.where(
        np.isnan(joined[used_c]),
        first_created,
        (np.nan_to_num(joined[used_c]) * US_PER_DAY).astype(np.int64)
        + rng.integers(9 * 60, 20 * 60, len(used_c)) * US_PER_MIN,
    )
    joined_us = np.minimum(joined_us, first_created)
    c_order = np.argsort(joined_us, kind="stable")
    used_c, joined_us = used_c[c_order], joined_us[c_order]
    cust_rank = np.empty(n_cust, dtype=np.int64)
    cust_rank[used_c] = np.arange(len(used_c))
    cust_rng = stream(seed, "customers", batch_no)
    first_n, last_n, _ = random_people(cust_rng, len(used_c), female_share=0.55)
    area = tenants["area_code"].to_numpy()[c_tenant[used_c]]
    phones = phone_numbers(cust_rng, area)
    phones[cust_rng.random(len(used_c)) < 0.12] = None

    staff_ids = st["id"].to_numpy()
    customers = {
        "rank": np.arange(len(used_c)),
        "tenant_id": tenants["id"].to_numpy()[c_tenant[used_c]],
        "full_name": full_names(first_n, last_n),
        "phone": phones,
        "created_at": joined_us,
        "updated_at": joined_us,
    }
    bookings = {
        "tenant_id": tenants["id"].to_numpy()[cols["tenant"]],
        "location_id": locations["id"].to_numpy()[s_loc[cols["staff"]]],
        "staff_id": staff_ids[cols["staff"]],
        "service_id": sv["id"].to_numpy()[cols["sv"]],
        "customer_rank": cust_rank[cols["cust"]],
        "created_at": cols["created"],
        "start_at": cols["start"],
        "duration_min": cols["duration"],
        "status": cols["status"],
        "channel": np.array(CHANNELS, dtype=object)[cols["channel"]],
        "price_ars": price,
        "updated_at": updated,
    }
    extra = {
        "tenant_idx": cols["tenant"],
        "end": end,
        "cancel": cols["cancel"],
        "channel_code": cols["channel"],
    }
    return BatchTables(customers, bookings, extra)


DAY_KEY = 1 << 20  # staff position * DAY_KEY + day number: one key per staff-day
_MINUTE_SPAN = 2 * 1440  # larger than any minute of a day, to keep staff-days apart


def _days_to_shift(works: np.ndarray, staff: np.ndarray, dow: np.ndarray) -> np.ndarray:
    """Days from ``dow`` to the professional's next working weekday (0 if they work it)."""
    out = np.full(len(staff), 7, dtype=np.int64)
    for ahead in range(6, -1, -1):
        out = np.where(works[staff, (dow + ahead) % 7], ahead, out)
    return out


def place_in_gaps(
    rng: np.random.Generator,
    *,
    busy_key: np.ndarray,
    busy_start: np.ndarray,
    busy_end: np.ndarray,
    key: np.ndarray,
    duration: np.ndarray,
    shift_start: np.ndarray,
    shift_end: np.ndarray,
    rounds: int = 4,
) -> np.ndarray:
    """A start minute for each request inside a free gap of its staff-day's shift, or -1.

    ``busy_*``: the intervals already held (minutes of the day) per key; requests are
    placed one per key per round (a random gap that fits, on the 5-minute grid) and then
    hold their interval too, so nothing placed overlaps anything held. Requests with no
    gap long enough get -1.
    """
    out = np.full(len(key), -1, dtype=np.int64)
    pending = np.ones(len(key), dtype=bool)
    wanted = np.isin(busy_key, key)
    b_key, b_start, b_end = busy_key[wanted], busy_start[wanted], busy_end[wanted]
    for _ in range(rounds):
        idx = np.flatnonzero(pending)
        if not len(idx):
            break
        keys, first = np.unique(key[idx], return_index=True)
        req = idx[first]
        pending[req] = False
        mine = np.isin(b_key, keys)
        # The shift's edges are zero-length intervals: gaps run from one end to the next start.
        k_all = np.concatenate([b_key[mine], keys, keys])
        s_all = np.concatenate([b_start[mine], shift_start[req], shift_end[req]])
        e_all = np.concatenate([b_end[mine], shift_start[req], shift_end[req]])
        order = np.lexsort((s_all, k_all))
        k_all, s_all, e_all = k_all[order], s_all[order], e_all[order]
        group = np.cumsum(np.r_[True, k_all[1:] != k_all[:-1]]) - 1
        reach = np.maximum.accumulate(e_all + group * _MINUTE_SPAN) - group * _MINUTE_SPAN
        gap_start, gap_end, gap_group = reach[:-1], s_all[1:], group[:-1]
        room = gap_end - gap_start - duration[req][gap_group]
        fits = (group[1:] == gap_group) & (room >= 0)
        score = np.where(fits, rng.random(len(fits)), -1.0)
        best_order = np.lexsort((score, gap_group))
        last = np.r_[gap_group[best_order][1:] != gap_group[best_order][:-1], True]
        best = best_order[last]
        best = best[score[best] >= 0]
        g = gap_group[best]
        start = gap_start[best] + (rng.random(len(best)) * room[best]).astype(np.int64) // 5 * 5
        out[req[g]] = start
        b_key = np.concatenate([b_key, keys[g]])
        b_start = np.concatenate([b_start, start])
        b_end = np.concatenate([b_end, start + duration[req[g]]])
    return out


def _draw_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a probability matrix."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    return (rng.random(len(probs))[:, None] > cum).sum(axis=1).clip(0, probs.shape[1] - 1)
