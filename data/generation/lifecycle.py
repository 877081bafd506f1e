"""The latent month-by-month life of every tenant: the truth the demo data comes from.

Each month a tenant's latent traits (engagement, service quality, price pressure,
payment reliability, an optional decline that starts at a random day) set:

* what can be observed: demand for its appointments, back-office logins, support
  tickets, NPS answers, whether its BarberPro invoice fails;
* its churn hazard ``h = f(traits, decline, tenure, price shock, write-offs)``, from
  which churn is drawn at day resolution;
* risk signals that a CS team sees (failed invoice, NPS detractor, usage drop, bookings
  drop), which trigger interventions; treated interventions multiply the daily hazard
  by a known factor for a known number of days, holdouts do not.

Nothing here looks at a label to make a signal: the signals and the outcome both come
from the traits, and the signals come first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.generation.context import Calendar, GenerationParams, stream, to_day
from data.generation.pricing import plan_price_table

BURN_IN_MONTHS = 4  # simulated before the window so signals have a baseline
DAYS_PER_MONTH = 30.4375

# Hazard model: log h = log(H0) + sum(coef * term); see ``monthly_hazard``.
H0 = 0.006
HAZARD_CAP = 0.45
COEF_DECLINE = 4.2
COEF_ENGAGEMENT = 1.2
COEF_QUALITY = 1.0
COEF_RELIABILITY = 1.0
COEF_PRICE_SHOCK = 7.0
COEF_FAILED_INVOICE = 1.2
COEF_WRITE_OFF = 1.5
COEF_NEW_TENANT = 0.6
PICKUP_NPS_MILD = 0.3  # CS calls back only some passive-ish detractors (5-6)
NPS_DECLINE = 0.2
TIER_EFFECT = {"starter": 0.25, "pro": 0.0, "enterprise": -0.55}

REASONS = ("price", "closed_business", "competitor", "low_usage", "support", "payment_failure")
TRIGGER_REASONS = ("health_red", "failed_invoice", "usage_drop", "nps_detractor")


@dataclass
class Intervention:
    tenant_idx: int
    day: int
    reason: str
    arm: str


@dataclass
class Lifecycle:
    """What happened to every tenant, with the latent quantities behind it.

    Month arrays are ``(tenants, months)`` over ``calendar.months[:history_months]``.
    """

    months: list[str]
    month_start: np.ndarray  # first history day of each month (clipped to the window)
    month_end: np.ndarray  # exclusive, clipped to today
    decline: np.ndarray
    engagement: np.ndarray
    quality: np.ndarray
    demand: np.ndarray  # relative demand for the tenant's appointments (1 = normal)
    hazard: np.ndarray  # monthly churn hazard without any intervention effect
    hazard_effective: np.ndarray  # monthly hazard after intervention effects
    logins: np.ndarray  # back-office logins per month
    tickets: np.ndarray  # support tickets per month
    invoice_day: np.ndarray  # -1 when no invoice that month
    invoice_outcome: np.ndarray  # 0 none, 1 paid, 2 retried (then paid), 3 written off
    nps: list[tuple[int, int, int]] = field(default_factory=list)  # (tenant, day, score)
    interventions: list[Intervention] = field(default_factory=list)
    churn_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # last churn
    churn_reason: list[str | None] = field(default_factory=list)
    # (tenant, day, kind, plan): kind in churn, reactivation, upgrade, downgrade
    events: list[tuple[int, int, str, str]] = field(default_factory=list)
    intervals: list[list[tuple[int, int]]] = field(default_factory=list)  # active [from, to)
    final_plan: list[str] = field(default_factory=list)

    def active_mask(self, tenant_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether each tenant was a live customer of BarberPro on each day."""
        out = np.zeros(len(day), dtype=bool)
        for t in np.unique(tenant_idx):
            sel = tenant_idx == t
            d = day[sel]
            ok = np.zeros(len(d), dtype=bool)
            for lo, hi in self.intervals[t]:
                ok |= (d >= lo) & (d < hi)
            out[sel] = ok
        return out


def _month_days(cal: Calendar, n_months: int) -> tuple[np.ndarray, np.ndarray]:
    window_start, today = to_day(cal.window_start), to_day(cal.today)
    start = np.maximum(cal.month_start[:n_months], window_start)
    end = np.minimum(cal.month_end[:n_months], today)
    return start, end


