"""Churn models (issue 4): the model registry and stored per-tenant scores.

Tables here subclass ``core.schema.Base``; add ``__all__`` with the class names.
"""

from __future__ import annotations

__all__: list[str] = []
