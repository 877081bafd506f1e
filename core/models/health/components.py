"""The health score's components: point-in-time signals turned into 0-100 scores.

Every component is the mean of its available sub-scores, each a documented piecewise
linear map of one signal (``ramp``). A component none of whose sub-scores can be
computed is *missing* (NaN): the score leaves it out and re-weights the others.

Signals are read as of the start of a day ``as_of`` (midnight), from rows dated before
it only; most come from :func:`core.models.features.churn_features`, which documents the
point-in-time rules per table. This module adds the few signals it lacks (reminder and
payment feature use, late invoices).

======================  ==================================================================
component               sub-scores (0 at the first value, 100 at the second, linear between)
======================  ==================================================================
usage                   weekly bookings of the last 28 days over the tenant's own baseline
                        (the 26 weeks before): 0.5 -> 0, 1.1 -> 100. Missing with less
                        than 28 days of baseline (a new tenant).
adoption                online booking share of the last 90 days (web, app, WhatsApp,
                        Instagram vs walk-in): 0.3 -> 0, 0.9 -> 100; reminders used in 90
                        days: 0 or 100; payments used in 90 days: 0 or 100; back-office
                        logins in 28 days: 0 -> 0, 30 -> 100.
billing                invoices issued in the last 180 days: 100 - 40 per failed invoice
                        - 15 per late one (paid after its due date, or past due and unpaid
                        at as_of), floored at 0. Missing with no invoice in 180 days.
support                 ticket load: 100 - 25 per open ticket - 20 per high/urgent ticket
                        of the last 90 days, floored at 0; CSAT of the last 180 days:
                        1 -> 0, 5 -> 100 (when answered).
sentiment               latest NPS answer of the last 365 days: 0 -> 0, 10 -> 100. Missing
                        without one.
relationship            days since the last CS touch (or since signup, when never
                        touched: onboarding is the first touch): 180 -> 0, 30 -> 100.
client_base             share of the tenant's clients of the last 365 days still likely
                        active (BG/NBD P(alive) >= 0.5, see ``health.client_base``):
                        0.5 -> 0, 0.95 -> 100. Missing with too few clients.
======================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.models.features import FAILED_INVOICE_STATUSES, churn_features_many
from core.schema import AdminActivity, Invoice

# (signal value scoring 0, value scoring 100) of each ramp; see the module docstring.
USAGE_RAMP = (0.5, 1.1)
ONLINE_SHARE_RAMP = (0.3, 0.9)
LOGINS_28D_RAMP = (0.0, 30.0)
CSAT_RAMP = (1.0, 5.0)
NPS_RAMP = (0.0, 10.0)
CS_TOUCH_DAYS_RAMP = (180.0, 30.0)
CLIENTS_ACTIVE_RAMP = (0.5, 0.95)
FAILED_INVOICE_PENALTY = 40.0
LATE_INVOICE_PENALTY = 15.0
OPEN_TICKET_PENALTY = 25.0
HIGH_SEVERITY_PENALTY = 20.0
BILLING_DAYS = 180
FEATURE_DAYS = 90
NPS_MAX_AGE_DAYS = 365
TRACKED_FEATURES = ("reminders", "payments")


def ramp(values: Any, zero_at: float, full_at: float) -> pd.Series:
    """0-100, linear from ``zero_at`` (0) to ``full_at`` (100), clipped; NaN stays NaN.

    ``full_at`` may be below ``zero_at`` for signals where less is better.
    """
    x = pd.Series(values, dtype="float64")
    return ((x - zero_at) / (full_at - zero_at)).clip(0.0, 1.0) * 100.0


def as_of_moment(as_of: date) -> datetime:
    """The moment a day's score is computed at: its first instant (rows before it count)."""
    return datetime.combine(as_of, time())


def _feature_rows(session: Session, first: datetime, last: datetime) -> pd.DataFrame:
    """Uses of the tracked features that any moment in ``[first, last]`` can count."""
    a = AdminActivity
    rows = session.execute(
        select(a.tenant_id, a.feature, a.occurred_at).where(
            a.occurred_at >= first - timedelta(days=FEATURE_DAYS),
            a.occurred_at < last,
            a.kind == "feature",
            a.feature.in_(TRACKED_FEATURES),
        )
    ).all()
    used = pd.DataFrame([tuple(r) for r in rows], columns=["tenant_id", "feature", "at"])
    used["at"] = pd.to_datetime(used["at"])
    return used


def _feature_use(used: pd.DataFrame, as_of: datetime, tenant_ids: list[int]) -> pd.DataFrame:
    """Whether each tenant used each tracked feature in the 90 days before ``as_of``."""
    recent = (used["at"] >= pd.Timestamp(as_of - timedelta(days=FEATURE_DAYS))) & (
        used["at"] < pd.Timestamp(as_of)
    )
    used = used[recent]
    out = pd.DataFrame(index=pd.Index(tenant_ids, name="tenant_id"))
    for feature in TRACKED_FEATURES:
        ids = set(used.loc[used["feature"] == feature, "tenant_id"])
        out[f"uses_{feature}"] = [tenant in ids for tenant in out.index]
    return out


def _invoice_rows(session: Session, first: date, last: date) -> pd.DataFrame:
    """Invoices issued in the 180 days before any day in ``[first, last]``."""
    i = Invoice
    rows = session.execute(
        select(i.tenant_id, i.issued_on, i.due_on, i.paid_on, i.status, i.updated_at).where(
            and_(i.issued_on >= first - timedelta(days=BILLING_DAYS), i.issued_on < last)
        )
    ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["tenant_id", "issued_on", "due_on", "paid_on", "status", "updated"],
    )