def simulate_lifecycle(
    params: GenerationParams,
    cal: Calendar,
    tenants: pd.DataFrame,
    staff: pd.DataFrame,
    locations: pd.DataFrame,
) -> Lifecycle:
    """Simulate churn, reactivation, plan changes, signals and interventions month by month."""
    rng = stream(params.seed, "lifecycle")
    n = len(tenants)
    k_hist = cal.history_months
    m_start, m_end = _month_days(cal, k_hist)
    today = to_day(cal.today)

    signup = tenants["signup_day"].to_numpy()
    tier = tenants["tier"].to_numpy()
    e0 = tenants["engagement"].to_numpy()
    q0 = tenants["quality"].to_numpy()
    pp = tenants["price_pressure"].to_numpy()
    rel = tenants["payment_reliability"].to_numpy()
    onset = tenants["decline_onset_day"].to_numpy().copy()
    rate = tenants["decline_rate"].to_numpy()
    tier_eff = np.array([TIER_EFFECT[t] for t in tier])
    size = staff.groupby("tenant_idx").size().reindex(range(n), fill_value=1).to_numpy()
    signup_dates = signup.astype("datetime64[D]")
    day_of_month = (signup_dates - signup_dates.astype("datetime64[M]")).astype(np.int64) + 1
    anniversary = np.minimum(day_of_month, 28)  # invoices go out on this day each month
    plan = tenants["initial_plan"].to_numpy().astype(object).copy()
    prices = plan_price_table(cal)
    shock = np.array([prices.shock_in_month(m) for m in cal.months[:k_hist]])

    # Burn-in months give the signal rules a baseline before the window.
    total = BURN_IN_MONTHS + k_hist
    mid = np.empty(total)
    starts = np.empty(total, dtype=np.int64)
    ends = np.empty(total, dtype=np.int64)
    for j in range(total):
        k = j - BURN_IN_MONTHS
        if k >= 0:
            starts[j], ends[j] = m_start[k], m_end[k]
        else:
            starts[j] = int(m_start[0]) + round(k * DAYS_PER_MONTH)
            ends[j] = int(m_start[0]) + round((k + 1) * DAYS_PER_MONTH)
        mid[j] = (starts[j] + max(ends[j], starts[j] + 1)) / 2

    decline = np.clip(
        rate[:, None] * np.maximum(0.0, (mid[None, :] - onset[:, None]) / DAYS_PER_MONTH), 0.0, 1.0
    ) * (onset[:, None] >= 0)
    noise = np.zeros((n, total))
    for j in range(1, total):
        noise[:, j] = 0.7 * noise[:, j - 1] + rng.normal(0, 0.045, n)
    trend = 0.004 * (q0 - 0.6)[:, None] * (np.arange(total) - BURN_IN_MONTHS)[None, :]
    engagement = e0[:, None] * (1 - 0.75 * decline)
    quality = q0[:, None] * (1 - 0.5 * decline)
    demand = np.exp(-1.5 * decline + trend + noise)

    existing = signup[:, None] < ends[None, :]
    frac = np.clip(
        (ends[None, :] - np.maximum(starts[None, :], signup[:, None]))
        / np.maximum(ends - starts, 1)[None, :],
        0,
        1,
    )
    login_rate = (5 + 48 * engagement) * size[:, None] ** 0.4 * frac
    logins = rng.poisson(login_rate) * existing

    status = np.where(signup < to_day(cal.window_start), 1, 0)  # 0 not yet, 1 active, 2 churned
    churn_day = np.full(n, -1, dtype=np.int64)
    churn_reason: list[str | None] = [None] * n
    intervals: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    active_from = np.where(status == 1, signup, -1)
    last_trigger = np.full(n, -(10**6), dtype=np.int64)
    treated_until = np.full(n, -(10**6), dtype=np.int64)
    write_off_until = np.full(n, -(10**6), dtype=np.int64)
    failed_until = np.full(n, -(10**6), dtype=np.int64)
    events: list[tuple[int, int, str, str]] = []
    nps: list[tuple[int, int, int]] = []
    interventions: list[Intervention] = []

    hazard = np.zeros((n, k_hist))
    hazard_eff = np.zeros((n, k_hist))
    tickets = np.zeros((n, k_hist), dtype=np.int64)
    invoice_day = np.full((n, k_hist), -1, dtype=np.int64)
    invoice_outcome = np.zeros((n, k_hist), dtype=np.int64)
    survey_phase = rng.integers(20, 110, n)
    mult = params.intervention_hazard_multiplier

    for k in range(k_hist):
        j = k + BURN_IN_MONTHS
        ms, me = int(m_start[k]), int(m_end[k])
        nd = me - ms
        if nd <= 0:
            break
        # Tenants that sign up this month become active on their signup day.
        new = (status == 0) & (signup < me)
        status[new] = 1
        active_from[new] = signup[new]
        alive = status == 1
        decl, e, q = decline[:, j], engagement[:, j], quality[:, j]
        tenure_m = np.maximum(0, (ms - signup)) / DAYS_PER_MONTH

        # --- observable events of the month ---
        month_first = int(cal.month_start[k])
        inv_day = month_first + anniversary - 1
        has_inv = alive & (inv_day >= np.maximum(ms, signup + 1)) & (inv_day < me)
        p_fail = 0.01 + 0.35 * (1 - rel) ** 1.5 + 0.3 * decl
        fails = has_inv & (rng.random(n) < p_fail)
        recovered = rng.random(n) < (0.3 + 0.6 * rel * (1 - decl))
        outcome = np.where(has_inv, 1, 0)
        outcome = np.where(fails & recovered, 2, outcome)
        outcome = np.where(fails & ~recovered, 3, outcome)
        invoice_day[:, k] = np.where(has_inv, inv_day, -1)
        invoice_outcome[:, k] = outcome
        written_off = outcome == 3
        write_off_until = np.where(written_off, inv_day + 30 + 61, write_off_until)
        failed_until = np.where(fails, inv_day + 61, failed_until)

        t_rate = size**0.3 * (0.1 + 1.1 * (1 - q) ** 1.5) + 0.7 * (tenure_m < 2) + 0.5 * fails
        tickets[:, k] = rng.poisson(t_rate * nd / DAYS_PER_MONTH) * alive

        v = 0.45 * e + 0.45 * q + 0.1 * (1 - pp) - NPS_DECLINE * decl
        survey_due = (ms - signup - survey_phase) % 91
        survey_day = ms + (91 - survey_due) % 91
        responds = alive & (survey_day < me) & (survey_day > signup + 14) & (rng.random(n) < 0.55)
        score = np.clip(np.round(rng.normal(1.3 + 9.8 * v - 8 * pp * shock[k], 1.5)), 0, 10)
        for t in np.flatnonzero(responds):
            nps.append((int(t), int(survey_day[t]), int(score[t])))

        # --- risk signals a CS team sees, and the interventions they trigger ---
        cand_day = np.full(n, 10**9, dtype=np.int64)
        cand_reason = np.full(n, -1)

        def offer(
            mask: np.ndarray,
            day: np.ndarray,
            reason: int,
            pickup: np.ndarray | float,
            cand_day: np.ndarray = cand_day,
            cand_reason: np.ndarray = cand_reason,
        ) -> None:
            take = mask & (rng.random(n) < pickup) & (day < cand_day)
            cand_day[take] = day[take]
            cand_reason[take] = reason

        prev = logins[:, j - 4 : j - 1].mean(axis=1)
        usage_drop = (logins[:, j - 1] < 0.7 * prev) & (prev >= 5)
        d_prev = demand[:, j - 4 : j - 1].mean(axis=1)
        bookings_drop = demand[:, j - 1] < 0.86 * d_prev
        offer(alive & bookings_drop, ms + rng.integers(1, 7, n), 0, 0.9)
        offer(fails, inv_day + rng.integers(1, 4, n), 1, 0.95)
        offer(alive & usage_drop, ms + rng.integers(0, 5, n), 2, 0.8)
        detractor = responds & (score <= 6)
        offer(
            detractor,
            survey_day + rng.integers(1, 4, n),
            3,
            np.where(score <= 4, 0.9, PICKUP_NPS_MILD),
        )
        can = (
            alive
            & (cand_day < me)
            & (cand_day >= last_trigger + params.intervention_days)
            & (cand_day >= np.maximum(active_from, ms))
        )
        arm_holdout = rng.random(n) < params.holdout_share
        trig_day = np.where(can, cand_day, -1)

        # --- churn at day resolution ---
        wo = (write_off_until > ms) & (write_off_until - 61 <= me)
        failed_recently = (failed_until > ms) & (failed_until - 61 <= me)
        log_h = (
            np.log(H0)
            + COEF_DECLINE * decl
            + COEF_ENGAGEMENT * (0.67 - e)
            + COEF_QUALITY * (0.75 - q)
            + COEF_RELIABILITY * (0.83 - rel)
            + COEF_PRICE_SHOCK * pp * shock[k]
            + COEF_FAILED_INVOICE * failed_recently
            + COEF_WRITE_OFF * wo
            + COEF_NEW_TENANT * np.exp(-tenure_m / 4)
            + tier_eff
        )
        h = np.minimum(np.exp(log_h), HAZARD_CAP)
        hazard[:, k] = h
        lam = -np.log1p(-h) / DAYS_PER_MONTH
        days = np.arange(ms, me)
        in_life = (days[None, :] >= active_from[:, None]) & alive[:, None]
        covered = days[None, :] < treated_until[:, None]
        new_cover = (
            (trig_day[:, None] >= 0)
            & (days[None, :] >= trig_day[:, None])
            & (days[None, :] < trig_day[:, None] + params.intervention_days)
            & ~arm_holdout[:, None]
        )
        m_day = np.where(covered | new_cover, mult, 1.0)
        cum = np.cumsum(lam[:, None] * m_day * in_life, axis=1)
        full = lam[:, None] * m_day
        hazard_eff[:, k] = 1 - np.exp(-full.mean(axis=1) * DAYS_PER_MONTH)
        threshold = rng.exponential(1.0, n)
        churns = alive & (cum[:, -1] >= threshold)
        c_day = ms + np.argmax(cum >= threshold[:, None], axis=1)

        # Interventions that fire before the tenant leaves are recorded.
        for t in np.flatnonzero(trig_day >= 0):
            if churns[t] and trig_day[t] >= c_day[t]:
                continue
            arm = "holdout" if arm_holdout[t] else "treated"
            interventions.append(
                Intervention(int(t), int(trig_day[t]), TRIGGER_REASONS[cand_reason[t]], arm)
            )
            last_trigger[t] = trig_day[t]
            if arm == "treated":
                treated_until[t] = trig_day[t] + params.intervention_days

        recent_shock = shock[max(0, k - 2) : k + 1].max()
        weights = np.stack(
            [
                0.4 * pp + 3.0 * pp * recent_shock * 10,
                0.12 + 2.5 * decl + 0.15 * (tier == "starter"),
                0.25 + 0.6 * np.maximum(0, 0.7 - q),
                0.08 + 1.6 * np.maximum(0, 0.6 - e),
                0.04 + 1.3 * np.maximum(0, 0.65 - q) + 0.05 * tickets[:, k],
                0.02 + 3.0 * wo,
            ],
            axis=1,
        )
        for t in np.flatnonzero(churns):
            w = weights[t] / weights[t].sum()
            reason = REASONS[int(rng.choice(len(REASONS), p=w))]
            status[t] = 2
            churn_day[t] = c_day[t]
            churn_reason[t] = reason
            intervals[t].append((int(active_from[t]), int(c_day[t])))
            events.append((int(t), int(c_day[t]), "churn", str(plan[t])))
        # Signals after the churn day never happened.
        for t in np.flatnonzero(churns):
            if invoice_day[t, k] >= c_day[t]:
                invoice_day[t, k] = -1
                invoice_outcome[t, k] = 0
            tickets[t, k] = rng.binomial(tickets[t, k], (c_day[t] - ms) / max(nd, 1))
            logins[t, j] = rng.binomial(logins[t, j], (c_day[t] - ms) / max(nd, 1))
        nps[:] = [x for x in nps if not (churns[x[0]] and x[1] >= c_day[x[0]])]

        # --- plan changes among tenants still active ---
        still = status == 1
        change_day = ms + (rng.random(n) * nd).astype(np.int64)
        change_ok = still & (change_day > active_from + 20)
        up_p = 0.004 + 0.06 * np.maximum(0, v - 0.65)
        down_p = 0.002 + 0.06 * pp * decl + 0.3 * pp * shock[k]
        r_up, r_down = rng.random(n), rng.random(n)
        for t in np.flatnonzero(change_ok):
            current = plan[t]
            if current in ("basico", "profesional") and r_up[t] < up_p[t]:
                plan[t] = "profesional" if current == "basico" else "premium"
                events.append((int(t), int(change_day[t]), "upgrade", str(plan[t])))
            elif current in ("profesional", "premium") and r_down[t] < down_p[t]:
                plan[t] = "basico" if current == "profesional" else "profesional"
                events.append((int(t), int(change_day[t]), "downgrade", str(plan[t])))

        # --- a few churned tenants come back ---
        gone = (status == 2) & ~churns
        months_gone = (ms - churn_day) / DAYS_PER_MONTH
        comeback_reason = np.array(
            [r in ("price", "competitor", "low_usage", "payment_failure") for r in churn_reason]
        )
        back = gone & comeback_reason & (months_gone <= 8) & (rng.random(n) < 0.025)
        back_day = ms + (rng.random(n) * nd).astype(np.int64)
        for t in np.flatnonzero(back & (back_day > churn_day + 20)):
            status[t] = 1
            active_from[t] = back_day[t]
            events.append((int(t), int(back_day[t]), "reactivation", str(plan[t])))
            # Whatever went wrong was fixed: the decline stops, owners re-engage.
            decline[t, j + 1 :] = 0.0
            engagement[t, j + 1 :] = e0[t]
            quality[t, j + 1 :] = q0[t]
            demand[t, j + 1 :] = np.exp(noise[t, j + 1 :])
            churn_reason[t] = None

    for t in range(n):
        if status[t] == 1:
            intervals[t].append((int(active_from[t]), 10**9))
    # Months before signup or after churn have no logins.
    for t in range(n):
        for jj in range(BURN_IN_MONTHS, total):
            lo, hi = starts[jj], ends[jj]
            if not any(a < hi and b > lo for a, b in intervals[t]):
                logins[t, jj] = 0
                if jj - BURN_IN_MONTHS < k_hist:
                    tickets[t, jj - BURN_IN_MONTHS] = 0
    del today
    sl = slice(BURN_IN_MONTHS, BURN_IN_MONTHS + k_hist)
    return Lifecycle(
        months=cal.months[:k_hist],
        month_start=m_start,
        month_end=m_end,
        decline=decline[:, sl],
        engagement=engagement[:, sl],
        quality=quality[:, sl],
        demand=demand[:, sl],
        hazard=hazard,
        hazard_effective=hazard_eff,
        logins=logins[:, sl],
        tickets=tickets,
        invoice_day=invoice_day,
        invoice_outcome=invoice_outcome,
        nps=nps,
        interventions=interventions,
        churn_day=churn_day,
        churn_reason=churn_reason,
        events=sorted(events, key=lambda x: x[1]),
        intervals=intervals,
        final_plan=[str(p) for p in plan],
    )


