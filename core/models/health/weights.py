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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.clock import now
from core.models.health.definitions import COMPONENTS

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


class WeightsError(ValueError):
    """Weights that cannot be used; the message says why, for the user."""


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
    """Clean weights for ``tier`` or a WeightsError saying what is wrong (English msgid)."""
    if tier not in TIERS:
        raise WeightsError(f"Unknown tier {tier!r}; expected one of {', '.join(TIERS)}.")
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise WeightsError(f"Unknown component(s): {', '.join(unknown)}.")
    clean: dict[str, float] = {}
    for name in COMPONENTS:
        value = weights.get(name, 0.0)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise WeightsError(f"The weight of {name} is not a number: {value!r}.") from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise WeightsError(f"The weight of {name} is not a number: {value!r}.")
        if number < 0:
            raise WeightsError(f"The weight of {name} is negative ({number:g}); use 0 or more.")
        if number > MAX_WEIGHT:
            raise WeightsError(f"The weight of {name} is above {MAX_WEIGHT:g}.")
        clean[name] = number
    if sum(clean.values()) <= 0:
        raise WeightsError("At least one weight must be above zero.")
    return clean


@dataclass
class SaveHealthWeights:
    """Store a tier's weight profile and audit it; re-score that tier's latest stored day."""

    tier: str
    weights: Mapping[str, Any]
    actor_id: int | None

    def validate(self) -> dict[str, float]:
        return validate_weights(self.tier, self.weights)

    def run(self, *, session: Session) -> dict[str, float]:
        clean = self.validate()
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
                        updated_by=self.actor_id, updated_at=moment,
                    )
                )  # fmt: skip
            else:
                row.weight, row.updated_by, row.updated_at = value, self.actor_id, moment
        audit.record(
            session=session,
            actor_id=self.actor_id,
            action=AUDIT_ACTION,
            entity=AUDIT_ENTITY,
            entity_id=self.tier,
            before=before,
            after=clean,
        )
        session.flush()
        rescore_latest_day(session=session, tier=self.tier, weights=clean)
        return clean
