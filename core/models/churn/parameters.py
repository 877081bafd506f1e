"""A fitted churn model as plain parameters: numbers that score in numpy and store as JSON.

scikit-learn objects can only be stored by pickling them, and unpickling a database row
can run any code. Every part of a fitted :class:`~core.models.churn.model.ChurnClassifier`
is, however, a handful of arrays:

* a logistic pipeline (:class:`LinearLogit`): imputation medians, which columns get a
  "was missing" flag, the scaler's means and scales, coefficients and intercept;
* a gradient-boosting model (:class:`TreeEnsemble`): a baseline log-odds and, per tree,
  each node's feature, threshold, side for missing values, children and leaf value;
* a calibrator: sigmoid ``a`` and ``b`` (:class:`SigmoidCalibrator`) or the isotonic
  step points (:class:`IsotonicCalibrator`).

Each class is read from the fitted scikit-learn object (``from_sklearn``), evaluates
itself with the same floating-point operations in the same order as scikit-learn
(tests check agreement to 1e-12), and converts to and from a JSON-ready dict. Reading a
dict validates every array (sizes, indices in range, children after their parent), so a
damaged row fails with :class:`ParameterError` instead of scoring nonsense.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

__all__ = [
    "CalibratedMember",
    "IsotonicCalibrator",
    "LinearLogit",
    "ParameterError",
    "SigmoidCalibrator",
    "TreeEnsemble",
    "member_from_dict",
    "member_from_sklearn",
]

#: Rows scored at once by a tree ensemble: bounds the (rows x trees) work arrays.
TREE_CHUNK_ROWS = 2048


class ParameterError(ValueError):
    """Stored parameters that do not describe a valid model (wrong shape, bad index...)."""


# ------------------------------------------------------------------ JSON values


def floats_to_json(values: np.ndarray | Sequence[float]) -> list[float | str]:
    """Floats as JSON numbers; inf and NaN (not JSON) as the strings "inf", "-inf", "nan".

    ``repr`` of a float (what ``json`` writes) reads back to the same double, so the
    round trip is exact.
    """
    return [float(v) if math.isfinite(v) else str(float(v)) for v in np.asarray(values, float)]


_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def floats_from_json(values: Any, name: str, size: int | None = None) -> np.ndarray:
    """The inverse of :func:`floats_to_json`, refusing anything but numbers and those words."""
    if not isinstance(values, list):
        raise ParameterError(f"{name} must be a list of numbers")
    # One set of types instead of a check per value: a model holds tens of thousands.
    kinds = {type(v) for v in values}
    if not kinds <= {float, int, str}:
        raise ParameterError(f"{name} must be a list of numbers")
    if str in kinds:
        if any(isinstance(v, str) and v not in _NON_FINITE for v in values):
            raise ParameterError(f"{name} holds a word that is not inf, -inf or nan")
        values = [_NON_FINITE[v] if isinstance(v, str) else v for v in values]
    out = np.array(values, dtype=float)
    if size is not None and out.size != size:
        raise ParameterError(f"{name} has {out.size} values, expected {size}")
    return out


def ints_from_json(values: Any, name: str, low: int, high: int) -> np.ndarray:
    """A list of integers, each in ``[low, high)``."""
    if not isinstance(values, list) or not {type(v) for v in values} <= {int}:
        raise ParameterError(f"{name} must be a list of integers")
    if values and (min(values) < low or max(values) >= high):
        raise ParameterError(f"{name} has an index outside [{low}, {high})")
    return np.array(values, dtype=np.intp)


def float_from_json(value: Any, name: str) -> float:
    """One finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number")
    return float(value)


def _kind(data: Any, expected: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping) or data.get("kind") != expected:
        raise ParameterError(f"expected parameters of kind {expected!r}")
    return data


# ------------------------------------------------------------------- scorers


