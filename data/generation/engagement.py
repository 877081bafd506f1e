"""What tenants do and say: back-office activity, support tickets, NPS; and CS outreach.

Counts come from the lifecycle (so they carry the latent traits); here they become
rows with timestamps, categories and Spanish texts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.generation.bookings import US_PER_DAY, US_PER_MIN
from data.generation.context import Calendar, stream, to_day
from data.generation.lifecycle import Lifecycle
from data.generation.tenants import FEATURES
from data.reference.phrases import NPS_COMMENTS, TICKET_SUBJECTS

CATEGORIES = tuple(TICKET_SUBJECTS)
CATEGORY_WEIGHT = {
    "payments": 0.18,
    "bookings": 0.22,
    "billing": 0.12,
    "integrations": 0.10,
    "account": 0.12,
    "bug": 0.12,
    "how_to": 0.14,
}
SEVERITIES = ("low", "medium", "high", "urgent")
RESOLUTION_HOURS = np.array([110.0, 55.0, 20.0, 5.0])  # mean, by severity
PLAYBOOKS = {
    "health_red": "health_review",
    "failed_invoice": "billing_recovery",
    "usage_drop": "adoption_boost",
    "nps_detractor": "detractor_callback",
}
ACTIONS = {
    "health_review": ("call", "business_review", "whatsapp"),
    "billing_recovery": ("billing_fix", "call", "email"),
    "adoption_boost": ("training", "whatsapp", "call"),
    "detractor_callback": ("call", "discount_offer", "training"),
}
OUTCOMES = ("resolved", "no_response", "escalated", "retained_with_discount")
# Which features a plan includes.
PLAN_FEATURES = {
    "basico": ("online_booking", "reminders", "payments", "reports"),
    "profesional": ("online_booking", "reminders", "payments", "reports", "marketing"),
    "premium": FEATURES,
    "cadena": FEATURES,
}


def _days_in_month(life: Lifecycle, t: np.ndarray, k: np.ndarray, u: np.ndarray) -> np.ndarray:
    ms, me = life.month_start[k], life.month_end[k]
    return ms + (u * (me - ms)).astype(np.int64)


def admin_activity(
    seed: int, tenants: pd.DataFrame, life: Lifecycle, cal: Calendar
) -> dict[str, np.ndarray]:
    """Logins (counts from the lifecycle) and the features used after them."""
    rng = stream(seed, "admin_activity")
    as_of_us = to_day(cal.today) * US_PER_DAY
    t_idx, k_idx = np.nonzero(life.logins > 0)
    counts = life.logins[t_idx, k_idx]
    lt = np.repeat(t_idx, counts)
    lk = np.repeat(k_idx, counts)
    day = _days_in_month(life, lt, lk, rng.random(len(lt)))
    # Owners log in less on Sundays; move most Sunday logins to Saturday.
    sunday = ((day + 3) % 7 == 6) & (rng.random(len(day)) < 0.7)
    day = np.where(sunday & (day - 1 >= life.month_start[lk]), day - 1, day)
    ok = life.active_mask(lt, day)
    lt, lk, day = lt[ok], lk[ok], day[ok]
    n = len(lt)
    morning = rng.random(n) < 0.6
    minute = np.where(morning, rng.normal(9.5 * 60, 60, n), rng.normal(20 * 60, 90, n))
    minute = np.clip(minute, 7 * 60, 23 * 60 + 50).astype(np.int64)
    login_at = day * US_PER_DAY + minute * US_PER_MIN + rng.integers(0, 60, n) * 1_000_000

    # Features: engaged owners use more; each plan unlocks its own features.
    e = life.engagement[lt, lk]
    n_feat = rng.poisson(0.4 + 1.6 * e)
    ft = np.repeat(lt, n_feat)
    f_at = np.repeat(login_at, n_feat) + rng.integers(1, 40, n_feat.sum()) * US_PER_MIN
    f_rng = stream(seed, "feature_mix")
    weights = np.zeros((len(tenants), len(FEATURES)))
    base = np.array([0.3, 0.25, 0.2, 0.15, 0.06, 0.04]) * 12
    for i, plan in enumerate(tenants["plan"].to_numpy()):
        allowed = np.array([f in PLAN_FEATURES[plan] for f in FEATURES])
        weights[i] = f_rng.dirichlet(base) * allowed
    cum = np.cumsum(weights[ft], axis=1)
    cum /= cum[:, -1:]
    feat = (rng.random(len(ft))[:, None] > cum).sum(axis=1).clip(0, len(FEATURES) - 1)

    occurred = np.concatenate([login_at, f_at])
    kind = np.concatenate(
        [np.full(n, "login", dtype=object), np.full(len(ft), "feature", dtype=object)]
    )
    feature = np.concatenate(
        [np.full(n, None, dtype=object), np.array(FEATURES, dtype=object)[feat]]
    )
    tid = np.concatenate([lt, ft])
    keep = occurred < as_of_us
    order = np.argsort(occurred[keep], kind="stable")
    return {
        "tenant_id": tenants["id"].to_numpy()[tid[keep]][order],
        "occurred_at": occurred[keep][order],
        "kind": kind[keep][order],
        "feature": feature[keep][order],
        "updated_at": occurred[keep][order],
    }


def support_tickets(
    seed: int, tenants: pd.DataFrame, life: Lifecycle, cal: Calendar
) -> dict[str, np.ndarray]:
    """Tickets from the lifecycle's monthly counts; unhappy tenants rate support lower."""
    rng = stream(seed, "tickets")
    as_of_us = to_day(cal.today) * US_PER_DAY
    t_idx, k_idx = np.nonzero(life.tickets > 0)
    counts = life.tickets[t_idx, k_idx]
    tt, tk = np.repeat(t_idx, counts), np.repeat(k_idx, counts)
    day = _days_in_month(life, tt, tk, rng.random(len(tt)))
    ok = life.active_mask(tt, day)
    tt, tk, day = tt[ok], tk[ok], day[ok]
    n = len(tt)
    opened = day * US_PER_DAY + rng.integers(8 * 60, 21 * 60, n) * US_PER_MIN
    failed_month = life.invoice_outcome[tt, tk] >= 2
    new_tenant = (day - tenants["signup_day"].to_numpy()[tt]) < 60
    w = np.tile(np.array([CATEGORY_WEIGHT[c] for c in CATEGORIES]), (n, 1))
    w[:, CATEGORIES.index("billing")] *= np.where(failed_month, 5.0, 1.0)
    w[:, CATEGORIES.index("how_to")] *= np.where(new_tenant, 3.0, 1.0)
    cum = np.cumsum(w, axis=1)
    cum /= cum[:, -1:]
    cat = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(CATEGORIES) - 1)
    sev_p = np.array([0.35, 0.40, 0.18, 0.07])
    sev = rng.choice(4, size=n, p=sev_p)
    severe_cat = np.isin(cat, [CATEGORIES.index("payments"), CATEGORIES.index("bug")])
    sev = np.where(severe_cat & (rng.random(n) < 0.3), np.minimum(sev + 1, 3), sev)
    hours = rng.exponential(RESOLUTION_HOURS[sev])
    closed = opened + (hours * 60 * US_PER_MIN).astype(np.int64)
    is_closed = closed < as_of_us
    mood = 0.5 * life.engagement[tt, tk] + 0.5 * life.quality[tt, tk]
    csat_mean = 1.4 + 3.8 * mood - 0.5 * (hours > 48)
    csat = np.clip(np.round(rng.normal(csat_mean, 0.8)), 1, 5)
    rated = is_closed & (rng.random(n) < 0.65)
    subjects = np.array(
        [
            TICKET_SUBJECTS[CATEGORIES[c]][
                int(rng.integers(0, len(TICKET_SUBJECTS[CATEGORIES[c]])))
            ]
            for c in cat
        ],
        dtype=object,
    )
    order = np.argsort(opened, kind="stable")
    return {
        "tenant_id": tenants["id"].to_numpy()[tt][order],
        "opened_at": opened[order],
        "closed_at": np.where(is_closed, closed, -1)[order],
        "severity": np.array(SEVERITIES, dtype=object)[sev][order],
        "category": np.array(CATEGORIES, dtype=object)[cat][order],
        "subject": subjects[order],
        "csat": np.where(rated, csat, np.nan)[order],
        "updated_at": np.where(is_closed, closed, opened)[order],
    }


