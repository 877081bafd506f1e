"""Health scores (issue 4): daily per-tenant scores and their components.

Tables here subclass ``core.schema.Base``; add ``__all__`` with the class names.
"""

from __future__ import annotations

__all__: list[str] = []
