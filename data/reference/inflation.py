"""The approximate monthly Argentine CPI series for the demo generator.

One series for the whole project: it lives in ``core/reference/inflation.py`` (``core``
must not import ``data``), and this module re-exports it for the generator's imports.
"""

from core.reference.inflation import (
    APPROXIMATE,
    FIRST_MONTH,
    LAST_MONTH,
    MONTHLY_CPI_PCT,
    cpi_index,
    month_key,
    monthly_inflation,
)

__all__ = [
    "APPROXIMATE",
    "FIRST_MONTH",
    "LAST_MONTH",
    "MONTHLY_CPI_PCT",
    "cpi_index",
    "month_key",
    "monthly_inflation",
]
