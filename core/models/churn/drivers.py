"""Risk drivers: why the model thinks a tenant may leave, in a CS manager's words.

A tenant's drivers come from the logistic explainer fitted next to every churn model:
each encoded input contributes ``coefficient x standardized value`` to the log-odds
(its "missing" flag counted with it). The inputs that push the risk up the most, and
whose raw value tells a story a person can act on, become messages: an English msgid
with ``.format`` placeholders (``{"msgid": ..., "params": {...}, "weight": ...}``),
translated only when shown (:func:`render_driver`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from core.i18n import N_, translator
from core.models.churn.model import ENCODED_COLUMNS, encode_matrix, standardized_inputs

__all__ = ["DRIVER_LABELS", "global_importance", "render_driver", "tenant_drivers"]

Message = tuple[str, dict[str, Any]] | None


def _pct(value: float) -> int:
    return round(100 * float(value))


def _down(ratio: float, msgid: str) -> Message:
    if not np.isfinite(ratio) or ratio >= 0.95:
        return None
    return msgid, {"pct": _pct(1 - ratio)}


def _count(value: float, msgid: str, at_least: float = 1) -> Message:
    if not np.isfinite(value) or value < at_least:
        return None
    return msgid, {"n": int(value)}


def _rate(value: float, msgid: str) -> Message:
    return None if not np.isfinite(value) else (msgid, {"pct": _pct(value)})


def _price(row: Mapping[str, Any]) -> Message:
    pct, days = _f(row, "last_price_increase_pct"), _f(row, "days_since_price_increase")
    if not (np.isfinite(pct) and np.isfinite(days)) or pct <= 0:
        return None
    return N_("Price rose {pct}% {days} days ago"), {"pct": round(pct), "days": int(days)}


def _failed_recent(row: Mapping[str, Any]) -> Message:
    days = _f(row, "days_since_last_failed_invoice")
    if not np.isfinite(days):
        return None
    return N_("An invoice failed {days} days ago"), {"days": int(days)}


def _no_touch(row: Mapping[str, Any]) -> Message:
    if _f(row, "treated_touch_90d") > 0:
        return None
    return N_("No customer-success touch in the last 90 days"), {}


def _f(row: Mapping[str, Any], name: str) -> float:
    value = row.get(name)
    return float("nan") if value is None or pd.isna(value) else float(value)


# Encoded input -> message from the tenant's raw feature values (None: nothing to say).
_MESSAGES: dict[str, Callable[[Mapping[str, Any]], Message]] = {
    "log_bookings_vs_baseline": lambda r: _down(
        _f(r, "bookings_vs_own_baseline"),
        N_("Bookings down {pct}% vs the tenant's own 26-week baseline"),
    ),
    "log_bookings_trend": lambda r: _down(
        _f(r, "bookings_trend"), N_("Bookings down {pct}% vs the previous 28 days")
    ),
    "log_bookings_28d": lambda r: (
        N_("Low booking volume: {n} in the last 28 days"),
        {"n": int(_f(r, "bookings_last_28d"))},
    ),
    "no_show_rate": lambda r: _rate(
        _f(r, "no_show_rate_90d"), N_("No-shows at {pct}% of appointments in the last 90 days")
    ),
    "cancellation_rate": lambda r: _rate(
        _f(r, "cancellation_rate_90d"), N_("{pct}% of appointments cancelled in the last 90 days")
    ),
    "online_share": lambda r: _rate(
        _f(r, "online_booking_share_90d"), N_("Only {pct}% of bookings made online (90 days)")
    ),
    "payment_rejection_rate": lambda r: _rate(
        _f(r, "payment_rejection_rate_90d"),
        N_("{pct}% of client payments rejected in the last 90 days"),
    ),
    "log_logins_28d": lambda r: (
        N_("Few back-office logins: {n} in the last 28 days"),
        {"n": int(_f(r, "logins_last_28d"))},
    ),
    "log_logins_trend": lambda r: _down(
        _f(r, "logins_trend"), N_("Back-office logins down {pct}% vs the previous 28 days")
    ),
    "log_logins_vs_baseline": lambda r: _down(
        (_f(r, "logins_last_28d") + 1) / (_f(r, "logins_prev_90d") * 28 / 90 + 1),
        N_("Back-office logins down {pct}% vs the tenant's own 90-day baseline"),
    ),
    "log_days_since_login": lambda r: _count(
        _f(r, "days_since_last_login"), N_("No back-office login for {n} days"), at_least=3
    ),
    "features_used": lambda r: (
        N_("Uses only {n} product features (last 90 days)"),
        {"n": int(_f(r, "distinct_features_used_90d"))},
    ),
    "failed_invoices_180d": lambda r: _count(
        _f(r, "failed_invoices_180d"), N_("Failed invoices in the last 180 days: {n}")
    ),
    "failed_invoices_365d": lambda r: _count(
        _f(r, "failed_invoices_365d"), N_("Failed invoices in the last 12 months: {n}")
    ),
    "failed_invoice_recent": _failed_recent,
    "written_off_90d": lambda r: _count(
        _f(r, "written_off_invoices_90d"), N_("Invoices written off in the last 90 days: {n}")
    ),
    "open_tickets": lambda r: _count(_f(r, "open_tickets"), N_("Support tickets still open: {n}")),
    "high_severity_tickets": lambda r: _count(
        _f(r, "high_severity_tickets_90d"),
        N_("High or urgent support tickets in the last 90 days: {n}"),
    ),
    "mean_csat": lambda r: (
        None
        if not np.isfinite(_f(r, "mean_csat_180d"))
        else (
            N_("Support satisfaction (CSAT) {csat} of 5 in the last 180 days"),
            {"csat": round(_f(r, "mean_csat_180d"), 1)},
        )
    ),
    "last_nps": lambda r: (
        None
        if not np.isfinite(_f(r, "last_nps"))
        else (N_("Last NPS answer: {score} of 10"), {"score": int(_f(r, "last_nps"))})
    ),
    "new_tenant": lambda r: (
        N_("New tenant: signed up {days} days ago"),
        {"days": int(_f(r, "tenure_days"))},
    ),
    "tier_starter": lambda r: (
        (N_("Starter tier, which churns more often"), {})
        if str(r.get("tier")) == "starter"
        else None
    ),
    "recent_price_increase_pct": _price,
    "treated_touch": _no_touch,
}

#: Short names of the encoded inputs, for the global importance chart.
DRIVER_LABELS: dict[str, str] = {
    "new_tenant": N_("New tenant (tenure)"),
    "log_bookings_28d": N_("Bookings, last 28 days"),
    "log_bookings_trend": N_("Bookings vs previous 28 days"),
    "log_bookings_vs_baseline": N_("Bookings vs own 26-week baseline"),
    "no_show_rate": N_("No-show rate"),
    "cancellation_rate": N_("Cancellation rate"),
    "online_share": N_("Online booking share"),
    "payment_rejection_rate": N_("Client payment rejections"),
    "log_logins_28d": N_("Back-office logins, last 28 days"),
    "log_logins_trend": N_("Logins vs previous 28 days"),
    "log_logins_vs_baseline": N_("Logins vs own 90-day baseline"),
    "log_logins_per_staff": N_("Logins per staff member"),
    "log_days_since_login": N_("Days since last login"),
    "features_used": N_("Product features used"),
    "failed_invoices_180d": N_("Failed invoices, 180 days"),
    "failed_invoices_365d": N_("Failed invoices, 12 months"),
    "failed_invoice_recent": N_("Invoice failed in the last 2 months"),
    "written_off_90d": N_("Invoices written off"),
    "open_tickets": N_("Open support tickets"),
    "high_severity_tickets": N_("High or urgent tickets"),
    "mean_csat": N_("Support satisfaction (CSAT)"),
    "last_nps": N_("Last NPS answer"),
    "treated_touch": N_("Customer-success touch, 90 days"),
    "holdout_touch": N_("Risk alert without outreach (holdout)"),
    "recent_price_increase_pct": N_("Recent price increase"),
    "log_staff": N_("Team size"),
    "tier_starter": N_("Starter tier"),
    "tier_enterprise": N_("Enterprise tier"),
    "vertical_salon": N_("Salon"),
    "vertical_spa": N_("Spa"),
    "vertical_nails": N_("Nail studio"),
}


def _input_names(explainer: Pipeline) -> list[str]:
    """Names of the explainer's inputs after imputation: encoded inputs, then missing flags."""
    indicator = explainer.named_steps["impute"].indicator_
    flagged = [] if indicator is None else list(indicator.features_)
    return [*ENCODED_COLUMNS, *(f"missingindicator_{ENCODED_COLUMNS[k]}" for k in flagged)]


