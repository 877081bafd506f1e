"""Churn interventions (issue 6): alert rules, alerts, playbooks, actions.

Tables here subclass ``core.schema.Base``; add ``__all__`` with the class names.
"""

from __future__ import annotations

__all__: list[str] = []
