"""Did interventions reduce churn? Treated vs randomized holdout, from the ledger.

The ledger is ``cs_interventions``: the generated history and every alert the rules
opened since, each with its arm drawn at random when it was triggered. The comparison is
intention-to-treat: an alert counts in its arm whether or not anyone worked it, so the
randomization alone makes the arms comparable.

For a horizon of H days an intervention is *scored* once ``triggered day + H`` has
passed, and it *churned* if its tenant churned on a day in ``[triggered day,
triggered day + H)``. Churn days are where a tenant's subscription periods stop without
a next one starting that day (so reactivated tenants' earlier churns count too), plus
``tenants.churned_on``. This is the demo generator's own scoring rule.

Per horizon and group: the churn rate of each arm, the difference *holdout minus
treated* (positive means interventions reduce churn), its 95% confidence interval
(Newcomb's hybrid score interval, good at small counts) and a two-sided p-value
(score test), both from ``statsmodels``. A comparison with fewer than
:data:`MIN_ARM_N` scored interventions in either arm is flagged as too small to conclude.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from core.schema import CsAlert, CsIntervention, Subscription, Tenant
from core.workflows.alerts.definitions import MIN_ARM_N

HORIZONS = (30, 60, 90)
CI_METHOD = "newcomb"
TEST_METHOD = "score"
LEDGER_COLUMNS = ["id", "tenant_id", "triggered_at", "reason", "playbook", "arm", "live"]
RESULT_COLUMNS = [
    "horizon",
    "group",
    "treated_n",
    "treated_churned",
    "treated_rate",
    "holdout_n",
    "holdout_churned",
    "holdout_rate",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "enough",
]


def read_ledger(*, session: Session) -> pd.DataFrame:
    """Every intervention: generated history and live alerts (``live`` is True for those)."""
    rows = session.execute(
        select(
            CsIntervention.id,
            CsIntervention.tenant_id,
            CsIntervention.triggered_at,
            CsIntervention.reason,
            CsIntervention.playbook,
            CsIntervention.arm,
            CsAlert.id.is_not(None).label("live"),
        ).outerjoin(CsAlert, CsAlert.intervention_id == CsIntervention.id)
    ).all()
    frame = pd.DataFrame(rows, columns=LEDGER_COLUMNS)
    frame["triggered_at"] = pd.to_datetime(frame["triggered_at"])
    frame["live"] = frame["live"].astype(bool)
    return frame


def read_churn_days(*, session: Session) -> pd.DataFrame:
    """(tenant_id, day) of every churn: a subscription gap, or a tenant's ``churned_on``."""
    subs = pd.DataFrame(
        session.execute(
            select(Subscription.tenant_id, Subscription.started_on, Subscription.ended_on)
        ).all(),
        columns=["tenant_id", "started_on", "ended_on"],
    )
    ended = subs.dropna(subset=["ended_on"])
    starts = set(zip(subs["tenant_id"], subs["started_on"], strict=True))
    gap = [(t, d) not in starts for t, d in zip(ended["tenant_id"], ended["ended_on"], strict=True)]
    days = ended.loc[gap, ["tenant_id", "ended_on"]].rename(columns={"ended_on": "day"})
    marked = pd.DataFrame(
        session.execute(
            select(Tenant.id, Tenant.churned_on).where(Tenant.churned_on.is_not(None))
        ).all(),
        columns=["tenant_id", "day"],
    )
    both = pd.concat([days, marked], ignore_index=True).drop_duplicates()
    both["day"] = pd.to_datetime(both["day"])
    return both.reset_index(drop=True)


def churned_within(ledger: pd.DataFrame, churn_days: pd.DataFrame, horizon: int) -> pd.Series:
    """Per ledger row (by index): did its tenant churn within ``horizon`` days of the trigger."""
    start = ledger["triggered_at"].dt.normalize()
    pairs = pd.DataFrame({"row": ledger.index, "tenant_id": ledger["tenant_id"], "start": start})
    merged = pairs.merge(churn_days, on="tenant_id", how="inner")
    hit = (merged["day"] >= merged["start"]) & (
        merged["day"] < merged["start"] + pd.Timedelta(days=horizon)
    )
    churned = set(merged.loc[hit, "row"])
    return pd.Series([row in churned for row in ledger.index], index=ledger.index, dtype=bool)


def scored(ledger: pd.DataFrame, as_of: date, horizon: int) -> pd.DataFrame:
    """The interventions whose follow-up window of ``horizon`` days ended by ``as_of``."""
    end = ledger["triggered_at"].dt.normalize() + pd.Timedelta(days=horizon)
    return ledger[end <= pd.Timestamp(as_of)]


