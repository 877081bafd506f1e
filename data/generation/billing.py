"""BarberPro's billing of its tenants: priced subscription periods and monthly invoices.

A period closes and a new one opens on every change: the quarterly price update for
inflation, an upgrade or downgrade, a chain opening a location (expansion), a
reactivation. A churned tenant's last period ends on its churn day (``ended_on`` is
exclusive), so the MRR on any day is the sum of the periods open that day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.generation.bookings import US_PER_DAY, US_PER_MIN
from data.generation.context import Calendar, stream, to_day
from data.generation.lifecycle import Lifecycle
from data.generation.pricing import PLAN_TIER, PlanPrices

NULL = -1


def build_subscriptions(
    seed: int,
    tenants: pd.DataFrame,
    locations: pd.DataFrame,
    life: Lifecycle,
    prices: PlanPrices,
    cal: Calendar,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Subscription periods; also each tenant's final plan and last change time (us)."""
    rng = stream(seed, "subscriptions")
    today = to_day(cal.today)
    events_by_tenant: dict[int, list[tuple[int, str, str]]] = {}
    for t, day, kind, plan in life.events:
        events_by_tenant.setdefault(t, []).append((day, kind, plan))
    opened = locations.groupby("tenant_idx")["opened_day"].apply(lambda s: np.sort(s.to_numpy()))

    rows: list[tuple[int, str, float, int, int, str, int]] = []
    last_change = np.zeros(len(tenants), dtype=np.int64)
    final_plan = tenants["initial_plan"].to_numpy().astype(object).copy()
    for t in tenants.itertuples():
        i = t.Index
        loc_days = opened.get(i, np.array([t.signup_day]))
        changes: list[tuple[int, str, str | None]] = [(t.signup_day, "new", t.initial_plan)]
        changes += [
            (int(d), "price_update", None) for d in prices.updates_between(t.signup_day, today)
        ]
        changes += [
            (int(d), "expansion", None)
            for d in loc_days
            if t.initial_plan == "cadena" and t.signup_day < d < today
        ]
        changes += [(d, k, p) for d, k, p in events_by_tenant.get(i, [])]
        order = {
            "new": 0,
            "reactivation": 1,
            "upgrade": 2,
            "downgrade": 2,
            "expansion": 3,
            "price_update": 4,
            "churn": 5,
        }
        changes.sort(key=lambda c: (c[0], order[c[1]]))
        plan, active, current = t.initial_plan, False, None
        for day, kind, new_plan in changes:
            if kind == "churn":
                if current is not None:
                    current[4] = day
                    rows.append(tuple(current))  # type: ignore[arg-type]
                    current = None
                active = False
                last_change[i] = day * US_PER_DAY + int(rng.integers(9 * 60, 19 * 60)) * US_PER_MIN
                continue
            if kind in ("new", "reactivation"):
                active = True
            if not active:
                continue  # price updates while churned do not open periods
            if new_plan is not None:
                plan = new_plan
            if kind in ("upgrade", "downgrade", "reactivation"):
                last_change[i] = day * US_PER_DAY + int(rng.integers(9 * 60, 19 * 60)) * US_PER_MIN
            n_loc = int((loc_days <= day).sum()) if plan == "cadena" else 1
            mrr = prices.price(plan, max(n_loc, 1), day)
            if current is not None and current[3] == day:
                current[1], current[2], current[5] = plan, mrr, current[5]
                continue
            if current is not None:
                if current[2] == mrr and current[1] == plan:
                    continue  # a price update that left this plan's price unchanged
                current[4] = day
                rows.append(tuple(current))  # type: ignore[arg-type]
            current = [i, plan, mrr, day, NULL, kind]
        if current is not None:
            rows.append(tuple(current))  # type: ignore[arg-type]
        final_plan[i] = plan
        if last_change[i] == 0:
            last_change[i] = t.signup_day * US_PER_DAY + int(t.activated_minute) * US_PER_MIN

    subs = pd.DataFrame(
        rows, columns=["tenant_idx", "plan", "mrr_ars", "started_on", "ended_on", "change_reason"]
    )
    subs = subs.sort_values(["started_on", "tenant_idx"], kind="stable").reset_index(drop=True)
    changed_at = np.where(subs["ended_on"] >= 0, subs["ended_on"], subs["started_on"])
    minute = np.where(subs["change_reason"] == "price_update", 5, 9 * 60)
    cols = {
        "id": np.arange(1, len(subs) + 1),
        "tenant_idx": subs["tenant_idx"].to_numpy(),
        "tenant_id": tenants["id"].to_numpy()[subs["tenant_idx"].to_numpy()],
        "plan": subs["plan"].to_numpy(),
        "tier": np.array([PLAN_TIER[p] for p in subs["plan"]], dtype=object),
        "mrr_ars": subs["mrr_ars"].to_numpy(dtype=float),
        "started_on": subs["started_on"].to_numpy(),
        "ended_on": subs["ended_on"].to_numpy(),
        "change_reason": subs["change_reason"].to_numpy(),
        "updated_at": changed_at * US_PER_DAY + minute * US_PER_MIN,
    }
    return cols, final_plan, last_change


