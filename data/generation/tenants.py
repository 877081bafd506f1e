"""Tenants and their static world: partners, console users, locations, staff, services.

Each tenant also gets latent traits (engagement, service quality, price pressure,
payment reliability, an optional decline) that drive its outcomes in ``lifecycle``.
The traits live in extra columns of the tenants frame and never reach the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.inflation.reference import cpi_index
from data.generation.context import Calendar, GenerationParams, stream, to_day
from data.generation.identity import (
    full_names,
    make_cuit,
    person_email,
    phone_numbers,
    random_people,
    slug,
)
from data.generation.schedules import END_COLS, START_COLS, location_hours, staff_shifts
from data.reference import CATALOG, PRICE_REFERENCE_MONTH, PROVINCES, STAFF_ROLES, STREETS
from data.reference.names import (
    BARBER_ENGLISH,
    BARBER_PLACES,
    FEMALE_SHORT_NAMES,
    LAST_NAMES,
    NAIL_WORDS,
    NICKNAMES,
    PARTNERS,
    SALON_WORDS,
    SPA_WORDS,
)

VERTICAL_SHARES = {"barbershop": 0.45, "salon": 0.25, "nails": 0.18, "spa": 0.12}
TIER_SHARES = {"starter": 0.50, "pro": 0.37, "enterprise": 0.13}
CHANNELS = ("whatsapp", "web", "app", "instagram", "walk_in")
METHODS = ("mercadopago", "cash", "card", "transfer")
FEATURES = ("online_booking", "reminders", "payments", "reports", "marketing", "inventory")
PRE_WINDOW_SHARE = 0.8
DECLINE_RATE = (0.1, 0.25)  # share of a full decline reached per month
MAX_PRE_WINDOW_DAYS = 3 * 365

# Channel mix by vertical: walk-ins are a barbershop thing; spas book ahead.
CHANNEL_MIX = {
    "barbershop": (0.36, 0.12, 0.12, 0.14, 0.26),
    "salon": (0.42, 0.16, 0.14, 0.18, 0.10),
    "spa": (0.36, 0.28, 0.18, 0.14, 0.04),
    "nails": (0.44, 0.12, 0.12, 0.26, 0.06),
}
# Target appointments per full-time professional per open day (before seasonality).
VISITS_PER_STAFF_DAY = {"barbershop": 10.0, "salon": 6.0, "spa": 5.0, "nails": 6.2}


@dataclass
class World:
    """Static entities of the demo platform (frames keyed by database ``id``)."""

    partners: pd.DataFrame
    console_users: pd.DataFrame
    tenants: pd.DataFrame
    locations: pd.DataFrame
    staff: pd.DataFrame
    services: pd.DataFrame
    referrals: pd.DataFrame


def _choice(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(options), dtype=object)
    p = np.array(list(options.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(0, len(options)))]


def make_console_users(seed: int) -> pd.DataFrame:
    """Six CS managers, two onboarding operators, one executive and one admin."""
    rng = stream(seed, "console_users")
    roles = ["cs_manager"] * 6 + ["onboarding"] * 2 + ["executive", "admin"]
    first, last, _ = random_people(rng, len(roles))
    names = full_names(first, last)
    emails, seen = [], set()
    for f, ln in zip(first, last, strict=True):
        local = f"{slug(f)}.{slug(ln)}"
        while local in seen:
            local += "2"
        seen.add(local)
        emails.append(f"{local}@barberpro.com.ar")
    return pd.DataFrame(
        {
            "id": np.arange(1, len(roles) + 1),
            "full_name": names,
            "email": emails,
            "role": roles,
            "active": True,
        }
    )


def make_partners(seed: int, window_start_day: int) -> pd.DataFrame:
    """Eight to twelve resellers, agencies, distributors and influencers."""
    rng = stream(seed, "partners")
    n = int(rng.integers(8, 13))
    picked = sorted(rng.choice(len(PARTNERS), size=n, replace=False))
    share = {
        "reseller": (15, 25),
        "agency": (10, 20),
        "distributor": (8, 15),
        "influencer": (5, 12),
    }
    rows = []
    for i, idx in enumerate(picked, start=1):
        name, kind = PARTNERS[idx]
        lo, hi = share[kind]
        created = window_start_day - int(rng.integers(400, 1400))
        rows.append(
            {
                "id": i,
                "name": name,
                "kind": kind,
                "revenue_share_pct": float(rng.integers(lo, hi + 1)),
                "created_day": created,
            }
        )
    return pd.DataFrame(rows)


def _trade_name(
    rng: np.random.Generator, vertical: str, first: str, last: str, female: bool, tier: str
) -> str:
    if vertical == "barbershop":
        style = int(rng.integers(0, 6))
        if style == 0:
            return f"Barbería {_pick(rng, NICKNAMES)}"
        if style == 1:
            return f"{_pick(rng, NICKNAMES).replace('El ', '')} Barber Shop"
        if style == 2:
            return f"Barbería {last}"
        if style == 3:
            return f"Barbería {_pick(rng, BARBER_PLACES)}"
        if style == 4:
            return f"{_pick(rng, BARBER_ENGLISH)} Barber Club"
        return (
            f"Peluquería de Caballeros {last}"
            if tier != "enterprise"
            else (f"{_pick(rng, BARBER_ENGLISH)} Barbers")
        )
    if vertical == "salon":
        style = int(rng.integers(0, 5))
        owner = first if female else _pick(rng, SALON_WORDS)
        return (
            f"Estética {owner}",
            f"{owner} Peluquería",
            f"Peluquería {last}",
            f"Salón {_pick(rng, SALON_WORDS)}",
            f"{_pick(rng, SALON_WORDS)} Estilistas",
        )[style]
    if vertical == "spa":
        style = int(rng.integers(0, 4))
        return (
            f"Spa {_pick(rng, SPA_WORDS)}",
            f"{_pick(rng, SPA_WORDS)} Spa Urbano",
            f"Centro de Estética {first if female else _pick(rng, SPA_WORDS)}",
            f"{_pick(rng, SPA_WORDS)} Bienestar & Spa",
        )[style]
    style = int(rng.integers(0, 5))
    short = _pick(rng, FEMALE_SHORT_NAMES)
    return (
        f"Nails by {short}",
        f"{short} Nails",
        f"Uñas {_pick(rng, NAIL_WORDS)}",
        f"Nail Bar {_pick(rng, NAIL_WORDS)}",
        f"Studio {short} Nails",
    )[style]


def _legal_name(
    rng: np.random.Generator, trade: str, is_company: bool, exempt: bool, owner: str, tier: str
) -> str:
    if not is_company:
        return owner
    core = re.sub(
        r"^(Barbería|Peluquería de Caballeros|Peluquería|Estética|Salón|Spa) ", "", trade
    ).strip()
    if exempt:
        return f"Cooperativa de Trabajo {core} Ltda."
    form = rng.choice(
        ["S.R.L.", "S.A.S.", "S.A."], p=[0.3, 0.3, 0.4] if tier == "enterprise" else [0.5, 0.4, 0.1]
    )
    if form == "S.R.L." and rng.random() < 0.4:
        a, b = rng.choice(len(LAST_NAMES), size=2, replace=False)
        return f"{LAST_NAMES[a]} y {LAST_NAMES[b]} S.R.L."
    if form == "S.A." and rng.random() < 0.5:
        return f"Grupo {core} S.A."
    return f"{core} {form}"


def _signup_days(rng: np.random.Generator, n: int, cal: Calendar) -> np.ndarray:
    """Signup days: a share before the window, the rest growing through it."""
    start, last = to_day(cal.window_start), to_day(cal.today) - 2
    pre = rng.random(n) < PRE_WINDOW_SHARE
    pre_days = start - 1 - np.minimum(rng.exponential(420, n), MAX_PRE_WINDOW_DAYS - 1)
    # In-window signups grow ~3.5 % a month: inverse CDF of an exponential density.
    span = max(last - start, 1)
    g = 0.035 / 30.4
    u = rng.random(n)
    in_days = start + np.log1p(u * np.expm1(g * span)) / g
    return np.where(pre, pre_days, in_days).astype(np.int64)


def make_tenants(
    params: GenerationParams, cal: Calendar, partners: pd.DataFrame, users: pd.DataFrame
) -> pd.DataFrame:
    """The tenants with identity, size, operating style and latent traits."""
    rng = stream(params.seed, "tenants")
    n = params.tenants
    signup_day = np.sort(_signup_days(rng, n, cal))
    vertical = _choice(rng, VERTICAL_SHARES, n)
    tier = _choice(rng, TIER_SHARES, n)
    plan = np.where(
        tier == "starter",
        "basico",
        np.where(
            tier == "enterprise", "cadena", np.where(rng.random(n) < 0.65, "profesional", "premium")
        ),
    )
    n_locations = np.where(
        tier == "starter",
        1,
        np.where(
            tier == "pro",
            np.where(rng.random(n) < 0.75, 1, 2),
            3 + np.minimum(12, np.floor(rng.exponential(3.2, n)).astype(int)),
        ),
    )

    prov_w = np.array([p.weight for p in PROVINCES])
    province_idx = rng.choice(len(PROVINCES), size=n, p=prov_w / prov_w.sum())
    city_idx = np.array(
        [
            rng.choice(
                len(PROVINCES[p].cities),
                p=(w := np.array([c.weight for c in PROVINCES[p].cities])) / w.sum(),
            )
            for p in province_idx
        ]
    )

    is_company = rng.random(n) < np.select([tier == "starter", tier == "pro"], [0.08, 0.4], 0.85)
    first, last, female = random_people(rng, n, female_share=0.35)
    # Salons, spas and nail studios are mostly run by women.
    female_v = np.where(vertical == "barbershop", 0.12, 0.85)
    redraw = (rng.random(n) < female_v) != female
    f2, _, fem2 = random_people(rng, n, female_share=1.0)
    m2, _, _ = random_people(rng, n, female_share=0.0)
    first = np.where(redraw, np.where(female, m2, f2), first)
    female = np.where(redraw, ~female, female)
    del fem2
    owner = full_names(first, last)

    taken: set[str] = set()
    names_seen: dict[str, int] = {}
    rows = []
    for i in range(n):
        prov = PROVINCES[province_idx[i]]
        city = prov.cities[city_idx[i]]
        exempt = bool(is_company[i] and rng.random() < 0.03)
        if is_company[i]:
            prefix = str(rng.choice(["30", "33", "34"], p=[0.9, 0.08, 0.02]))
            tax = "Exento" if exempt else "Responsable Inscripto"
        else:
            prefix = "27" if female[i] else "20"
            if rng.random() < 0.05:
                prefix = "23" if rng.random() < 0.8 else "24"
            # Monotributo has revenue caps a chain would exceed.
            mono = {"starter": 0.88, "pro": 0.55, "enterprise": 0.0}[str(tier[i])]
            tax = "Monotributo" if rng.random() < mono else "Responsable Inscripto"
        trade = _trade_name(
            rng, str(vertical[i]), str(first[i]), str(last[i]), bool(female[i]), str(tier[i])
        )
        count = names_seen.get(trade, 0)
        names_seen[trade] = count + 1
        if count:
            trade = f"{trade} {city.name}" if count == 1 else f"{trade} {count + 1}"
        legal = _legal_name(rng, trade, bool(is_company[i]), exempt, str(owner[i]), str(tier[i]))
        if is_company[i] and rng.random() < 0.6:
            email = (
                f"{_pick(rng, ('contacto', 'administracion', 'info', 'turnos'))}@"
                f"{slug(trade)[:30]}.com.ar"
            )
        else:
            email = person_email(rng, str(first[i]), str(last[i]))
        rows.append(
            {
                "legal_name": legal,
                "trade_name": trade,
                "cuit": make_cuit(rng, prefix, taken),
                "tax_status": tax,
                "province": prov.name,
                "city": city.name,
                "area_code": city.area_code,
                "email": email,
            }
        )
    t = pd.DataFrame(rows)
    t.insert(0, "id", np.arange(1, n + 1))
    t["vertical"] = vertical
    t["tier"] = tier
    t["plan"] = plan
    t["initial_plan"] = plan
    t["owner_name"] = owner
    t["owner_female"] = female
    t["phone"] = phone_numbers(rng, t["area_code"].to_numpy())
    t["province_idx"] = province_idx
    t["city_idx"] = city_idx
    t["n_locations"] = n_locations
    t["signup_day"] = signup_day
    t["pre_window"] = signup_day < to_day(cal.window_start)
    # Activation happens during business hours on the signup day.
    t["activated_minute"] = rng.uniform(9 * 60, 20 * 60, n).round()

    # --- latent traits (never written to the database) ---
    t["engagement"] = rng.beta(5.0, 2.5, n)
    t["quality"] = rng.beta(6.0, 2.0, n)
    t["price_pressure"] = rng.beta(2.0, 4.0, n) * np.where(tier == "enterprise", 0.7, 1.0)
    t["payment_reliability"] = rng.beta(8.0, 1.6, n)
    decline_p = np.select([tier == "starter", tier == "pro"], [0.65, 0.55], 0.4)
    has_decline = rng.random(n) < decline_p
    first_day = np.maximum(signup_day, to_day(cal.window_start) - 90) + 20
    span = np.maximum(to_day(cal.today) + 60 - first_day, 1)
    t["decline_onset_day"] = np.where(has_decline, first_day + rng.random(n) * span, -1).astype(
        np.int64
    )
    t["decline_rate"] = np.where(has_decline, rng.uniform(*DECLINE_RATE, n), 0.0)

    # --- operating style (observable through the rows it produces) ---
    price_factor = np.array([PROVINCES[p].price_factor for p in province_idx])
    tier_factor = np.select([tier == "starter", tier == "pro"], [0.9, 1.05], 1.2)
    t["price_level"] = price_factor * tier_factor * rng.lognormal(0.0, 0.18, n)
    t["utilization"] = np.clip(0.55 + 0.45 * t["quality"] + rng.normal(0, 0.08, n), 0.45, 1.05)
    t["noshow_rate"] = 0.03 + 0.12 * rng.beta(1.6, 3.2, n)
    t["cancel_rate"] = 0.05 + 0.10 * rng.beta(2.0, 3.0, n)
    t["reprice_every"] = rng.choice([1, 2, 3], size=n, p=[0.3, 0.4, 0.3])
    t["reprice_phase"] = rng.integers(0, 3, n)
    t["mp_fee_rate"] = rng.choice([0.0439, 0.0499, 0.0599], size=n, p=[0.3, 0.4, 0.3])
    deposit_p = {"spa": 0.6, "salon": 0.4, "nails": 0.3, "barbershop": 0.1}
    t["takes_deposits"] = rng.random(n) < np.array([deposit_p[v] for v in vertical])
    channel = np.array([CHANNEL_MIX[v] for v in vertical]) * 30.0
    t[[f"ch_{c}" for c in CHANNELS]] = np.array([rng.dirichlet(a) for a in channel])
    method_base = np.array([0.45, 0.25, 0.18, 0.12]) * 25.0
    t[[f"pm_{m}" for m in METHODS]] = rng.dirichlet(method_base, n)

    # --- commercial relationships ---
    cs_ids = users.loc[users["role"] == "cs_manager", "id"].to_numpy()
    region = np.select(
        [tier == "enterprise", province_idx == 0, province_idx == 1, np.isin(province_idx, [2, 3])],
        [0, 1, 2, 3],
        4,
    )
    # Books: enterprise accounts sit with two senior managers, the rest by region.
    book = np.where(
        region == 0, cs_ids[rng.integers(0, 2, n)], cs_ids[np.minimum(region + 1, len(cs_ids) - 1)]
    )
    t["cs_owner_id"] = book
    referred = rng.random(n) < 0.22
    partner_ids = partners["id"].to_numpy()
    # Influencer-referred owners are less committed (signal: lower engagement).
    t["partner_id"] = np.where(referred, partner_ids[rng.integers(0, len(partner_ids), n)], 0)
    kinds = dict(zip(partners["id"], partners["kind"], strict=True))
    infl = np.array([kinds.get(p) == "influencer" for p in t["partner_id"]])
    t.loc[infl, "engagement"] *= 0.8
    return t


def make_locations(seed: int, tenants: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Locations (first one in the tenant's city), opening hours and later openings."""
    rng = stream(seed, "locations")
    rows = []
    window_start = to_day(cal.window_start)
    for t in tenants.itertuples():
        prov = PROVINCES[t.province_idx]
        weights = np.array([c.weight for c in prov.cities])
        for k in range(t.n_locations):
            city = (
                prov.cities[t.city_idx]
                if k == 0 or rng.random() < 0.5
                else prov.cities[rng.choice(len(prov.cities), p=weights / weights.sum())]
            )
            spread = 0.025 if city.area_code == "11" else 0.018
            late = k >= 3 and rng.random() < 0.3
            if late:
                lo = max(t.signup_day, window_start) + 30
                opened = int(rng.integers(lo, max(lo + 1, to_day(cal.today) - 7)))
            else:
                opened = int(t.signup_day - rng.integers(30, 2500))
            closed_monday = t.vertical in ("barbershop", "salon") and rng.random() < 0.4
            open_sunday = rng.random() < (0.2 if t.vertical == "spa" else 0.07)
            open_hour = float(rng.choice([9.0, 9.5, 10.0]))
            close_hour = float(rng.choice([19.0, 20.0, 20.0, 21.0]))
            suffix = city.name if t.n_locations > 1 else "Casa central"
            rows.append(
                {
                    "tenant_id": t.id,
                    "tenant_idx": t.Index,
                    "name": f"{t.trade_name} - {suffix}" if t.n_locations > 1 else suffix,
                    "address": f"{_pick(rng, STREETS)} {int(rng.integers(100, 4800))}",
                    "province": prov.name,
                    "city": city.name,
                    "latitude": round(city.latitude + rng.normal(0, spread), 6),
                    "longitude": round(city.longitude + rng.normal(0, spread), 6),
                    "opened_day": opened,
                    "late_opening": late,
                    "closed_monday": closed_monday,
                    "open_sunday": open_sunday,
                    "open_hour": open_hour,
                    "close_hour": close_hour,
                }
            )
    loc = pd.DataFrame(rows)
    # Branch names repeat when two branches share a city; number them.
    dup = loc.duplicated(["tenant_id", "name"], keep=False)
    loc.loc[dup, "name"] = (
        loc.loc[dup, "name"]
        + " "
        + (loc[dup].groupby(["tenant_id", "name"]).cumcount() + 1).astype(str)
    )
    return loc