def nps_responses(seed: int, tenants: pd.DataFrame, life: Lifecycle) -> dict[str, np.ndarray]:
    """NPS answers drawn by the lifecycle, with a Spanish comment on some."""
    rng = stream(seed, "nps")
    if not life.nps:
        return {
            k: np.array([]) for k in ("tenant_id", "responded_at", "score", "comment", "updated_at")
        }
    arr = np.array(sorted(life.nps, key=lambda x: (x[1], x[0])), dtype=np.int64)
    t, day, score = arr[:, 0], arr[:, 1], arr[:, 2]
    n = len(t)
    at = day * US_PER_DAY + rng.integers(9 * 60, 22 * 60, n) * US_PER_MIN
    comments = []
    for s in score:
        if rng.random() < 0.4:
            for lo, hi, texts in NPS_COMMENTS:
                if lo <= s <= hi:
                    comments.append(texts[int(rng.integers(0, len(texts)))])
                    break
        else:
            comments.append(None)
    return {
        "tenant_id": tenants["id"].to_numpy()[t],
        "responded_at": at,
        "score": score,
        "comment": np.array(comments, dtype=object),
        "updated_at": at,
    }


def cs_interventions(
    seed: int, tenants: pd.DataFrame, life: Lifecycle, cal: Calendar
) -> dict[str, np.ndarray]:
    """Interventions the lifecycle triggered; treated ones get worked, holdouts do not."""
    rng = stream(seed, "interventions")
    as_of_us = to_day(cal.today) * US_PER_DAY
    churn_days: dict[int, list[int]] = {}
    for t, day, kind, _ in life.events:
        if kind == "churn":
            churn_days.setdefault(t, []).append(day)
    rows = []
    for iv in sorted(life.interventions, key=lambda x: (x.day, x.tenant_idx)):
        trig = iv.day * US_PER_DAY + int(rng.integers(9 * 60, 18 * 60)) * US_PER_MIN
        playbook = PLAYBOOKS[iv.reason]
        action = outcome = None
        action_at = closed_at = -1
        if iv.arm == "treated":
            action_at = trig + int(rng.integers(60, 3 * 1440)) * US_PER_MIN
            action = ACTIONS[playbook][int(rng.integers(0, 3))]
            closed_at = trig + int(rng.integers(5, 30)) * US_PER_DAY
            outcome = OUTCOMES[int(rng.choice(4, p=[0.6, 0.15, 0.1, 0.15]))]
            lost = [d for d in churn_days.get(iv.tenant_idx, []) if iv.day <= d]
            lost_minute = int(rng.integers(10 * 60, 18 * 60))
            lost_at = (lost[0] if lost else 0) * US_PER_DAY + lost_minute * US_PER_MIN
            if lost and lost_at < closed_at:
                # The tenant left while the case was open: CS closes it as lost.
                closed_at, outcome = max(lost_at, trig + US_PER_MIN), "churned"
                if closed_at <= action_at:
                    action_at, action = -1, None
            if closed_at >= as_of_us:
                closed_at, outcome = -1, None
            if action_at >= as_of_us:
                action_at, action = -1, None
        updated = max(trig, action_at, closed_at)
        rows.append(
            (iv.tenant_idx, trig, iv.reason, playbook, iv.arm, action, outcome, closed_at, updated)
        )
    df = pd.DataFrame(
        rows,
        columns=[
            "t",
            "trig",
            "reason",
            "playbook",
            "arm",
            "action",
            "outcome",
            "closed",
            "updated",
        ],
    )
    t = df["t"].to_numpy(dtype=np.int64)
    return {
        "tenant_id": tenants["id"].to_numpy()[t],
        "owner_id": tenants["cs_owner_id"].to_numpy()[t],
        "triggered_at": df["trig"].to_numpy(dtype=np.int64),
        "reason": df["reason"].to_numpy(dtype=object),
        "playbook": df["playbook"].to_numpy(dtype=object),
        "arm": df["arm"].to_numpy(dtype=object),
        "action": df["action"].to_numpy(dtype=object),
        "outcome": df["outcome"].to_numpy(dtype=object),
        "closed_at": df["closed"].to_numpy(dtype=np.int64),
        "updated_at": df["updated"].to_numpy(dtype=np.int64),
    }
