"""Weights of the health score's components, one profile per tier, editable in the app.

A weight is any non-negative number; what counts is its share of the weights of the
components *available* for a tenant on a day (its % contribution). The defaults below
(``core.models.health.score.DEFAULT_WEIGHTS``) apply to every tier/component without a stored
row in ``console_health_weights``.
Changing a profile is a command (:class:`SaveHealthWeights`): validated, stored and
audit-logged in one transaction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.clock import now
from core.commands import Actor
from core.errors import DomainError, render
from core.i18n import N_
from core.models.health.definitions import COMPONENT_LABELS, COMPONENTS

# DEFAULT_WEIGHTS and load_weights live with the score, which reads them; this module
# edits the profiles, and still offers both to its callers.
from core.models.health.score import DEFAULT_WEIGHTS as DEFAULT_WEIGHTS
from core.models.health.score import load_weights as load_weights
from core.models.health.score import rescore_latest_day
from core.schema import HealthWeight
from core.vocabulary import TIERS

MAX_WEIGHT = 1000.0
AUDIT_ENTITY = "health_weights"
AUDIT_ACTION = "health_weights.update"


class WeightsError(DomainError):
    """Weights that cannot be used; pages show why in the user's language."""

    def __init__(self, msgid: str, field: str | None = None, **params: object) -> None:
        super().__init__("health_weights_rejected", msgid, params, field)

    def translated(self, gettext: Callable[[str], str]) -> str:
        # The component is a label msgid too: name it in the reader's language.
        params = dict(self.params)
        if "component" in params:
            params["component"] = gettext(str(params["component"]))
        return render(gettext(self.msgid), params)


def weights_changed_at(*, session: Session) -> Any:
    """When a weight was last edited (None if never): today's scores older than that are redone."""
    return session.scalar(select(func.max(HealthWeight.updated_at)))


def contributions(
    weights: Mapping[str, float], available: list[str] | None = None
) -> dict[str, float]:
    """Each component's % of the score when ``available`` components (default all) are there."""
    names = list(COMPONENTS) if available is None else [c for c in COMPONENTS if c in available]
    total = sum(float(weights.get(name, 0.0)) for name in names)
    if total <= 0:
        return {name: 0.0 for name in names}
    return {name: 100.0 * float(weights.get(name, 0.0)) / total for name in names}


def validate_weights(tier: str, weights: Mapping[str, Any]) -> dict[str, float]:
    """Clean weights for ``tier``, or a WeightsError saying what is wrong."""
    if tier not in TIERS:
        raise WeightsError(
            N_("Unknown tier {tier}; expected one of {tiers}."), tier=tier, tiers=", ".join(TIERS)
        )
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise WeightsError(N_("Unknown component(s): {names}."), names=", ".join(unknown))
    clean: dict[str, float] = {}
    for name in COMPONENTS:
        value = weights.get(name, 0.0)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number):
            raise WeightsError(
                N_("The weight of {component} is not a number: {value}."),
                name,
                component=COMPONENT_LABELS.get(name, name),
                value=repr(value),
            )
        if number < 0:
            raise WeightsError(
                N_("The weight of {component} is negative ({value}); use 0 or more."),
                name,
                component=COMPONENT_LABELS.get(name, name),
                value=f"{number:g}",
            )
        if number > MAX_WEIGHT:
            raise WeightsError(
                N_("The weight of {component} is above {limit}."),
                name,
                component=COMPONENT_LABELS.get(name, name),
                limit=f"{MAX_WEIGHT:g}",
            )
        clean[name] = number
    if sum(clean.values()) <= 0:
        raise WeightsError(N_("At least one weight must be above zero."))
    return clean


@dataclass
class SaveHealthWeights:
    """Store a tier's weight profile and audit it; re-score that tier's latest stored day.

    Executed by ``core.commands.execute``: the actor is who saves, recorded on the rows
    and in the audit log.
    """

    required_capability = Capability.EDIT_SETTINGS

    tier: str
    weights: Mapping[str, Any]
    _clean: dict[str, float] = field(default_factory=dict, init=False)

    def validate(self, *, session: Session, actor: Actor) -> None:
        self._clean = validate_weights(self.tier, self.weights)

    def run(self, *, session: Session, actor: Actor) -> dict[str, float]:
        clean = self._clean or validate_weights(self.tier, self.weights)
        before = load_weights(session=session)[self.tier]
        stored = {
            row.component: row
            for row in session.scalars(select(HealthWeight).where(HealthWeight.tier == self.tier))
        }
        moment = now()
        for name, value in clean.items():
            row = stored.get(name)
            if row is None:
                session.add(
                    HealthWeight(
                        tier=self.tier, component=name, weight=value,
                        updated_by=actor.user_id, updated_at=moment,
                    )
                )  # fmt: skip
            else:
                row.weight, row.updated_by, row.updated_at = value, actor.user_id, moment
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action=AUDIT_ACTION,
            entity=AUDIT_ENTITY,
            entity_id=self.tier,
            before=before,
            after=clean,
        )
        session.flush()
        rescore_latest_day(session=session, tier=self.tier, weights=clean)
        return clean