def build_invoices(
    seed: int, subs: dict[str, np.ndarray], tenants: pd.DataFrame, life: Lifecycle, cal: Calendar
) -> dict[str, np.ndarray]:
    """Monthly invoices with the payment outcome the lifecycle drew for each."""
    rng = stream(seed, "invoices")
    today = to_day(cal.today)
    t_idx, k_idx = np.nonzero(life.invoice_day >= 0)
    issued = life.invoice_day[t_idx, k_idx]
    outcome = life.invoice_outcome[t_idx, k_idx]
    order = np.lexsort((t_idx, issued))
    t_idx, issued, outcome = t_idx[order], issued[order], outcome[order]
    n = len(t_idx)

    # The subscription period open on the issue day.
    sub_t, sub_start = subs["tenant_idx"], subs["started_on"]
    sub_end = np.where(subs["ended_on"] >= 0, subs["ended_on"], 10**9)
    key = np.lexsort((sub_start, sub_t))
    st_sorted, ss_sorted = sub_t[key], sub_start[key]
    pos = np.searchsorted(st_sorted * 10**7 + ss_sorted, t_idx * 10**7 + issued, side="right") - 1
    sub_pos = key[np.clip(pos, 0, None)]
    valid = (pos >= 0) & (st_sorted[np.clip(pos, 0, None)] == t_idx) & (sub_end[sub_pos] > issued)
    t_idx, issued, outcome, sub_pos = t_idx[valid], issued[valid], outcome[valid], sub_pos[valid]
    n = len(t_idx)

    status = np.full(n, "paid", dtype=object)
    attempts = np.ones(n, dtype=np.int64)
    paid_on = issued + rng.integers(0, 6, n)
    last_day = paid_on.copy()
    retried = outcome == 2
    att_r = rng.integers(2, 4, n)
    paid_r = issued + 3 * (att_r - 1) + rng.integers(0, 3, n)
    attempts = np.where(retried, att_r, attempts)
    paid_on = np.where(retried, paid_r, paid_on)
    status[retried] = "retried"
    written = outcome == 3
    attempts = np.where(written, 4, attempts)
    paid_on = np.where(written, NULL, paid_on)
    last_day = np.where(written, issued + 30, paid_on)
    status[written] = "written_off"
    # What has not happened yet by today is still open or failed.
    tried_so_far = np.clip(1 + (today - 1 - issued) // 3, 1, 4)
    pending_paid = (outcome == 1) & (paid_on >= today)
    status[pending_paid] = "open"
    paid_on = np.where(pending_paid, NULL, paid_on)
    last_day = np.where(pending_paid, issued, last_day)
    unresolved = (retried & (paid_r >= today)) | (written & (issued + 30 >= today))
    status[unresolved] = "failed"
    attempts = np.where(unresolved, np.minimum(tried_so_far, attempts), attempts)
    paid_on = np.where(unresolved, NULL, paid_on)
    last_day = np.where(unresolved, issued + 3 * (attempts - 1), last_day)
    last_day = np.minimum(last_day, today - 1)

    return {
        "id": np.arange(1, n + 1),
        "tenant_id": tenants["id"].to_numpy()[t_idx],
        "subscription_id": subs["id"][sub_pos],
        "period_start": issued,
        "issued_on": issued,
        "due_on": issued + 10,
        "amount_ars": subs["mrr_ars"][sub_pos],
        "status": status,
        "attempts": attempts,
        "paid_on": paid_on,
        "updated_at": last_day * US_PER_DAY + rng.integers(6 * 60, 12 * 60, n) * US_PER_MIN,
    }