def intervention_uplift(
    life: Lifecycle, params: GenerationParams, cal: Calendar
) -> dict[str, float | int]:
    """Expected 90-day churn probability without and with treatment, over triggered cases.

    Uses the untreated monthly hazard path each triggered tenant actually faced; only
    interventions whose follow-up window ends before today count (the same ones an
    analyst can score).
    """
    today = to_day(cal.today)
    days_all = np.arange(int(life.month_start[0]), today)
    month_of = np.searchsorted(life.month_end, days_all, side="right")
    p_control, p_treated, arms = [], [], []
    for iv in life.interventions:
        end = iv.day + params.intervention_days
        if end > today:
            continue
        idx = np.arange(iv.day, end) - days_all[0]
        h = life.hazard[iv.tenant_idx, month_of[idx]]
        big_lambda = float((-np.log1p(-h) / DAYS_PER_MONTH).sum())
        p_control.append(1 - np.exp(-big_lambda))
        p_treated.append(1 - np.exp(-params.intervention_hazard_multiplier * big_lambda))
        arms.append(iv.arm)
    if not p_control:
        return {"n": 0, "p_churn_90d_control": 0.0, "p_churn_90d_treated": 0.0, "uplift_90d": 0.0}
    pc, pt = float(np.mean(p_control)), float(np.mean(p_treated))
    return {
        "n": len(p_control),
        "p_churn_90d_control": pc,
        "p_churn_90d_treated": pt,
        "uplift_90d": pc - pt,
    }
