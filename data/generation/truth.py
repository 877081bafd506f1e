"""The latent truth behind a generated data set, written beside (never into) the database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from data.generation import lifecycle as lc
from data.generation.context import Calendar, GenerationParams, from_day
from data.generation.lifecycle import Lifecycle, intervention_uplift

TRAITS = ("engagement", "quality", "price_pressure", "payment_reliability")


def truth_document(
    params: GenerationParams, cal: Calendar, tenants: pd.DataFrame, life: Lifecycle
) -> dict[str, object]:
    """Everything a model evaluation may compare against, as plain JSON data."""
    uplift = intervention_uplift(life, params, cal)
    per_tenant: dict[str, object] = {}
    events: dict[int, list[tuple[int, str, str]]] = {}
    for t, day, kind, plan in life.events:
        events.setdefault(t, []).append((day, kind, plan))
    n_churn = 0
    tenant_months = 0
    for t in tenants.itertuples():
        i = t.Index
        hazard, effective = {}, {}
        for k, month in enumerate(life.months):
            lo, hi = life.month_start[k], life.month_end[k]
            if any(a < hi and b > lo for a, b in life.intervals[i]):
                hazard[month] = round(float(life.hazard[i, k]), 6)
                if abs(life.hazard_effective[i, k] - life.hazard[i, k]) > 1e-9:
                    effective[month] = round(float(life.hazard_effective[i, k]), 6)
                tenant_months += 1
        churns = [
            {"date": from_day(d).isoformat(), "plan": p}
            for d, k, p in events.get(i, [])
            if k == "churn"
        ]
        n_churn += len(churns)
        per_tenant[str(int(t.id))] = {
            "traits": {name: round(float(getattr(t, name)), 4) for name in TRAITS},
            "decline_onset": None
            if t.decline_onset_day < 0
            else from_day(t.decline_onset_day).isoformat(),
            "decline_rate_per_month": round(float(t.decline_rate), 4),
            "monthly_hazard": hazard,
            "monthly_hazard_with_interventions": effective,
            "churn_events": churns,
            "reactivations": [
                from_day(d).isoformat() for d, k, _ in events.get(i, []) if k == "reactivation"
            ],
        }
    return {
        "description": (
            "Latent truth of the BarberPro demo data. monthly_hazard is the probability "
            "that the tenant churns within that calendar month absent any CS "
            "intervention; churn was drawn day by day from it, with the intervention "
            "multiplier applied inside treated windows. Not for features: for "
            "evaluation only."
        ),
        "seed": params.seed,
        "today": cal.today.isoformat(),
        "as_of": cal.as_of.isoformat(),
        "window_start": cal.window_start.isoformat(),
        "parameters": params.as_json(),
        "hazard_model": {
            "formula": (
                "log h = log(H0) + c_decline*D + c_engagement*(0.67-e) + c_quality*(0.75-q) "
                "+ c_reliability*(0.83-r) + c_price_shock*price_pressure*quarterly_increase "
                "+ c_failed_invoice*[invoice failed in last 2 months] "
                "+ c_write_off*[invoice written off in last 2 months] "
                "+ c_new_tenant*exp(-tenure_months/4) + tier_effect; h capped"
            ),
            "H0": lc.H0,
            "cap": lc.HAZARD_CAP,
            "c_decline": lc.COEF_DECLINE,
            "c_engagement": lc.COEF_ENGAGEMENT,
            "c_quality": lc.COEF_QUALITY,
            "c_reliability": lc.COEF_RELIABILITY,
            "c_price_shock": lc.COEF_PRICE_SHOCK,
            "c_failed_invoice": lc.COEF_FAILED_INVOICE,
            "c_write_off": lc.COEF_WRITE_OFF,
            "c_new_tenant": lc.COEF_NEW_TENANT,
            "tier_effect": lc.TIER_EFFECT,
        },
        "intervention": {
            "hazard_multiplier": params.intervention_hazard_multiplier,
            "effect_days": params.intervention_days,
            "holdout_share": params.holdout_share,
            "intervention_uplift_90d": round(float(uplift["uplift_90d"]), 6),
            "p_churn_90d_without_treatment": round(float(uplift["p_churn_90d_control"]), 6),
            "p_churn_90d_with_treatment": round(float(uplift["p_churn_90d_treated"]), 6),
            "n_interventions_scored": int(uplift["n"]),
            "n_interventions": len(life.interventions),
            "scoring_rule": (
                "interventions whose triggered_at + effect_days is before today; churn "
                "within [triggered_at, triggered_at + effect_days)"
            ),
        },
        "churn": {
            "events": n_churn,
            "tenant_months": tenant_months,
            "monthly_rate": round(n_churn / max(tenant_months, 1), 5),
        },
        "tenants": per_tenant,
    }


def write_truth(path: Path, document: dict[str, object]) -> None:
    """Write atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1, default=_default))
    os.replace(tmp, path)


def _default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")
