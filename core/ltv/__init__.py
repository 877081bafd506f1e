"""Customer lifetime-value probability models: pure functions and estimators, no I/O.

- ``rfm_summary``: transactions to per-customer frequency, recency, T, monetary value.
- ``BGNBD``: repeat purchases and P(alive) in a non-contractual setting.
- ``GammaGamma``: expected spend per transaction.
- ``ShiftedBetaGeometric``: cohort retention and discounted expected lifetime.
"""

from sklearn.exceptions import NotFittedError

from core.ltv._optimize import ConvergenceWarning
from core.ltv.bgnbd import BGNBD
from core.ltv.gamma_gamma import GammaGamma
from core.ltv.rfm import rfm_summary
from core.ltv.sbg import ShiftedBetaGeometric

__all__ = [
    "BGNBD",
    "ConvergenceWarning",
    "GammaGamma",
    "NotFittedError",
    "ShiftedBetaGeometric",
    "rfm_summary",
]
