"""Books of business: which tenants' rows a user may see and act on.

Dashboards show platform aggregates to everyone; tenant-level rows (tables, CSVs, the
tenant pages, triage) only for the tenants in the user's scope:

- cs_lead, admin: every tenant (they also reassign books);
- executive: every tenant, read-only (their role has no tenant-level write);
- cs_manager: the tenants whose CS owner they are;
- onboarding: the tenants they activated;
- display (wall screens): none.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth.roles import Role
from core.schema import OnboardingSession, Tenant

_EVERY_TENANT = frozenset({Role.CS_LEAD, Role.ADMIN, Role.EXECUTIVE})


@dataclass(frozen=True)
class TenantScope:
    everyone: bool
    tenant_ids: frozenset[int] = frozenset()

    def allows(self, tenant_id: int) -> bool:
        return self.everyone or int(tenant_id) in self.tenant_ids

    def rows(self, frame: pd.DataFrame, column: str = "tenant_id") -> pd.DataFrame:
        """The rows of ``frame`` whose ``column`` is a tenant in scope."""
        if self.everyone or column not in frame.columns:
            return frame
        return frame[frame[column].isin(self.tenant_ids)]

    @property
    def key(self) -> str:
        """A cache key: two users with the same scope may share a cached result."""
        return "*" if self.everyone else ",".join(map(str, sorted(self.tenant_ids)))


EVERY_TENANT = TenantScope(everyone=True)
NO_TENANT = TenantScope(everyone=False)


def tenant_scope(*, session: Session, user_id: int, role: str) -> TenantScope:
    """The tenants a user may see, as the database says now."""
    if role in _EVERY_TENANT:
        return EVERY_TENANT
    if role == Role.CS_MANAGER:
        ids = session.scalars(select(Tenant.id).where(Tenant.cs_owner_id == user_id))
    elif role == Role.ONBOARDING:
        ids = session.scalars(
            select(OnboardingSession.tenant_id).where(
                OnboardingSession.operator_id == user_id, OnboardingSession.tenant_id.is_not(None)
            )
        )
    else:
        return NO_TENANT
    return TenantScope(everyone=False, tenant_ids=frozenset(int(i) for i in ids))
