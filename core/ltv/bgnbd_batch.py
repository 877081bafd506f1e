"""Many small BG/NBD fits refined at once by Newton's method, from nearby starting points.

The health job refits every tenant's BG/NBD model each day on a summary that moved a
little since yesterday (every ``T`` one day longer, a few new visits). Started from
yesterday's optimum, Newton's method reaches today's in a handful of steps, and one
step of all tenants together is a few numpy calls on the stacked rows instead of one
scipy optimizer per tenant (measured with ``python -m bench health``).

The objective is exactly :meth:`core.ltv.BGNBD.fit`'s: the weighted mean negative
log-likelihood over the distinct histories, time rescaled so that the longest ``T`` is
``_FIT_TIME_SCALE``, plus the L2 penalty, minimised over log-parameters. Only the route
differs: the gradient is analytic and the Hessian the central difference of it, so the
point reached is where the analytic gradient vanishes, whatever the Hessian's rounding.
A fit that does not converge cleanly (a Hessian that is not positive definite, a step
that raises the loss, too many iterations) is reported as None and the caller fits it
the usual way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import expit

from core.ltv._validation import FloatArray
from core.ltv.bgnbd import _FIT_TIME_SCALE, PARAMS, _log_likelihood_and_gradient

BoolArray = NDArray[np.bool_]

#: Yesterday's optimum is a few steps away; a fit still moving after this many is on a
#: flat ridge of the likelihood and goes back to the caller (scipy, as before).
MAX_STEPS = 12
#: Converged when no log-parameter moved more than this in the last step (the steps
#: shrink about quadratically: the distance left is far below it) ...
STEP_TOLERANCE = 1e-7
#: ... and the gradient of the loss with respect to the log-parameters is this small.
GRADIENT_TOLERANCE = 1e-8
REUSE_BELOW = 1e-3  # log-parameter step below which the next step keeps the Hessian
_DIFFERENCE = 1e-5  # log-parameter step of the Hessian's central differences
_HALVINGS = 12
_LOG_BOUND = 30.0  # as core.ltv._optimize: exp(±30) stays within what gammaln handles


@dataclass(frozen=True)
class Summary:
    """One fit's input: ``frequency``, ``recency`` and ``T`` as float arrays (validated)."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray

    @classmethod
    def of(cls, summary: pd.DataFrame) -> Summary | None:
        """The columns of an RFM summary, or None when ``BGNBD.fit`` would refuse it.

        The checks of ``core.ltv._validation.check_summary`` on plain arrays (a tenth of
        its cost on small frames), and at least one repeat purchase.
        """
        try:
            x, t_x, t_end = (
                summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T")
            )
        except (KeyError, TypeError, ValueError):
            return None
        values = np.concatenate([x, t_x, t_end])
        valid = (
            len(x) > 0
            and bool(np.all(np.isfinite(values)) and np.all(values >= 0))
            and bool(np.all(x == np.round(x)) and np.all(t_x <= t_end))
            and not bool(np.any((x == 0) & (t_x > 0)))
            and bool(np.any(x > 0))
        )
        return cls(x, t_x, t_end) if valid else None


