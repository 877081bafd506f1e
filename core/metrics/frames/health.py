"""Customer Health detail tables, read from the stored health scores (cheap: no model runs).

- ``health_latest``: every tenant scored on the newest stored day, with its profile
  (name, vertical, province, partner), score, band, component scores, missing
  components (comma-separated), the score and band 7 days earlier and the 7-day trend;
- ``health_history``: (tenant, day, score, band) of the last ``HISTORY_DAYS`` days;
- ``health_weights``: each tier's weight per component and its % contribution.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.models.health.definitions import COMPONENTS
from core.models.health.score import SCORE_COLUMNS, latest_health
from core.models.health.weights import contributions, load_weights
from core.schema import HealthScore, Tenant

HISTORY_DAYS = 120
LATEST_COLUMNS = (
    "tenant_id", "day", "trade_name", "tier", "vertical", "province", "partner_id",
    "score", "band", *SCORE_COLUMNS, "missing", "weakest", "score_7d_ago", "band_7d_ago",
    "delta_7d", "trend_7d",
)  # fmt: skip


def _tenants(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(Tenant.id, Tenant.trade_name, Tenant.vertical, Tenant.province, Tenant.partner_id)
    ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["tenant_id", "trade_name", "vertical", "province", "partner_id"],
    )


def _weakest(row: pd.Series) -> str | None:
    scores = row[list(SCORE_COLUMNS)].astype(float).dropna()
    return None if scores.empty else str(scores.idxmin()).removesuffix("_score")


def health_latest_frame(session: Session) -> pd.DataFrame:
    latest = latest_health(session=session)
    if latest.empty:
        return pd.DataFrame(columns=list(LATEST_COLUMNS))
    newest = max(latest["day"])
    latest = latest[latest["day"] == newest].copy()  # churned tenants stop being scored
    latest["weakest"] = latest.apply(_weakest, axis=1)
    latest["missing"] = latest["missing"].apply(lambda names: ",".join(names))
    from core.models.health.score import band_of

    latest["band_7d_ago"] = [band_of(s) for s in latest["score_7d_ago"].astype(float)]
    latest = latest.merge(_tenants(session), on="tenant_id", how="left")
    latest["partner_id"] = latest["partner_id"].astype("Int64")
    latest["day"] = pd.to_datetime(latest["day"])
    for column in ("score", *SCORE_COLUMNS, "score_7d_ago", "delta_7d"):
        latest[column] = latest[column].astype(float)
    return latest.loc[:, list(LATEST_COLUMNS)].reset_index(drop=True)


def health_history_frame(session: Session) -> pd.DataFrame:
    h = HealthScore
    newest = session.scalar(select(func.max(h.day)))
    if newest is None:
        return pd.DataFrame(
            {"tenant_id": [], "day": pd.Series(dtype="datetime64[ns]"), "score": [], "band": []}
        )
    rows = session.execute(
        select(h.tenant_id, h.day, h.score, h.band).where(
            h.day > newest - timedelta(days=HISTORY_DAYS)
        )
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["tenant_id", "day", "score", "band"])
    frame["day"] = pd.to_datetime(frame["day"])
    frame["score"] = frame["score"].astype(float)
    return frame.sort_values(["day", "tenant_id"]).reset_index(drop=True)


def health_weights_frame(session: Session) -> pd.DataFrame:
    rows = []
    for tier, weights in load_weights(session=session).items():
        shares = contributions(weights)
        rows += [
            {"tier": tier, "component": c, "weight": float(weights[c]), "pct": shares[c]}
            for c in COMPONENTS
        ]
    return pd.DataFrame(rows)


def compute(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    return {
        "health_latest": health_latest_frame(session),
        "health_history": health_history_frame(session),
        "health_weights": health_weights_frame(session),
    }


def health_scores_written_at(session: Session) -> datetime | None:
    """When the newest stored health score was computed (None: none yet)."""
    return session.scalar(select(func.max(HealthScore.computed_at)))


PROVIDERS = [
    FrameProvider(
        name="health",
        frames=("health_latest", "health_history", "health_weights"),
        compute=compute,
        description="Stored health scores: newest day per tenant, 120-day history, weights",
        inputs_written_at=health_scores_written_at,
    )
]