def make_staff(
    seed: int, tenants: pd.DataFrame, locations: pd.DataFrame, cal: Calendar
) -> pd.DataFrame:
    """Professionals per location; some hired during the window."""
    rng = stream(seed, "staff")
    window_start, today = to_day(cal.window_start), to_day(cal.today)
    per_loc = []
    for loc in locations.itertuples():
        t = tenants.iloc[loc.tenant_idx]
        if t.tier == "starter":
            k = 1 if rng.random() < 0.65 else 2
        elif t.tier == "pro":
            k = int(rng.integers(2, 6 if t.vertical == "barbershop" else 7))
        else:
            k = int(rng.integers(2, 8))
        extra_hire = t.tier != "starter" and rng.random() < 0.3
        for j in range(k + int(extra_hire)):
            hired = (
                loc.opened_day
                if loc.late_opening
                else int(min(t.signup_day, loc.opened_day + 400) - rng.integers(0, 900))
            )
            if j == k:  # the extra hire joins during the window
                lo = max(t.signup_day, window_start) + 30
                hired = int(rng.integers(lo, max(lo + 1, today - 7)))
            per_loc.append((loc.Index, loc.tenant_idx, hired, rng.random() < 0.8))
    staff = pd.DataFrame(per_loc, columns=["location_idx", "tenant_idx", "hired_day", "full_time"])
    n = len(staff)
    vertical = tenants["vertical"].to_numpy()[staff["tenant_idx"].to_numpy()]
    female_share = np.where(vertical == "barbershop", 0.15, 0.85)
    first, last, _ = random_people(rng, n, female_share=0.5)
    ff, _, _ = random_people(rng, n, female_share=1.0)
    mm, _, _ = random_people(rng, n, female_share=0.0)
    first = np.where(rng.random(n) < female_share, ff, mm)
    staff["full_name"] = full_names(first, last)
    staff["role"] = [STAFF_ROLES[v][int(rng.integers(0, 4))] for v in vertical]
    staff["availability"] = np.where(
        staff["full_time"], rng.uniform(0.85, 1.0, n), rng.uniform(0.45, 0.65, n)
    )
    # The owner of a small shop often works the chair: the first professional of the
    # first location is the owner (named so) at most starter shops and half the pro ones.
    loc_idx = staff["location_idx"].to_numpy()
    first_loc = locations.reset_index().groupby("tenant_idx")["index"].min()
    at_first = loc_idx == first_loc.reindex(staff["tenant_idx"]).to_numpy()
    first_of_loc = np.r_[True, loc_idx[1:] != loc_idx[:-1]]
    tier = tenants["tier"].to_numpy()[staff["tenant_idx"].to_numpy()]
    owner_p = np.select([tier == "starter", tier == "pro"], [0.9, 0.5], 0.0)
    owner = at_first & first_of_loc & (rng.random(n) < owner_p)
    staff["owner"] = owner
    staff.loc[owner, "full_time"] = True
    owner_names = tenants["owner_name"].to_numpy()[staff["tenant_idx"].to_numpy()]
    staff["full_name"] = np.where(owner, owner_names, staff["full_name"].to_numpy())
    open_m, close_m = location_hours(locations)
    start, end = staff_shifts(
        stream(seed, "staff_hours"),
        open_m[loc_idx],
        close_m[loc_idx],
        staff["full_time"].to_numpy(),
        owner,
    )
    staff[START_COLS] = start
    staff[END_COLS] = end
    staff["weekly_minutes"] = (end - start).sum(axis=1).astype(int)
    return staff


