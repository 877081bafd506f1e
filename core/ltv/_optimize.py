"""Maximum likelihood in log-parameter space, from several starting points."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

from core.ltv._validation import FloatArray

# exp(±30) keeps every parameter inside what gammaln, betaln and hyp2f1 handle; an
# estimate on this edge means the data cannot pin that parameter down.
_LOG_BOUND = 30.0
_GRADIENT_TOLERANCE = 1e-4
# beyond exp(±15) (3e6 or 3e-7) an estimate is running off along a flat likelihood
_LOG_EXTREME = 15.0


# Finding the loaded BLAS libraries costs about 10 ms: done once, not on every fit (a
# health-score backfill fits thousands of small models).
_THREADPOOLS: ThreadpoolController | None = None


def _blas_single_threaded() -> Any:
    global _THREADPOOLS
    if _THREADPOOLS is None:
        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS.limit(limits=1, user_api="blas")


class ConvergenceWarning(UserWarning):
    """The optimizer did not converge, or an estimate ran off to an extreme value."""


def fit_log_params(
    objective: Callable[[FloatArray], Any],
    starts: Sequence[Sequence[float]],
    names: Sequence[str],
    gradient: bool = False,
    issues: list[str] | None = None,
) -> FloatArray:
    """Minimize ``objective`` (a function of positive parameters) over log-parameters.

    Runs L-BFGS-B from every start in ``starts`` (natural scale) and returns the best
    parameters found, on the natural scale. Warns (ConvergenceWarning) when the
    optimizer neither converged nor stopped at a flat point, or when an estimate,
    named by ``names``, ran off to an extreme value (the data do not pin it down).
    With ``gradient=True`` the objective returns ``(value, gradient with respect to
    the natural parameters)``; otherwise the gradient is taken numerically.
    Non-finite values count as a very large loss so that a start in a bad region
    moves away instead of failing. Given a list as ``issues``, the warnings' messages
    are appended to it instead: the warnings filter is process-wide, so code running in
    the scheduler's threads must not turn warnings into errors to learn of them.
    """

    def in_log_space(log_params: FloatArray) -> Any:
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            if not gradient:
                value = float(objective(params))
                return value if np.isfinite(value) else 1e300
            value, grad = objective(params)
            grad = np.asarray(grad, dtype=float) * params  # chain rule for log-parameters
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros_like(params)
        return float(value), grad

    best = None
    # L-BFGS-B calls BLAS on vectors of 2-4 numbers: threads only add overhead (10x
    # slower fits on a busy machine), so they are switched off while it runs.
    with _blas_single_threaded():
        for start in starts:
            x0 = np.log(np.asarray(start, dtype=float))
            result = minimize(
                in_log_space,
                x0,
                method="L-BFGS-B",
                jac=gradient,
                bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(x0),
                options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
            )
            if best is None or result.fun < best.fun:
                best = result
    assert best is not None
    if best.fun >= 1e300:
        raise ValueError("the likelihood is not finite at any starting point; check the data.")
    # L-BFGS-B often stops with "ABNORMAL" in the line search once it is at the optimum
    # to machine precision; a vanishing gradient of the per-customer loss says it is.
    stationary = bool(np.max(np.abs(best.jac)) < _GRADIENT_TOLERANCE)
    found: list[str] = []
    if not (best.success or stationary):
        found.append(f"the optimizer did not report convergence: {best.message}")
    extreme = [name for name, value in zip(names, best.x, strict=True) if abs(value) > _LOG_EXTREME]
    if extreme:
        found.append(
            f"the estimates of {', '.join(extreme)} ran off to extreme values: the data "
            "barely identify them; more data or a small penalizer_coef gives usable values."
        )
    if issues is not None:
        issues.extend(found)
    else:
        for message in found:
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
    return np.exp(best.x)
