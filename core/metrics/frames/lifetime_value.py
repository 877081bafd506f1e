"""Lifetime Value detail table: LTV per tier x signup cohort (core/models/tenant_ltv.py).

Fitting an sBG per segment takes a fraction of a second, so it is done here, not while
a page renders; the fits are memoized by content and only rerun when the complete
months' data change.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.metrics.frames.subscriptions import (
    month_start,
    read_subscriptions,
    read_tenants,
    tenant_month_mrr,
)
from core.models.tenant_ltv import ESTIMATE_DELTA_MONTHS, last_complete_month, ltv_segments


def compute_ltv_frames(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    months = tenant_month_mrr(read_subscriptions(session=session), as_of)
    tenants = read_tenants(session=session)
    last = last_complete_month(as_of)
    # now and six months earlier, for the tiles' "change since" deltas
    frames = [
        ltv_segments(months, tenants, month).assign(estimated_at=month_start(month)[0])
        for month in (last, last - ESTIMATE_DELTA_MONTHS)
    ]
    return {"ltv_segments": pd.concat(frames, ignore_index=True)}


PROVIDERS = [
    FrameProvider(
        name="lifetime_value",
        frames=("ltv_segments",),
        compute=compute_ltv_frames,
        description="LTV = ARPA x gross margin x discounted expected lifetime (sBG) per "
        "tier and signup year, as of the last complete month.",
    )
]
