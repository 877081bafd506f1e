"""Argentine provinces, cities and streets for the demo generator.

One table for the whole project: it lives in ``core/reference/geography.py`` (``core``
must not import ``data``), and this module re-exports it for the generator's imports.
"""

from core.reference.geography import PROVINCES, STREETS, City, Province

__all__ = ["PROVINCES", "STREETS", "City", "Province"]