@dataclass(frozen=True, eq=False)
class LinearLogit:
    """Median imputation -> "was missing" flags -> standardization -> linear log-odds.

    ``fill`` holds the imputer's medians, ``flagged`` the encoded columns that get a
    missing flag (appended after the columns, in this order), ``mean``/``scale`` the
    scaler's parameters over columns then flags.
    """

    fill: np.ndarray
    flagged: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_sklearn(cls, pipeline: Any) -> LinearLogit:
        """From a fitted impute -> scale -> LogisticRegression pipeline."""
        imputer = pipeline.named_steps["impute"]
        scaler = pipeline.named_steps["scale"]
        model = pipeline.named_steps["model"]
        indicator = imputer.indicator_
        flagged = np.zeros(0, np.intp) if indicator is None else np.asarray(indicator.features_)
        return cls(
            fill=np.asarray(imputer.statistics_, dtype=float),
            flagged=flagged.astype(np.intp),
            mean=np.asarray(scaler.mean_, dtype=float),
            scale=np.asarray(scaler.scale_, dtype=float),
            coef=np.asarray(model.coef_[0], dtype=float),
            intercept=float(model.intercept_[0]),
        )

    def standardized(self, matrix: np.ndarray) -> np.ndarray:
        """The inputs after imputation, missing flags and scaling."""
        missing = np.isnan(matrix)
        filled = np.where(missing, self.fill, matrix)
        if self.flagged.size:
            filled = np.hstack([filled, missing[:, self.flagged].astype(float)])
        return (filled - self.mean) / self.scale

    def decision(self, matrix: np.ndarray) -> np.ndarray:
        """Log-odds of each row (scikit-learn's ``decision_function``)."""
        return self.standardized(matrix) @ self.coef + self.intercept

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "fill": floats_to_json(self.fill),
            "flagged": [int(k) for k in self.flagged],
            "mean": floats_to_json(self.mean),
            "scale": floats_to_json(self.scale),
            "coef": floats_to_json(self.coef),
            "intercept": float(self.intercept),
        }

    @classmethod
    def from_dict(cls, data: Any, n_columns: int) -> LinearLogit:
        data = _kind(data, "logistic")
        fill = floats_from_json(data.get("fill"), "fill", n_columns)
        flagged = ints_from_json(data.get("flagged"), "flagged", 0, n_columns)
        n_inputs = n_columns + flagged.size
        scale = floats_from_json(data.get("scale"), "scale", n_inputs)
        if not np.isfinite(scale).all() or (scale == 0).any():
            raise ParameterError("scale must hold finite, non-zero numbers")
        return cls(
            fill=fill,
            flagged=flagged,
            mean=floats_from_json(data.get("mean"), "mean", n_inputs),
            scale=scale,
            coef=floats_from_json(data.get("coef"), "coef", n_inputs),
            intercept=float_from_json(data.get("intercept"), "intercept"),
        )