def compare(
    treated_churned: int, treated_n: int, holdout_churned: int, holdout_n: int
) -> dict[str, float | bool | None]:
    """Holdout minus treated churn rate, its 95% CI and p-value (None where undefined)."""
    out: dict[str, float | bool | None] = {
        "treated_rate": treated_churned / treated_n if treated_n else None,
        "holdout_rate": holdout_churned / holdout_n if holdout_n else None,
        "difference": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "enough": bool(min(treated_n, holdout_n) >= MIN_ARM_N),
    }
    if not treated_n or not holdout_n:
        return out
    diff = holdout_churned / holdout_n - treated_churned / treated_n
    out["difference"] = diff
    with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels' unused ratio terms
        low, high = _ci(holdout_churned, holdout_n, treated_churned, treated_n)
    out["ci_low"], out["ci_high"] = float(low), float(high)
    if 0 < holdout_churned + treated_churned < holdout_n + treated_n:
        with np.errstate(divide="ignore", invalid="ignore"):
            test = test_proportions_2indep(
                holdout_churned, holdout_n, treated_churned, treated_n,
                method=TEST_METHOD, compare="diff",
            )  # fmt: skip
        out["p_value"] = float(test.pvalue)
    else:
        out["p_value"] = 1.0  # all or none churned in both arms: no evidence of a difference
    return out


def _ci(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method=CI_METHOD, compare="diff")
    return float(low), float(high)


def outcome_table(
    ledger: pd.DataFrame,
    churn_days: pd.DataFrame,
    as_of: date,
    *,
    by: str | None = None,
    horizons: tuple[int, ...] = HORIZONS,
) -> pd.DataFrame:
    """One row per horizon (and per value of ``by``, e.g. ``"playbook"``); see the module."""
    rows = []
    for horizon in horizons:
        done = scored(ledger, as_of, horizon)
        churned = churned_within(done, churn_days, horizon)
        groups = [("all", done.index)] if by is None else list(done.groupby(by).groups.items())
        for group, index in groups:
            arm = done.loc[index, "arm"]
            hit = churned.loc[index]
            t_n, h_n = int((arm == "treated").sum()), int((arm == "holdout").sum())
            t_c = int(hit[arm == "treated"].sum())
            h_c = int(hit[arm == "holdout"].sum())
            rows.append(
                {
                    "horizon": horizon,
                    "group": str(group),
                    "treated_n": t_n,
                    "treated_churned": t_c,
                    "holdout_n": h_n,
                    "holdout_churned": h_c,
                    **compare(t_c, t_n, h_c, h_n),
                }
            )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


@dataclass(frozen=True)
class OutcomesAnalysis:
    as_of: date
    overall: pd.DataFrame
    by_playbook: pd.DataFrame
    ledger_n: int
    live_n: int
    holdout_share: float  # observed share of the ledger held out

    def row(self, horizon: int) -> pd.Series:
        return self.overall[self.overall["horizon"] == horizon].iloc[0]


def analyse(*, session: Session, as_of: date) -> OutcomesAnalysis:
    """The Outcomes view's numbers, overall and by playbook, as of a day."""
    ledger = read_ledger(session=session)
    churn_days = read_churn_days(session=session)
    return analyse_frames(ledger, churn_days, as_of)


def analyse_frames(ledger: pd.DataFrame, churn_days: pd.DataFrame, as_of: date) -> OutcomesAnalysis:
    ledger = ledger[ledger["arm"].isin(["treated", "holdout"])].reset_index(drop=True)
    return OutcomesAnalysis(
        as_of=as_of,
        overall=outcome_table(ledger, churn_days, as_of),
        by_playbook=outcome_table(ledger, churn_days, as_of, by="playbook"),
        ledger_n=len(ledger),
        live_n=int(ledger["live"].sum()) if len(ledger) else 0,
        holdout_share=float((ledger["arm"] == "holdout").mean()) if len(ledger) else 0.0,
    )


# Priors for the alert priority when no churn score exists (core.workflows.alerts.engine).
MIN_PRIOR_N = 20
DEFAULT_PRIOR = 0.25


def untreated_churn_priors(
    *, session: Session, as_of: date, horizon: int = 90
) -> tuple[dict[str, float], float]:
    """Observed ``horizon``-day churn rate of holdout interventions, per reason and overall.

    A reason with fewer than :data:`MIN_PRIOR_N` scored holdouts gets no entry; the
    overall rate falls back to :data:`DEFAULT_PRIOR` likewise.
    """
    ledger = read_ledger(session=session)
    done = scored(ledger[ledger["arm"] == "holdout"], as_of, horizon)
    if done.empty:
        return {}, DEFAULT_PRIOR
    churned = churned_within(done.reset_index(drop=True), read_churn_days(session=session), horizon)
    done = done.reset_index(drop=True).assign(churned=churned.to_numpy())
    overall = float(done["churned"].mean()) if len(done) >= MIN_PRIOR_N else DEFAULT_PRIOR
    per_reason = {
        str(reason): float(group["churned"].mean())
        for reason, group in done.groupby("reason")
        if len(group) >= MIN_PRIOR_N
    }
    return per_reason, overall


__all__ = [
    "HORIZONS",
    "MIN_ARM_N",
    "OutcomesAnalysis",
    "analyse",
    "analyse_frames",
    "compare",
    "outcome_table",
    "read_churn_days",
    "read_ledger",
    "untreated_churn_priors",
]
