"""Reference data for the demo generator and the live simulator (static, no I/O)."""

from core.inflation.reference import MONTHLY_CPI_PCT, cpi_index, month_key, monthly_inflation
from data.reference.geography import PROVINCES, STREETS, City, Province
from data.reference.services import CATALOG, PRICE_REFERENCE_MONTH, STAFF_ROLES, CatalogService

__all__ = [
    "CATALOG",
    "MONTHLY_CPI_PCT",
    "PRICE_REFERENCE_MONTH",
    "PROVINCES",
    "STAFF_ROLES",
    "STREETS",
    "CatalogService",
    "City",
    "Province",
    "cpi_index",
    "month_key",
    "monthly_inflation",
]
