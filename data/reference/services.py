"""Per-vertical service catalogs and staff roles for the demo generator.

One table for the whole project: it lives in ``core/reference/services.py`` (``core``
must not import ``data``), and this module re-exports it for the generator's imports.
"""

from core.reference.services import CATALOG, PRICE_REFERENCE_MONTH, STAFF_ROLES, CatalogService

__all__ = ["CATALOG", "PRICE_REFERENCE_MONTH", "STAFF_ROLES", "CatalogService"]
