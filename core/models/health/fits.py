"""Storage of the client-base fit cache (``console_health_client_base_fits``).

The job loads the stored fits before a pass and writes back the tenants whose newest
fit changed, in the same write unit as the day's scores. Readers that compute scores
without storing them (the churn training, the benches) load the cache too and leave
the table alone.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from core.clock import now
from core.ltv.bgnbd import PARAMS
from core.models.health.client_base import ClientBaseFits, StoredFit
from core.schema import HealthClientBaseFit


def load_fits(*, session: Session) -> ClientBaseFits:
    """The stored fits as a fresh cache (nothing marked changed)."""
    f = HealthClientBaseFit
    rows = session.execute(select(f.tenant_id, f.day, f.fingerprint, f.r, f.alpha, f.a, f.b))
    stored = {
        int(tenant): StoredFit(fingerprint, dict(zip(PARAMS, (r, alpha, a, b), strict=True)), day)
        for tenant, day, fingerprint, r, alpha, a, b in rows
    }
    return ClientBaseFits(stored=stored)


def save_fits(*, session: Session, fits: ClientBaseFits) -> int:
    """Write the changed tenants' fits (replacing their rows); returns how many."""
    tenants = sorted(fits.changed)
    if not tenants:
        return 0
    f = HealthClientBaseFit
    session.execute(delete(f).where(f.tenant_id.in_(tenants)))
    moment = now()
    session.execute(
        insert(f),
        [
            {
                "tenant_id": tenant,
                "day": fits.stored[tenant].day,
                "fingerprint": fits.stored[tenant].fingerprint,
                **{name: float(fits.stored[tenant].params[name]) for name in PARAMS},
                "fitted_at": moment,
            }
            for tenant in tenants
        ],
    )
    fits.changed.clear()
    return len(tenants)