class _Stack:
    """The distinct histories of every fit, stacked, with each row's fit and weight."""

    def __init__(self, summaries: Sequence[Summary]) -> None:
        xs, txs, ts, weights, groups, scales = [], [], [], [], [], []
        for index, summary in enumerate(summaries):
            # as BGNBD.fit: identical histories share one likelihood term
            rows, counts = np.unique(
                np.column_stack([summary.frequency, summary.recency, summary.T]),
                axis=0,
                return_counts=True,
            )
            max_t = float(rows[:, 2].max())
            scale = _FIT_TIME_SCALE / max_t if max_t > 0 else 1.0
            xs.append(rows[:, 0])
            txs.append(rows[:, 1] * scale)
            ts.append(rows[:, 2] * scale)
            weights.append(counts / counts.sum())
            groups.append(np.full(len(rows), index, dtype="int64"))
            scales.append(scale)
        self.x = np.concatenate(xs)
        self.t_x = np.concatenate(txs)
        self.t_end = np.concatenate(ts)
        self.weight = np.concatenate(weights)
        self.group = np.concatenate(groups)
        self.scale = np.asarray(scales, dtype=float)
        self.size = len(summaries)

    def loss_and_gradient(
        self, log_params: FloatArray, penalizer: float, which: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        """Each fit's loss and its gradient with respect to the log-parameters (G x 4).

        Only the fits in ``which`` are evaluated (the rows of the others are skipped:
        their loss and gradient come back as 0).
        """
        params = np.exp(log_params)
        rows = which[self.group]
        group, weight = self.group[rows], self.weight[rows]
        with np.errstate(all="ignore"):
            value, gradient = _log_likelihood_and_gradient(
                params[group].T, self.x[rows], self.t_x[rows], self.t_end[rows]
            )
        minlength = self.size
        loss = -np.bincount(group, weight * value, minlength) + penalizer * np.sum(
            params**2, axis=1
        )
        summed = np.column_stack(
            [-np.bincount(group, weight * gradient[k], minlength) for k in range(4)]
        ).astype(float)
        # chain rule for log-parameters
        return loss.astype(float), (summed + 2 * penalizer * params) * params


def refine_fits(
    summaries: Sequence[Summary],
    starts: Sequence[dict[str, float]],
    penalizer: float,
) -> list[dict[str, float] | None]:
    """Each summary's penalized BG/NBD estimates, by Newton's method from its start.

    Parameters
    ----------
    summaries : sequence of Summary
        The fits' inputs, already validated (as ``rfm_summary`` builds them), each with
        at least one repeat purchase.
    starts : sequence of dict
        Starting parameters ``r``, ``alpha``, ``a``, ``b`` (alpha in the summary's time
        unit), one per summary: a nearby optimum, such as yesterday's.
    penalizer : float
        ``penalizer_coef`` of :class:`core.ltv.BGNBD`.

    Returns
    -------
    list of (dict or None)
        The parameters (as ``BGNBD.params_``) where Newton's method converged, None where
        it did not (fit those the usual way).
    """
    if not summaries:
        return []
    stack = _Stack(summaries)
    theta = np.log(np.array([[start[name] for name in PARAMS] for start in starts], dtype=float))
    theta[:, 1] += np.log(stack.scale)  # alpha on the fitting time scale
    active = np.ones(stack.size, dtype=bool)
    done = np.zeros(stack.size, dtype=bool)
    loss, grad = stack.loss_and_gradient(theta, penalizer, active)
    hessian = np.zeros((stack.size, 4, 4))
    moved = np.full(stack.size, np.inf)
    damped = np.zeros(stack.size, dtype=bool)
    for _ in range(MAX_STEPS):
        active &= np.isfinite(loss) & np.all(np.isfinite(grad), axis=1)
        if not active.any():
            break
        # Close to the optimum the Hessian barely changes: a fit whose last step was
        # small and plain reuses it (one evaluation per step instead of five).
        fresh = active & ((moved > REUSE_BELOW) | damped)
        hessian[fresh] = _hessian(stack, theta, grad, penalizer, fresh)[fresh]
        step = np.zeros_like(theta)
        damped = np.zeros(stack.size, dtype=bool)
        for g in np.flatnonzero(active):
            solved = _newton_step(hessian[g], grad[g])
            if solved is None:
                active[g] = False
            else:
                step[g], damped[g] = solved
        # Step halving where the full step raises the loss (rounding allowed for).
        length = np.ones(stack.size)
        accepted = ~active
        new_theta, new_loss, new_grad = theta.copy(), loss.copy(), grad.copy()
        for _halving in range(_HALVINGS):
            trial = np.clip(theta + length[:, None] * step, -_LOG_BOUND, _LOG_BOUND)
            trial_loss, trial_grad = stack.loss_and_gradient(trial, penalizer, ~accepted)
            ok = ~accepted & (trial_loss <= loss + 1e-12 * np.abs(loss))
            new_theta[ok], new_loss[ok], new_grad[ok] = trial[ok], trial_loss[ok], trial_grad[ok]
            accepted |= ok
            if accepted.all():
                break
            length[~accepted] /= 2
        active &= accepted
        moved = np.max(np.abs(length[:, None] * step), axis=1)
        theta, loss, grad = new_theta, new_loss, new_grad
        # a minimum: the last step was a plain Newton step (positive definite Hessian)
        converged = (
            active
            & ~damped
            & (moved < STEP_TOLERANCE)
            & (np.max(np.abs(grad), axis=1) < GRADIENT_TOLERANCE)
        )
        done |= converged
        active &= ~converged
        if not active.any():
            break
    results: list[dict[str, float] | None] = []
    for fit in range(stack.size):
        if not done[fit]:
            results.append(None)
            continue
        r, alpha, a, b = np.exp(theta[fit])
        results.append(
            {"r": float(r), "alpha": float(alpha / stack.scale[fit]), "a": float(a), "b": float(b)}
        )
    return results


def _hessian(
    stack: _Stack, theta: FloatArray, grad: FloatArray, penalizer: float, which: BoolArray
) -> FloatArray:
    """Forward differences of the analytic gradient (G x 4 x 4), symmetrized.

    Its rounding (~1e-5 relative) only slows Newton's last steps a little: the point
    reached is where the analytic gradient vanishes.
    """
    hessian = np.empty((stack.size, 4, 4))
    for k in range(4):
        shift = np.zeros_like(theta)
        shift[:, k] = _DIFFERENCE
        _loss, up = stack.loss_and_gradient(theta + shift, penalizer, which)
        hessian[:, :, k] = (up - grad) / _DIFFERENCE
    return (hessian + hessian.transpose(0, 2, 1)) / 2


def _newton_step(hessian: FloatArray, gradient: FloatArray) -> tuple[FloatArray, bool] | None:
    """``-H⁻¹ g`` and False when ``H`` is positive definite, else the step of the least
    Levenberg-Marquardt damping ``H + mu I`` that is (a descent direction) and True;
    None when the Hessian is not finite."""
    if not np.all(np.isfinite(hessian)):
        return None
    size = max(float(np.max(np.abs(np.diag(hessian)))), 1e-12)
    for mu in (0.0, *(size * 10.0**k for k in range(-6, 3))):
        try:
            lower = np.linalg.cholesky(hessian + mu * np.eye(len(gradient)))
        except np.linalg.LinAlgError:
            continue
        return -np.linalg.solve(lower.T, np.linalg.solve(lower, gradient)), mu > 0
    return None


def prob_alive_many(
    params: FloatArray, x: FloatArray, t_x: FloatArray, t_end: FloatArray
) -> FloatArray:
    """P(alive) of each customer under their own fit's parameters (``BGNBD.prob_alive``).

    Parameters
    ----------
    params : array of float, shape (4, n)
        ``r``, ``alpha`` (in the summary's time unit), ``a``, ``b`` of each customer's fit.
    x, t_x, t_end : arrays of float
        ``frequency``, ``recency`` and ``T``, validated.

    Returns
    -------
    numpy.ndarray
        Equation (12), computed as ``BGNBD.prob_alive`` does, element by element.
    """
    r, alpha, a, b = params
    repeat = x > 0
    x_safe = np.where(repeat, x, 1.0)
    with np.errstate(all="ignore"):
        log_odds = (
            np.log(a)
            - np.log(b + x_safe - 1)
            + (r + x) * (np.log(alpha + t_end) - np.log(alpha + t_x))
        )
    return np.asarray(expit(-np.where(repeat, log_odds, -np.inf)), dtype=float)
