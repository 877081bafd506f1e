"""Churn models stored as JSON parameters, never as pickles.

A registry row's ``model_bytes`` hold one UTF-8 JSON document::

    {"format": "barberpro-churn-model/1",
     "params": {"algorithm": ..., "horizon_days": ..., "calibration": ..., ...},
     "inputs": [the encoded input names, in matrix order],
     "n_train": ...,
     "members": [{"scorer": {...}, "calibrator": {...}}, ...],
     "explainer": {"kind": "logistic", ...}}

(the parts are described in ``core.models.churn.parameters``). Loading parses JSON and
builds numpy arrays, nothing else: a stored row cannot run code. Rows written by earlier
releases hold a pickle; those are recognised by their first byte and refused with
:class:`StoredModelError`, never unpickled. The daily ``churn_retrain`` job then
promotes its new model in their place (see ``core.models.churn.registry``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from core.errors import DomainError
from core.models.churn.model import ALGORITHMS, ENCODED_COLUMNS, ChurnClassifier
from core.models.churn.parameters import LinearLogit, ParameterError, member_from_dict

__all__ = ["FORMAT", "StoredModelError", "dump_model", "load_model"]

#: The "format" key of every stored model; a new layout gets a new number.
FORMAT = "barberpro-churn-model/1"
#: Every pickle since protocol 2 starts with the PROTO opcode.
_PICKLE_PROTO = 0x80
_RETRAIN = "the next churn_retrain run replaces it."


class StoredModelError(DomainError):
    """A stored churn model that will not be loaded: pickled, damaged or of another format.

    The msgids are English only: they are read in job runs and logs, like other job
    errors, not shown on a page.
    """


def dump_model(model: ChurnClassifier) -> bytes:
    """The fitted ``model`` as JSON bytes (see the module docstring for the layout).

    Parameters
    ----------
    model : ChurnClassifier
        A fitted classifier (``members_`` and ``explainer_`` set).

    Returns
    -------
    bytes
        UTF-8 JSON; :func:`load_model` reads it back into an equivalent classifier.
    """
    explainer = model.explainer_
    document = {
        "format": FORMAT,
        "params": model.get_params(),
        "inputs": list(ENCODED_COLUMNS),
        "n_train": int(model.n_train_),
        "members": [member.to_dict() for member in model.members_],
        "explainer": LinearLogit.from_sklearn(explainer).to_dict(),
    }
    # allow_nan=False: non-finite floats were written as words, so this is strict JSON.
    return json.dumps(document, allow_nan=False, separators=(",", ":")).encode()


def load_model(payload: bytes, *, version: int | None = None) -> ChurnClassifier:
    """A fitted classifier from :func:`dump_model` bytes, or a clear :class:`StoredModelError`.

    Parameters
    ----------
    payload : bytes
        A registry row's ``model_bytes``.
    version : int, optional
        The row's version, quoted in error messages.

    Returns
    -------
    ChurnClassifier
        Scores exactly as the model that was dumped (same parameters, same arithmetic);
        ``calibrated_`` (the scikit-learn fitting object) is not stored.

    Raises
    ------
    StoredModelError
        ``churn_model_pickled`` for a row of the retired pickle format (never unpickled),
        ``churn_model_unreadable`` for anything else that is not a valid stored model.
    """
    which = "The churn model" if version is None else f"Churn model version {version}"
    payload = bytes(payload)
    if payload[:1] == bytes([_PICKLE_PROTO]):
        raise StoredModelError(
            "churn_model_pickled",
            "{which} was stored as a pickle by an earlier release. Pickles are never "
            "loaded, since loading one can run code; " + _RETRAIN,
            {"which": which},
        )
    try:
        document = json.loads(payload.decode("utf-8"), parse_constant=_refuse_constant)
        return _classifier(document)
    # ValueError covers JSON, text and ParameterError; the others are a document whose
    # shape or numbers do not fit (a missing key, a number too large, nesting too deep).
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError) as exc:
        raise StoredModelError(
            "churn_model_unreadable",
            "{which} cannot be read ({problem}); " + _RETRAIN,
            {"which": which, "problem": _short(exc)},
        ) from None


def _refuse_constant(name: str) -> Any:
    raise ParameterError(f"{name} is not a JSON number")


def _short(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError | RecursionError):
        return "not JSON"
    if isinstance(exc, UnicodeDecodeError):
        return "not text"
    if isinstance(exc, ParameterError):
        return str(exc)
    return f"malformed: {type(exc).__name__}"


def _classifier(document: Any) -> ChurnClassifier:
    if not isinstance(document, Mapping):
        raise ParameterError("not a stored churn model")
    if document.get("format") != FORMAT:
        raise ParameterError(f"unknown format {str(document.get('format'))[:40]!r}")
    if document.get("inputs") != list(ENCODED_COLUMNS):
        raise ParameterError("it was trained on other encoded inputs than this release's")
    params = document.get("params")
    if not isinstance(params, Mapping) or set(params) != set(ChurnClassifier().get_params()):
        raise ParameterError("the estimator parameters are missing or unknown")
    if params["algorithm"] not in ALGORITHMS or params["calibration"] not in (
        "sigmoid",
        "isotonic",
    ):
        raise ParameterError("unknown algorithm or calibration")
    for name in ("horizon_days", "n_splits", "random_state", "n_train"):
        value = document[name] if name == "n_train" else params[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ParameterError(f"{name} must be a non-negative integer")
    members = document.get("members")
    if not isinstance(members, list) or not members:
        raise ParameterError("a stored model needs at least one calibrated member")
    n_columns = len(ENCODED_COLUMNS)
    model = ChurnClassifier(**params)
    model.members_ = tuple(member_from_dict(m, n_columns) for m in members)
    linear = LinearLogit.from_dict(document.get("explainer"), n_columns)
    model.explainer_ = _explainer(linear, n_train=document["n_train"])
    model.classes_ = np.array([0, 1])
    model.n_train_ = document["n_train"]
    model.n_calibration_members_ = len(model.members_)
    return model


def _explainer(linear: LinearLogit, *, n_train: int) -> Pipeline:
    """The explainer as the fitted scikit-learn pipeline the drivers and the card read.

    The imputer is fitted on two rows that reproduce the stored medians and missing
    pattern, so scikit-learn sets its own private bookkeeping; its medians are then the
    stored ones exactly. The scaler and the regression take their learned attributes.
    """
    if not np.isfinite(linear.fill).all():
        raise ParameterError("imputation values must be finite")
    gaps = linear.fill.copy()
    gaps[linear.flagged] = np.nan
    imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
    imputer.fit(np.vstack([linear.fill, gaps]))
    imputer.statistics_ = linear.fill.copy()
    n_inputs = linear.mean.size
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = linear.mean, linear.scale, linear.scale**2
    scaler.n_features_in_, scaler.n_samples_seen_ = n_inputs, n_train
    regression = LogisticRegression(C=1.0, max_iter=2000)
    regression.coef_ = linear.coef.reshape(1, -1)
    regression.intercept_ = np.array([linear.intercept])
    regression.classes_ = np.array([0, 1])
    regression.n_features_in_ = n_inputs
    return Pipeline([("impute", imputer), ("scale", scaler), ("model", regression)])
