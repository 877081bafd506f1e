"""The record of who saw owners' personal data (Ley 25.326 asks for access records)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.audit import record
from core.auth.roles import Capability
from core.auth.scope import tenant_scope
from core.commands import Actor
from core.errors import DomainError
from core.i18n import N_


class OutsideBookError(DomainError):
    def __init__(self, tenant_id: int) -> None:
        super().__init__(
            "outside_book",
            N_("Tenant #{id} is not in your book of business."),
            {"id": tenant_id},
        )


@dataclass
class RecordPersonalDataView:
    """Audit that the actor is being shown a tenant owner's personal data in clear."""

    required_capability = Capability.VIEW_PERSONAL_DATA

    tenant_id: int
    fields: tuple[str, ...]
    page: str

    def validate(self, *, session: Session, actor: Actor) -> None:
        scope = tenant_scope(session=session, user_id=actor.user_id, role=actor.role)
        if not scope.allows(self.tenant_id):
            raise OutsideBookError(self.tenant_id)

    def run(self, *, session: Session, actor: Actor) -> None:
        record(
            session=session,
            actor_id=actor.user_id,
            action="tenant.view_personal_data",
            entity="tenant",
            entity_id=self.tenant_id,
            after={"fields": list(self.fields), "page": self.page},
        )