def make_services(seed: int, tenants: pd.DataFrame) -> pd.DataFrame:
    """Each tenant's menu from its vertical's catalog, priced at signup."""
    rng = stream(seed, "services")
    signup_months = [str(d)[:7] for d in tenants["signup_day"].to_numpy().astype("datetime64[D]")]
    level_at_signup = cpi_index(signup_months, PRICE_REFERENCE_MONTH)
    rows = []
    for t, cpi in zip(tenants.itertuples(), level_at_signup, strict=True):
        for item in CATALOG[t.vertical]:
            if not item.core and rng.random() > 0.55:
                continue
            duration = max(10, item.duration_min + 5 * int(rng.choice([-1, 0, 0, 1])))
            price = item.price_ars * t.price_level * cpi * rng.lognormal(0, 0.06)
            step = 500 if price >= 10_000 else 100
            rows.append(
                {
                    "tenant_id": t.id,
                    "tenant_idx": t.Index,
                    "name": item.name,
                    "category": item.category,
                    "duration_min": duration,
                    "price_ars": max(step, round(price / step) * step),
                    "popularity": item.popularity * rng.lognormal(0, 0.3),
                }
            )
    return pd.DataFrame(rows)


def make_referrals(seed: int, tenants: pd.DataFrame, partners: pd.DataFrame) -> pd.DataFrame:
    """Partner claims: the winning last touch, plus an earlier first touch for some."""
    rng = stream(seed, "referrals")
    rows = []
    ids = partners["id"].to_numpy()
    for t in tenants[tenants["partner_id"] > 0].itertuples():
        referred = t.signup_day - int(rng.integers(2, 60))
        if rng.random() < 0.2:
            other = int(rng.choice(ids[ids != t.partner_id]))
            rows.append(
                {
                    "partner_id": other,
                    "tenant_id": t.id,
                    "day": referred - int(rng.integers(10, 90)),
                    "attribution": "first_touch",
                }
            )
        rows.append(
            {
                "partner_id": t.partner_id,
                "tenant_id": t.id,
                "day": referred,
                "attribution": "last_touch",
            }
        )
    out = pd.DataFrame(rows, columns=["partner_id", "tenant_id", "day", "attribution"])
    out["minute"] = rng.uniform(9 * 60, 21 * 60, len(out)).round()
    return out


def build_world(params: GenerationParams, cal: Calendar) -> World:
    """Everything static about the platform, before its history is simulated."""
    users = make_console_users(params.seed)
    partners = make_partners(params.seed, to_day(cal.window_start))
    tenants = make_tenants(params, cal, partners, users)
    # Partners predate the tenants they refer.
    first_ref = tenants.loc[tenants["partner_id"] > 0].groupby("partner_id")["signup_day"].min()
    partners["created_day"] = np.minimum(
        partners["created_day"], partners["id"].map(first_ref).fillna(10**9) - 120
    ).astype(int)
    locations = make_locations(params.seed, tenants, cal)
    staff = make_staff(params.seed, tenants, locations, cal)
    services = make_services(params.seed, tenants)
    referrals = make_referrals(params.seed, tenants, partners)
    return World(partners, users, tenants, locations, staff, services, referrals)