@dataclass(frozen=True, eq=False)
class TreeEnsemble:
    """Gradient-boosted trees on raw (unbinned) numeric inputs: baseline + sum of leaves.

    The nodes of every tree sit in shared arrays; ``roots`` gives each tree's first node.
    A leaf points to itself, so ``depth`` steps take every row of every tree to its leaf
    at once in numpy, whatever the leaf's depth.
    """

    baseline: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int

    @classmethod
    def from_sklearn(cls, pipeline: Any) -> TreeEnsemble:
        """From a fitted pipeline whose only step is a binary HistGradientBoostingClassifier."""
        if len(pipeline.steps) != 1:
            raise ParameterError("the gradient-boosting pipeline must have the model only")
        model = pipeline.steps[0][1]
        if model.n_trees_per_iteration_ != 1 or getattr(model, "_preprocessor", None) is not None:
            raise ParameterError("only binary gradient boosting on numeric inputs is stored")
        trees = []
        # scikit-learn keeps the trees privately; the node fields read here are the
        # ones its own raw-data predictor walks (see _predictor.pyx).
        for iteration in model._predictors:
            nodes = iteration[0].nodes
            if nodes["is_categorical"].any():
                raise ParameterError("categorical splits cannot be stored")
            trees.append(
                {
                    "feature": nodes["feature_idx"].astype(np.intp),
                    "threshold": nodes["num_threshold"].astype(float),
                    "missing_left": nodes["missing_go_to_left"].astype(bool),
                    "left": nodes["left"].astype(np.intp),
                    "right": nodes["right"].astype(np.intp),
                    "leaf": nodes["is_leaf"].astype(bool),
                    "value": nodes["value"].astype(float),
                }
            )
        baseline = float(np.asarray(model._baseline_prediction).reshape(-1)[0])
        return cls.from_trees(baseline, trees, n_columns=int(model.n_features_in_))

    @classmethod
    def from_trees(
        cls, baseline: float, trees: Sequence[Mapping[str, np.ndarray]], n_columns: int
    ) -> TreeEnsemble:
        """Validate per-tree node arrays (local child indices) and join them.

        Checked over all nodes at once: a model holds hundreds of trees.
        """
        keys = ("feature", "threshold", "missing_left", "left", "right", "leaf", "value")
        sizes = np.array([tree["feature"].size for tree in trees], dtype=np.intp)
        for t, tree in enumerate(trees):
            if sizes[t] == 0 or any(tree[key].size != sizes[t] for key in keys):
                raise ParameterError(f"tree {t}: node arrays are empty or of unequal length")
        if sizes.size == 0:
            raise ParameterError("a tree ensemble needs at least one tree")
        joined = {key: np.concatenate([tree[key] for tree in trees]) for key in keys}
        roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        first = np.repeat(roots, sizes)  # each node's tree's first node
        local, size = np.arange(first.size) - first, np.repeat(sizes, sizes)
        leaf = joined["leaf"].astype(bool)
        left = np.where(leaf, local, joined["left"])
        right = np.where(leaf, local, joined["right"])
        feature = np.where(leaf, 0, joined["feature"])

        def refuse(bad: np.ndarray, problem: str) -> None:
            if bad.any():
                tree = int(np.searchsorted(roots, np.argmax(bad), side="right")) - 1
                raise ParameterError(f"tree {tree}: {problem}")

        # Children come after their parent (scikit-learn numbers nodes depth first),
        # which rules out cycles and makes every walk below finite.
        refuse(~leaf & ((left <= local) | (right <= local)), "a child index is out of order")
        refuse((left < 0) | (left >= size) | (right < 0) | (right >= size), "a child is missing")
        refuse((feature < 0) | (feature >= n_columns), "a feature index is out of range")
        refuse(leaf & ~np.isfinite(joined["value"]), "a leaf value is not finite")
        threshold, missing_left = joined["threshold"], joined["missing_left"]
        left, right, value = left + first, right + first, np.where(leaf, joined["value"], 0.0)
        # The depth: walk every tree level by level at once until only leaves remain
        # (finite, since children come after their parent; unique, so that nodes shared
        # by a damaged "tree" cannot multiply the frontier).
        depth, frontier = 0, np.asarray(roots, dtype=np.intp)
        while True:
            frontier = frontier[left[frontier] != frontier]
            if frontier.size == 0:
                break
            frontier = np.unique(np.concatenate([left[frontier], right[frontier]]))
            depth += 1
        return cls(
            baseline=float(baseline),
            roots=np.asarray(roots, dtype=np.intp),
            feature=feature.astype(np.intp),
            threshold=threshold.astype(float),
            missing_left=missing_left.astype(bool),
            left=left.astype(np.intp),
            right=right.astype(np.intp),
            value=value.astype(float),
            depth=depth,
        )

    def decision(self, matrix: np.ndarray) -> np.ndarray:
        """Raw log-odds of each row (scikit-learn's ``decision_function``)."""
        out = np.empty(len(matrix))
        for start in range(0, len(matrix), TREE_CHUNK_ROWS):
            out[start : start + TREE_CHUNK_ROWS] = self._decision(
                matrix[start : start + TREE_CHUNK_ROWS]
            )
        return out

    def _decision(self, matrix: np.ndarray) -> np.ndarray:
        rows = np.arange(len(matrix))[:, None]
        node = np.repeat(self.roots[None, :], len(matrix), axis=0)
        for _ in range(self.depth):
            x = matrix[rows, self.feature[node]]
            # NaN compares False, so it goes left only where the tree sends missing left.
            go_left = (x <= self.threshold[node]) | (np.isnan(x) & self.missing_left[node])
            node = np.where(go_left, self.left[node], self.right[node])
        # Add the baseline, then the trees one by one in order, as scikit-learn does:
        # a cumulative sum keeps that order (a plain sum would pair terms differently).
        terms = np.column_stack([np.full(len(matrix), self.baseline), self.value[node]])
        return np.cumsum(terms, axis=1)[:, -1]

    def to_dict(self) -> dict[str, Any]:
        trees = []
        ends = [*self.roots[1:], self.feature.size]
        for start, end in zip(self.roots, ends, strict=True):
            index = np.arange(start, end)
            leaf = (self.left[start:end] == index) & (self.right[start:end] == index)
            trees.append(
                {
                    "feature": [int(v) for v in self.feature[start:end]],
                    "threshold": floats_to_json(self.threshold[start:end]),
                    "missing_left": [bool(v) for v in self.missing_left[start:end]],
                    "left": [int(v) for v in self.left[start:end] - start],
                    "right": [int(v) for v in self.right[start:end] - start],
                    "leaf": [bool(v) for v in leaf],
                    "value": floats_to_json(self.value[start:end]),
                }
            )
        return {"kind": "trees", "baseline": float(self.baseline), "trees": trees}

    @classmethod
    def from_dict(cls, data: Any, n_columns: int) -> TreeEnsemble:
        data = _kind(data, "trees")
        raw_trees = data.get("trees")
        if not isinstance(raw_trees, list):
            raise ParameterError("trees must be a list")
        trees = []
        for t, tree in enumerate(raw_trees):
            if not isinstance(tree, Mapping):
                raise ParameterError(f"tree {t} is not an object")
            n = len(tree.get("feature") or [])
            trees.append(
                {
                    "feature": ints_from_json(
                        tree.get("feature"), f"tree {t} feature", 0, n_columns
                    ),
                    "threshold": floats_from_json(tree.get("threshold"), f"tree {t} threshold", n),
                    "missing_left": _bools(tree.get("missing_left"), f"tree {t} missing_left", n),
                    "left": ints_from_json(tree.get("left"), f"tree {t} left", 0, n),
                    "right": ints_from_json(tree.get("right"), f"tree {t} right", 0, n),
                    "leaf": _bools(tree.get("leaf"), f"tree {t} leaf", n),
                    "value": floats_from_json(tree.get("value"), f"tree {t} value", n),
                }
            )
        return cls.from_trees(float_from_json(data.get("baseline"), "baseline"), trees, n_columns)


