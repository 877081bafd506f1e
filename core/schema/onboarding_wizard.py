"""Onboarding wizard (issue 5): drafts, verification checks, manual review.

Tables here subclass ``core.schema.Base``; add ``__all__`` with the class names.
"""

from __future__ import annotations

__all__: list[str] = []