def _invoice_signals(
    invoices: pd.DataFrame, as_of: datetime, tenant_ids: list[int]
) -> pd.DataFrame:
    """Invoices issued in the last 180 days: how many, failed (known), late."""
    day = as_of.date()  # a date is known once its whole day is over
    issued = invoices["issued_on"]
    window = (issued >= day - timedelta(days=BILLING_DAYS)) & (issued < day)
    inv = invoices[window & invoices["tenant_id"].isin(tenant_ids)].drop(columns="issued_on")
    inv = inv.reset_index(drop=True)
    out = pd.DataFrame(index=pd.Index(tenant_ids, name="tenant_id"))
    if inv.empty:
        out["invoices_180d"] = 0
        out["failed_invoices"] = 0
        out["late_invoices"] = 0
        return out
    due = pd.to_datetime(inv["due_on"])
    paid = pd.to_datetime(inv["paid_on"])
    cut = pd.Timestamp(day)
    failed = inv["status"].isin(FAILED_INVOICE_STATUSES) & (
        pd.to_datetime(inv["updated"]) < pd.Timestamp(as_of)
    )
    paid_known = paid.notna() & (paid < cut)
    late = ~failed & ((paid_known & (paid > due)) | (~paid_known & (due < cut)))
    inv = inv.assign(one=1, failed=failed.astype(int), late=late.astype(int))
    grouped = inv.groupby("tenant_id")[["one", "failed", "late"]].sum()
    grouped.columns = ["invoices_180d", "failed_invoices", "late_invoices"]
    return out.join(grouped).fillna(0).astype("int64")


def health_signals_for_days(
    session: Session, days: Iterable[date]
) -> Iterator[tuple[date, pd.DataFrame]]:
    """(day, :func:`health_signals`) for several days, newest first.

    The churn features of every day come from one pass over the tables
    (``core.models.features.churn_features_many``); the feature uses and invoices of the
    whole span are read once.
    """
    wanted = sorted(set(days), reverse=True)
    if not wanted:
        return
    first, last = as_of_moment(wanted[-1]), as_of_moment(wanted[0])
    used = _feature_rows(session, first, last)
    invoices = _invoice_rows(session, wanted[-1], wanted[0])
    moments = {day: as_of_moment(day) for day in wanted}
    by_moment = churn_features_many(session=session, as_ofs=moments.values())
    for day in wanted:
        moment = moments[day]
        features = by_moment[moment]
        ids = [int(t) for t in features.index]
        if ids:
            features = features.join(_feature_use(used, moment, ids))
            features = features.join(_invoice_signals(invoices, moment, ids))
            features["signup_days"] = features["tenure_days"].astype(float)
        yield day, features


def health_signals(session: Session, as_of: date) -> pd.DataFrame:
    """Raw signals of every tenant alive at ``as_of`` (indexed by tenant_id).

    Columns: those of ``churn_features`` plus ``uses_reminders``, ``uses_payments``,
    ``invoices_180d``, ``failed_invoices``, ``late_invoices`` and ``signup_days``.
    """
    return next(iter(health_signals_for_days(session, [as_of])))[1]


def _mean_available(parts: list[pd.Series]) -> pd.Series:
    return pd.concat(parts, axis=1).mean(axis=1, skipna=True)


def component_scores(signals: pd.DataFrame) -> pd.DataFrame:
    """0-100 score of each component (columns ``<name>_score``), NaN where missing.

    ``signals`` is :func:`health_signals`' frame, optionally joined with the client-base
    columns ``share_clients_active`` (NaN when not computable).
    """
    s = signals
    out = pd.DataFrame(index=s.index)
    out["usage_score"] = ramp(s["bookings_vs_own_baseline"], *USAGE_RAMP)
    out["adoption_score"] = _mean_available(
        [
            ramp(s["online_booking_share_90d"], *ONLINE_SHARE_RAMP),
            s["uses_reminders"].astype(float) * 100.0,
            s["uses_payments"].astype(float) * 100.0,
            ramp(s["logins_last_28d"], *LOGINS_28D_RAMP),
        ]
    )
    billing = (
        100.0
        - FAILED_INVOICE_PENALTY * s["failed_invoices"].astype(float)
        - LATE_INVOICE_PENALTY * s["late_invoices"].astype(float)
    ).clip(lower=0.0)
    out["billing_score"] = billing.where(s["invoices_180d"] > 0)
    load = (
        100.0
        - OPEN_TICKET_PENALTY * s["open_tickets"].astype(float)
        - HIGH_SEVERITY_PENALTY * s["high_severity_tickets_90d"].astype(float)
    ).clip(lower=0.0)
    out["support_score"] = _mean_available([load, ramp(s["mean_csat_180d"], *CSAT_RAMP)])
    recent_nps = s["last_nps"].where(s["days_since_last_nps"] <= NPS_MAX_AGE_DAYS)
    out["sentiment_score"] = ramp(recent_nps, *NPS_RAMP)
    touch = s["days_since_last_cs_touch"].fillna(s["signup_days"])
    out["relationship_score"] = ramp(touch, *CS_TOUCH_DAYS_RAMP)
    active = s.get("share_clients_active", np.nan)
    out["client_base_score"] = ramp(
        pd.Series(active, index=s.index, dtype="float64"), *CLIENTS_ACTIVE_RAMP
    )
    return out