def _bools(values: Any, name: str, size: int) -> np.ndarray:
    if not isinstance(values, list) or not {type(v) for v in values} <= {bool}:
        raise ParameterError(f"{name} must be a list of true/false")
    if len(values) != size:
        raise ParameterError(f"{name} has {len(values)} values, expected {size}")
    return np.array(values, dtype=bool)


# --------------------------------------------------------------- calibrators


@dataclass(frozen=True)
class SigmoidCalibrator:
    """Platt scaling: ``p = expit(-(a * score + b))``."""

    a: float
    b: float

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return expit(-(self.a * scores + self.b))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "sigmoid", "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: Any) -> SigmoidCalibrator:
        data = _kind(data, "sigmoid")
        return cls(a=float_from_json(data.get("a"), "a"), b=float_from_json(data.get("b"), "b"))


@dataclass(frozen=True, eq=False)
class IsotonicCalibrator:
    """Isotonic regression: scores clipped to the fitted range, linear between steps."""

    x: np.ndarray
    y: np.ndarray

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        t = np.clip(scores, self.x[0], self.x[-1])
        # scipy's interp1d(kind="linear"), which scikit-learn uses, hands float inputs to
        # np.interp; a single step is a constant.
        p = np.full(t.shape, self.y[0]) if self.x.size == 1 else np.interp(t, self.x, self.y)
        # scikit-learn rounds a probability a hair above 1 down to 1.
        return np.where((p > 1.0) & (p <= 1.0 + 1e-5), 1.0, p)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "isotonic", "x": floats_to_json(self.x), "y": floats_to_json(self.y)}

    @classmethod
    def from_dict(cls, data: Any) -> IsotonicCalibrator:
        data = _kind(data, "isotonic")
        x = floats_from_json(data.get("x"), "x")
        y = floats_from_json(data.get("y"), "y", x.size)
        if x.size == 0 or not np.isfinite(x).all() or not np.isfinite(y).all():
            raise ParameterError("isotonic steps must be finite and at least one")
        if (np.diff(x) <= 0).any():
            raise ParameterError("isotonic step positions must increase")
        return cls(x=x, y=y)


