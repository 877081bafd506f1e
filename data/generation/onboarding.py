"""Onboarding history: the wizard sessions behind every tenant that signed up in the window,
plus the ones that were abandoned, rejected at verification, or are still in progress.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.generation.bookings import US_PER_DAY, US_PER_MIN
from data.generation.context import Calendar, stream, to_day
from data.generation.identity import make_cuit, random_people
from data.generation.tenants import _trade_name

STEPS = (
    "business",
    "contact",
    "locations",
    "hours",
    "services",
    "staff",
    "integrations",
    "review",
    "activation",
)
# Typical minutes per step (a self-serve solo shop); chains take longer on some steps.
STEP_MINUTES = np.array([5.0, 3.0, 5.0, 3.5, 7.0, 4.0, 5.0, 2.0, 1.0])
# Where abandoned sessions stop (weights per step, activation excluded).
ABANDON_AT = np.array([0.22, 0.12, 0.1, 0.08, 0.18, 0.1, 0.14, 0.06])
REVIEW_REASONS = (
    "cuit_name_mismatch",
    "address_unverified",
    "high_volume_new_account",
    "duplicate_phone",
    "afip_category_check",
)
REJECT_REASONS = ("invalid_cuit", "afip_inactive", "duplicate_tenant", "prohibited_activity")


def _step_durations(
    rng: np.random.Generator, tier: str, n_locations: int, n_staff: int
) -> np.ndarray:
    minutes = STEP_MINUTES * rng.lognormal(0, 0.35, len(STEPS))
    minutes[2] += 1.5 * (n_locations - 1)
    minutes[5] += 0.4 * (n_staff - 1)
    if tier == "enterprise":
        minutes[[4, 6]] *= 1.6
    return np.maximum(minutes, 0.5)


def build_onboarding(
    seed: int, tenants: pd.DataFrame, staff_counts: np.ndarray, users: pd.DataFrame, cal: Calendar
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sessions and their step events (session ids by start time)."""
    rng = stream(seed, "onboarding")
    window_start, today = to_day(cal.window_start), to_day(cal.today)
    as_of_us = today * US_PER_DAY
    operators = users.loc[users["role"] == "onboarding", "id"].to_numpy()
    sessions: list[dict] = []
    events: list[tuple[int, str, int, int]] = []  # (session number, step, entered, completed)

    def add(
        draft: dict,
        start_us: int,
        durations: np.ndarray,
        last_step: int,
        completed_last: bool,
        **fields: object,
    ) -> None:
        number = len(sessions)
        t = start_us
        for s in range(last_step + 1):
            done = s < last_step or completed_last
            end = t + int(durations[s] * 60) * 1_000_000  # whole seconds
            events.append((number, STEPS[s], t, end if done else -1))
            t = end
        last = events[-1]
        sessions.append(
            {
                "business_name": draft["business_name"],
                "vertical": draft["vertical"],
                "tier": draft["tier"],
                "started_at": start_us,
                "current_step": STEPS[last_step],
                "draft": draft,
                "updated_at": max(last[2], last[3]),
                **fields,
            }
        )

    new = tenants[tenants["signup_day"] >= window_start]
    for t in new.itertuples():
        durations = _step_durations(rng, t.tier, t.n_locations, int(staff_counts[t.Index]))
        manual = rng.random() < 0.15
        reasons = None
        if manual:
            durations[7] += rng.uniform(20, 240)
            k = int(rng.integers(1, 3))
            reasons = ",".join(rng.choice(REVIEW_REASONS, size=k, replace=False))
        activated = t.signup_day * US_PER_DAY + int(t.activated_minute) * US_PER_MIN
        # Steps last whole seconds: the last one (activation) ends at the activation.
        start = activated - int((durations * 60).astype(np.int64).sum()) * 1_000_000
        assisted = t.tier == "enterprise" or (t.tier == "pro" and rng.random() < 0.4)
        draft = {
            "business_name": t.trade_name,
            "vertical": t.vertical,
            "tier": t.tier,
            "cuit": t.cuit,
            "province": t.province,
            "city": t.city,
            "locations": int(t.n_locations),
            "staff": int(staff_counts[t.Index]),
        }
        add(
            draft,
            start,
            durations,
            len(STEPS) - 1,
            True,
            status="activated",
            verification_status="approved" if manual else "auto_approved",
            verification_reasons=reasons,
            tenant_id=int(t.id),
            activated_at=activated,
            operator_id=int(rng.choice(operators)) if assisted else None,
        )

    # Sessions that never became tenants, spread over the window like signups.
    n_new = max(len(new), 3)
    n_abandoned = int(rng.poisson(0.45 * n_new))
    n_rejected = int(rng.poisson(0.06 * n_new)) + 1
    n_open = int(rng.integers(2, 5))
    total = n_abandoned + n_rejected
    verticals = np.array(["barbershop", "salon", "nails", "spa"])
    tiers = np.array(["starter", "pro", "enterprise"])
    first, last, female = random_people(rng, total + n_open, female_share=0.5)
    taken: set[str] = set(tenants["cuit"])
    for i in range(total + n_open):
        vertical = str(rng.choice(verticals, p=[0.45, 0.25, 0.18, 0.12]))
        tier = str(rng.choice(tiers, p=[0.6, 0.3, 0.1]))
        name = _trade_name(rng, vertical, str(first[i]), str(last[i]), bool(female[i]), tier)
        cuit = make_cuit(rng, "27" if female[i] else "20", taken)
        n_loc = 1 if tier != "enterprise" else int(rng.integers(3, 9))
        durations = _step_durations(rng, tier, n_loc, n_loc * 3)
        draft = {
            "business_name": name,
            "vertical": vertical,
            "tier": tier,
            "cuit": cuit,
            "locations": n_loc,
        }
        if i < total:
            day = int(rng.integers(window_start, today - 3))
        else:  # still in progress: started in the last day and a half
            day = today - 1 - int(rng.integers(0, 2))
        start = day * US_PER_DAY + int(rng.integers(8 * 60, 22 * 60)) * US_PER_MIN
        if i < n_abandoned:
            stop = int(rng.choice(len(ABANDON_AT), p=ABANDON_AT / ABANDON_AT.sum()))
            add(
                draft,
                start,
                durations,
                stop,
                False,
                status="abandoned",
                verification_status=None,
                verification_reasons=None,
                tenant_id=None,
                activated_at=None,
                operator_id=None,
            )
        elif i < total:
            reason = str(rng.choice(REJECT_REASONS))
            if reason == "invalid_cuit":  # a typo in the last digit fails the check
                draft["cuit"] = cuit[:-1] + str((int(cuit[-1]) + 1) % 10)
            add(
                draft,
                start,
                durations,
                STEPS.index("review"),
                True,
                status="rejected",
                verification_status="rejected",
                verification_reasons=reason,
                tenant_id=None,
                activated_at=None,
                operator_id=None,
            )
        else:
            stop = int(rng.integers(1, len(STEPS) - 1))
            in_review = stop == STEPS.index("review")
            add(
                draft,
                start,
                durations,
                stop,
                False,
                status="in_progress",
                verification_status="manual_review" if in_review else None,
                verification_reasons=str(rng.choice(REVIEW_REASONS)) if in_review else None,
                tenant_id=None,
                activated_at=None,
                operator_id=None,
            )

    # Nothing may be stamped after now: clip the in-progress sessions' open steps.
    order = np.argsort([s["started_at"] for s in sessions], kind="stable")
    new_id = np.empty(len(sessions), dtype=np.int64)
    new_id[order] = np.arange(1, len(sessions) + 1)
    cols = {
        key: []
        for key in (
            "id",
            "business_name",
            "vertical",
            "tier",
            "operator_id",
            "started_at",
            "current_step",
            "status",
            "verification_status",
            "verification_reasons",
            "draft",
            "tenant_id",
            "activated_at",
            "updated_at",
        )
    }
    for pos in order:
        s = sessions[pos]
        cols["id"].append(new_id[pos])
        for key in cols:
            if key != "id":
                cols[key].append(s.get(key))
    sess = {k: np.array(v, dtype=object) for k, v in cols.items()}
    for key in ("id", "started_at", "updated_at"):
        sess[key] = np.array(cols[key], dtype=np.int64)
    sess["updated_at"] = np.minimum(sess["updated_at"], as_of_us)
    sess["activated_at"] = np.array(
        [-1 if v is None else v for v in cols["activated_at"]], dtype=np.int64
    )
    ev = np.array(
        [(new_id[s], entered, completed) for s, _, entered, completed in events], dtype=np.int64
    ).reshape(-1, 3)
    steps = np.array([e[1] for e in events], dtype=object)
    keep = ev[:, 1] < as_of_us
    ev, steps = ev[keep], steps[keep]
    completed = np.where(ev[:, 2] >= as_of_us, -1, ev[:, 2])
    ev_order = np.lexsort((ev[:, 1], ev[:, 0]))
    step_events = {
        "id": np.arange(1, len(ev) + 1),
        "session_id": ev[ev_order, 0],
        "step": steps[ev_order],
        "entered_at": ev[ev_order, 1],
        "completed_at": completed[ev_order],
        "updated_at": np.maximum(ev[ev_order, 1], completed[ev_order]),
    }
    return sess, step_events
