"""Payments for a batch of bookings: deposits, final payments, retries and fees.

Mercado Pago is the biggest method, then cash, card and transfer (each tenant has its
own mix). Statuses follow Mercado Pago's vocabulary with realistic shares; recent
payments are more often still pending. A small share of completed bookings has no
payment or an amount that does not match the price, for the reconciliation view.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.vocabulary import PAYMENT_STATUSES
from data.generation.bookings import US_PER_DAY, US_PER_MIN, _draw_rows
from data.generation.tenants import CHANNELS, METHODS

# The platform's MercadoPago-style statuses, in the order the share tables below use.
STATUSES = PAYMENT_STATUSES
# Status shares per method for settled (older) payments, in STATUSES order.
STATUS_SHARES = {
    "mercadopago": (0.925, 0.005, 0.004, 0.035, 0.015, 0.010, 0.006),
    "cash": (0.997, 0.0, 0.0, 0.0, 0.003, 0.0, 0.0),
    "card": (0.950, 0.0, 0.0, 0.030, 0.010, 0.004, 0.006),
    "transfer": (0.975, 0.015, 0.0, 0.010, 0.0, 0.0, 0.0),
}
# Payments of the last few days are often not settled yet.
RECENT_SHARES = {
    "mercadopago": (0.86, 0.06, 0.04, 0.035, 0.0, 0.005, 0.0),
    "cash": (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    "card": (0.95, 0.0, 0.02, 0.03, 0.0, 0.0, 0.0),
    "transfer": (0.88, 0.11, 0.0, 0.01, 0.0, 0.0, 0.0),
}
RECENT_DAYS = 4
NO_PAYMENT_SHARE = 0.035
MISMATCH_SHARE = 0.015
CARD_FEE = 0.0299
RETRY_SHARE = 0.85


def _statuses(rng: np.random.Generator, method: np.ndarray, recent: np.ndarray) -> np.ndarray:
    out = np.zeros(len(method), dtype=np.int64)
    for m_code, name in enumerate(METHODS):
        for is_recent, table in ((False, STATUS_SHARES), (True, RECENT_SHARES)):
            sel = (method == m_code) & (recent == is_recent)
            if sel.any():
                p = np.array(table[name])
                out[sel] = rng.choice(len(STATUSES), size=int(sel.sum()), p=p / p.sum())
    return out


def generate_payments(
    rng: np.random.Generator,
    bookings: dict[str, np.ndarray],
    extra: dict[str, np.ndarray],
    tenants: pd.DataFrame,
    as_of_us: int,
) -> dict[str, np.ndarray]:
    """Payment rows (``booking_rank`` is the booking's position in the batch)."""
    n = len(bookings["status"])
    t_idx = extra["tenant_idx"]
    status = bookings["status"]
    price = bookings["price_ars"]
    created = bookings["created_at"]
    takes = tenants["takes_deposits"].to_numpy()[t_idx]
    online = np.isin(extra["channel_code"], [CHANNELS.index("web"), CHANNELS.index("app")])

    # Deposits (señas) for online bookings of tenants that ask for them.
    dep = takes & online & (price >= 8000) & (rng.random(n) < 0.8)
    dep_amount = np.round(price * 0.3 / 100) * 100
    dep_created = created + rng.integers(1, 20, n) * US_PER_MIN
    dep &= dep_created <= as_of_us
    dep_status = np.where(rng.random(n) < 0.95, 0, 3)  # approved or rejected
    dep_refund = dep & (dep_status == 0) & (status == "cancelled") & (rng.random(n) < 0.6)
    refund_at = extra["cancel"] + rng.integers(60, 3 * 1440, n) * US_PER_MIN
    dep_refund &= refund_at <= as_of_us
    dep_status = np.where(dep_refund, 4, dep_status)
    dep_updated = np.where(dep_refund, refund_at, dep_created + rng.integers(2, 90, n) * 1_000_000)
    dep_paid = dep & (dep_status == 0)

    # Final payments for completed appointments.
    done = (status == "completed") & (rng.random(n) >= NO_PAYMENT_SHARE)
    amount = price - np.where(dep_paid, dep_amount, 0.0)
    mismatch = done & (rng.random(n) < MISMATCH_SHARE)
    factor = np.array([0.5, 0.8, 0.9, 1.1])[rng.integers(0, 4, n)]
    amount = np.where(mismatch, np.round(amount * factor / 100) * 100, amount)
    pay_created = extra["end"] + rng.integers(-10, 15, n) * US_PER_MIN
    pay_created = np.minimum(pay_created, as_of_us - rng.integers(1, 30, n) * US_PER_MIN)
    done &= (amount > 0) & (pay_created > created)
    method = _draw_rows(rng, tenants[[f"pm_{m}" for m in METHODS]].to_numpy()[t_idx])
    recent = pay_created > as_of_us - RECENT_DAYS * US_PER_DAY
    pay_status = _statuses(rng, method, recent)

    # A rejected or cancelled attempt is usually followed by one that goes through.
    retry = done & np.isin(pay_status, [3, 5]) & (rng.random(n) < RETRY_SHARE)
    retry_method = np.array([0, 1, 2])[rng.choice(3, size=n, p=[0.4, 0.4, 0.2])]
    retry_created = pay_created + rng.integers(2, 15, n) * US_PER_MIN
    retry &= retry_created <= as_of_us

    rank = np.arange(n)
    parts = [
        (dep, dep_created, dep_amount, np.zeros(n, np.int64), dep_status, dep_updated),
        (done, pay_created, amount, method, pay_status, None),
        (retry, retry_created, amount, retry_method, np.zeros(n, np.int64), None),
    ]
    frames = []
    for mask, when, amt, meth, stat, upd in parts:
        frames.append(
            {
                "booking_rank": rank[mask],
                "tenant_idx": t_idx[mask],
                "created_at": when[mask],
                "amount_ars": amt[mask],
                "method": meth[mask],
                "status": stat[mask],
                "updated_at": None if upd is None else upd[mask],
            }
        )
    out = {
        key: np.concatenate([f[key] for f in frames if key != "updated_at"])
        for key in frames[0]
        if key != "updated_at"
    }
    m = len(out["created_at"])
    upd = np.concatenate(
        [
            f["updated_at"] if f["updated_at"] is not None else np.full(len(f["created_at"]), -1)
            for f in frames
        ]
    )
    st = out["status"]
    # Later status changes, only if they happened before now.
    later = np.select(
        [st == 4, st == 6],
        [
            out["created_at"] + rng.integers(1, 20, m) * US_PER_DAY,
            out["created_at"] + rng.integers(20, 90, m) * US_PER_DAY,
        ],
        -1,
    )
    undone = (later > as_of_us) & (upd < 0)
    st = np.where(undone, 0, st)
    quick = out["created_at"] + np.where(out["method"] == 0, rng.integers(2, 90, m) * 1_000_000, 0)
    upd = np.where(upd >= 0, upd, np.where((later > 0) & ~undone, later, quick))
    upd = np.minimum(upd, as_of_us)

    fee_rate = np.select(
        [out["method"] == 0, out["method"] == 2],
        [tenants["mp_fee_rate"].to_numpy()[out["tenant_idx"]], CARD_FEE],
        0.0,
    )
    fee = np.where(np.isin(st, [0, 6]), np.round(out["amount_ars"] * fee_rate, 2), 0.0)
    order = np.argsort(out["created_at"], kind="stable")
    return {
        "tenant_id": tenants["id"].to_numpy()[out["tenant_idx"]][order],
        "booking_rank": out["booking_rank"][order],
        "created_at": out["created_at"][order],
        "amount_ars": out["amount_ars"][order],
        "method": np.array(METHODS, dtype=object)[out["method"]][order],
        "status": np.array(STATUSES, dtype=object)[st][order],
        "fee_ars": fee[order],
        "updated_at": upd[order],
    }