def _contributions(explainer: Pipeline, matrix: np.ndarray) -> np.ndarray:
    """Log-odds contribution of each encoded input (missing flags folded in), per row."""
    transformed = standardized_inputs(explainer, matrix)
    parts = transformed * explainer.named_steps["model"].coef_[0]
    n = len(ENCODED_COLUMNS)
    folded = parts[:, :n].copy()
    indicator = explainer.named_steps["impute"].indicator_
    if indicator is not None:
        for j, k in enumerate(indicator.features_):
            folded[:, k] += parts[:, n + j]
    return folded


def tenant_drivers(
    explainer: Pipeline,
    features: pd.DataFrame,
    top: int = 3,
    matrix: np.ndarray | None = None,
) -> list[list[dict[str, Any]]]:
    """The ``top`` risk drivers of each row of ``features`` (riskiest first).

    ``matrix`` is ``encode_matrix(features)`` when the caller already has it.
    """
    encoded = encode_matrix(features) if matrix is None else matrix
    contributions = _contributions(explainer, encoded)
    columns = list(features.columns)
    rows = [dict(zip(columns, values, strict=True)) for values in features.to_numpy(dtype=object)]
    out = []
    for row, weights in zip(rows, contributions, strict=True):
        drivers: list[dict[str, Any]] = []
        for k in np.argsort(-weights, kind="stable"):
            if weights[k] <= 0 or len(drivers) >= top:
                break
            maker = _MESSAGES.get(ENCODED_COLUMNS[k])
            message = maker(row) if maker is not None else None
            if message is not None:
                msgid, params = message
                drivers.append(
                    {"msgid": msgid, "params": params, "weight": round(float(weights[k]), 4)}
                )
        out.append(drivers)
    return out


def render_driver(driver: Mapping[str, Any], locale: str) -> str:
    """One stored driver as text in ``locale``."""
    _ = translator(locale)
    return _(str(driver["msgid"])).format(**dict(driver.get("params") or {}))


def global_importance(explainer: Pipeline) -> list[dict[str, Any]]:
    """Standardized logistic coefficients (missing flags folded in), largest effect first.

    Each item: ``feature`` (encoded input), ``label`` (English msgid) and ``coefficient``
    (log-odds change per standard deviation; positive = more churn when higher).
    """
    names = _input_names(explainer)
    coef = explainer.named_steps["model"].coef_[0]
    folded: dict[str, float] = {}
    for name, value in zip(names, coef, strict=True):
        if name.startswith("missingindicator_"):
            continue  # a flag's coefficient says "unknown", not "higher"
        folded[name] = float(value)
    items = [
        {"feature": name, "label": DRIVER_LABELS.get(name, name), "coefficient": round(value, 4)}
        for name, value in folded.items()
    ]
    return sorted(items, key=lambda item: -abs(item["coefficient"]))