# ------------------------------------------------------------------- members

Scorer = LinearLogit | TreeEnsemble
Calibrator = SigmoidCalibrator | IsotonicCalibrator


@dataclass(frozen=True)
class CalibratedMember:
    """One fold of a calibrated classifier: a scorer and the calibrator of its scores."""

    scorer: Scorer
    calibrator: Calibrator

    def positive(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probability of the positive class (churn) of each row."""
        return self.calibrator(self.scorer.decision(matrix))

    def to_dict(self) -> dict[str, Any]:
        return {"scorer": self.scorer.to_dict(), "calibrator": self.calibrator.to_dict()}


def member_from_sklearn(calibrated: Any) -> CalibratedMember:
    """From one of ``CalibratedClassifierCV.calibrated_classifiers_`` (binary)."""
    pipeline = calibrated.estimator
    scorer: Scorer = (
        LinearLogit.from_sklearn(pipeline)
        if "impute" in pipeline.named_steps
        else TreeEnsemble.from_sklearn(pipeline)
    )
    (fitted,) = calibrated.calibrators
    calibrator: Calibrator
    if calibrated.method == "sigmoid":
        calibrator = SigmoidCalibrator(a=float(fitted.a_), b=float(fitted.b_))
    elif calibrated.method == "isotonic":
        x = np.asarray(fitted.X_thresholds_, dtype=float)
        # Predictions clip to [X_min_, X_max_]; storing the steps alone relies on those
        # being the first and last step.
        if fitted.out_of_bounds != "clip" or (fitted.X_min_, fitted.X_max_) != (x[0], x[-1]):
            raise ParameterError("only isotonic calibration that clips to its steps is stored")
        calibrator = IsotonicCalibrator(
            x=x,
            y=np.asarray(fitted.y_thresholds_, dtype=float),
        )
    else:
        raise ParameterError(f"calibration {calibrated.method!r} cannot be stored")
    return CalibratedMember(scorer=scorer, calibrator=calibrator)


def member_from_dict(data: Any, n_columns: int) -> CalibratedMember:
    """A member from :meth:`CalibratedMember.to_dict` output, validated."""
    if not isinstance(data, Mapping):
        raise ParameterError("a calibrated member must be an object")
    scorer_data, calibrator_data = data.get("scorer"), data.get("calibrator")
    kind = scorer_data.get("kind") if isinstance(scorer_data, Mapping) else None
    scorer: Scorer = (
        TreeEnsemble.from_dict(scorer_data, n_columns)
        if kind == "trees"
        else LinearLogit.from_dict(scorer_data, n_columns)
    )
    kind = calibrator_data.get("kind") if isinstance(calibrator_data, Mapping) else None
    calibrator: Calibrator = (
        IsotonicCalibrator.from_dict(calibrator_data)
        if kind == "isotonic"
        else SigmoidCalibrator.from_dict(calibrator_data)
    )
    return CalibratedMember(scorer=scorer, calibrator=calibrator)
