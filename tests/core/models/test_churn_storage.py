"""Churn models stored as JSON parameters: exact round trip, no pickle, old rows refused."""

from __future__ import annotations

import json
import os
import pickle
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.models.churn import registry as churn
from core.models.churn.drivers import global_importance, tenant_drivers
from core.models.churn.model import ChurnClassifier, encode_matrix
from core.models.churn.registry import promoted_model, register_candidate, score_tenant
from core.models.churn.storage import FORMAT, StoredModelError, dump_model, load_model
from core.schema.churn_models import ChurnModelVersion
from tests.core.models.test_churn_helpers import simulated_examples, small_candidate


def _split(n_tenants: int, n_dates: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = simulated_examples(n_tenants=n_tenants, n_dates=n_dates, seed=seed)
    cut = data["as_of"].unique()[n_dates - 4]
    return data[data["as_of"] < cut], data[data["as_of"] >= cut]


@pytest.fixture(scope="module", params=["logistic/sigmoid", "boosting/sigmoid", "logistic/iso"])
def fitted(request) -> tuple[ChurnClassifier, pd.DataFrame]:
    algorithm, calibration = {
        "logistic/sigmoid": ("logistic_regression", "sigmoid"),
        "boosting/sigmoid": ("gradient_boosting", "sigmoid"),
        "logistic/iso": ("logistic_regression", "isotonic"),
    }[request.param]
    small = algorithm == "gradient_boosting"  # boosting fits in seconds on fewer rows
    train, held_out = _split(150 if small else 400, 16 if small else 24, seed=11)
    model = ChurnClassifier(algorithm=algorithm, calibration=calibration)
    return model.fit(train, train["churn_30d"]), held_out


def _strict_json(payload: bytes) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(payload.decode("utf-8"), parse_constant=refuse)


def test_round_trip_scores_identically(fitted) -> None:
    model, held_out = fitted
    payload = dump_model(model)
    loaded = load_model(payload)
    expected = model.predict_proba(held_out)
    np.testing.assert_allclose(loaded.predict_proba(held_out), expected, rtol=0, atol=1e-12)
    # The parameters score as scikit-learn's own fitted objects do.
    matrix = encode_matrix(held_out)
    np.testing.assert_allclose(
        expected, model.calibrated_.predict_proba(matrix), rtol=0, atol=1e-12
    )
    assert loaded.get_params() == model.get_params()
    assert (loaded.n_train_, loaded.n_calibration_members_) == (
        model.n_train_,
        model.n_calibration_members_,
    )
    # The explainer comes back as the same fitted pipeline: same transform, same drivers.
    np.testing.assert_allclose(
        loaded.explainer_.predict_proba(matrix),
        model.explainer_.predict_proba(matrix),
        rtol=0,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        loaded.explainer_[:-1].transform(matrix),
        model.explainer_[:-1].transform(matrix),
        rtol=0,
        atol=1e-12,
    )
    assert tenant_drivers(loaded.explainer_, held_out) == tenant_drivers(model.explainer_, held_out)
    assert global_importance(loaded.explainer_) == global_importance(model.explainer_)
    row = held_out.iloc[[3]]
    assert score_tenant(loaded, row) == score_tenant(model, row)
    # Dumping the loaded model gives the same bytes: nothing is lost or rounded.
    assert dump_model(loaded) == payload


def test_stored_bytes_are_plain_json_without_pickle_opcodes(fitted) -> None:
    model, _ = fitted
    payload = dump_model(model)
    document = _strict_json(payload)
    assert document["format"] == FORMAT
    assert document["params"]["algorithm"] == model.algorithm
    # ASCII JSON: no PROTO (0x80) nor any other binary opcode, no module to import.
    assert payload.isascii() and payload.startswith(b"{")
    for name in (b"sklearn", b"numpy", b"builtins", b"__reduce__", b"copyreg"):
        assert name not in payload
    kinds = {m["scorer"]["kind"] for m in document["members"]}
    assert kinds == {"trees" if model.algorithm == "gradient_boosting" else "logistic"}


class _WritesMarker:
    """Unpickling this runs a shell command that creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_the_crafted_pickle_runs_code_when_unpickled(tmp_path) -> None:
    # The control for the tests below: this payload is live.
    marker = tmp_path / "control"
    pickle.loads(pickle.dumps(_WritesMarker(marker)))
    assert marker.exists()


def test_a_pickled_payload_is_refused_without_running_it(tmp_path, monkeypatch) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_WritesMarker(marker), protocol=pickle.HIGHEST_PROTOCOL)
    monkeypatch.setattr(pickle, "loads", _never)
    monkeypatch.setattr(pickle, "Unpickler", _never)
    with pytest.raises(StoredModelError, match="pickle") as caught:
        load_model(payload, version=7)
    assert caught.value.code == "churn_model_pickled"
    assert "Churn model version 7" in str(caught.value) and "churn_retrain" in str(caught.value)
    # Old protocols have no PROTO byte: they are refused as unreadable, also unrun.
    with pytest.raises(StoredModelError) as caught:
        load_model(pickle.dumps(_WritesMarker(marker), protocol=0))
    assert caught.value.code == "churn_model_unreadable"
    assert not marker.exists()


def _never(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise AssertionError("a stored model was unpickled")


def _store_pickle_row(engine, marker: Path, *, roc_auc: float = 0.99) -> int:  # type: ignore[no-untyped-def]
    """A promoted row as an earlier release wrote it, but whose bytes would run code."""
    with Session(engine) as session, session.begin():
        session.add(
            ChurnModelVersion(
                version=1,
                trained_at=datetime(2026, 1, 5, 3),
                data_start=date(2025, 1, 6),
                data_end=date(2025, 12, 29),
                horizon_days=30,
                algorithm="logistic_regression",
                metrics={},
                roc_auc=roc_auc,
                promoted=True,
                promotion_note="first_model",
                model_bytes=pickle.dumps(_WritesMarker(marker), protocol=4),
            )
        )
    return 1


def test_an_old_pickled_row_is_refused_and_the_retrain_replaces_it(
    engine, tmp_path, monkeypatch
) -> None:
    marker = tmp_path / "pwned"
    _store_pickle_row(engine, marker)
    monkeypatch.setattr(pickle, "loads", _never)
    with (
        Session(engine) as session,
        pytest.raises(StoredModelError, match="never loaded") as caught,
    ):
        promoted_model(session=session)
    assert caught.value.code == "churn_model_pickled"
    with pytest.raises(StoredModelError):
        churn.score_with_promoted(engine)
    # The hourly scoring job records a failure that says why.
    spec = next(s for s in JOBS if s.job_id == "churn_score")
    run = run_recorded(engine, spec, "test:1:abc", get_settings())
    assert run.status == "failed" and "pickle" in run.error and "churn_retrain" in run.error

    # The next retrain promotes its model although the old row's stored AUC (0.99) is
    # higher: an unusable model is not compared with.
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = register_candidate(session=session, candidate=small_candidate(seed=5, health=False))
    assert row.promoted and row.promotion_note == "replaces_unusable"
    assert row.metrics["promotion"]["previous_version"] == 1
    with Session(engine) as session:
        model = promoted_model(session=session)
        old = session.scalars(select(ChurnModelVersion).where(ChurnModelVersion.version == 1))
        assert not old.one().promoted
    assert model is not None and model.version_ == row.version
    assert churn.score_with_promoted(engine) == 0  # no tenants in this database
    assert not marker.exists()


def test_a_promoted_json_model_round_trips_through_the_database(engine) -> None:
    candidate = small_candidate(seed=6, health=False)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        register_candidate(session=session, candidate=candidate)
    with Session(engine) as session:
        stored = session.scalars(select(ChurnModelVersion.model_bytes)).one()
        model = promoted_model(session=session)
        again = promoted_model(session=session)
    assert _strict_json(bytes(stored))["format"] == FORMAT
    assert again is model  # parsed once per version
    rows = simulated_examples(n_tenants=30, n_dates=1, seed=12)
    np.testing.assert_allclose(
        model.predict_proba(rows), candidate.model.predict_proba(rows), rtol=0, atol=1e-12
    )


def _document() -> dict:
    train, _ = _split(60, 12, seed=13)
    model = ChurnClassifier().fit(train, train["churn_30d"])
    return _strict_json(dump_model(model))


def _tree_document() -> dict:
    train, _ = _split(80, 12, seed=14)
    model = ChurnClassifier(algorithm="gradient_boosting").fit(train, train["churn_30d"])
    return _strict_json(dump_model(model))


def _set(document: dict, path: tuple, value: object) -> dict:
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda d: _set(d, ("format",), "barberpro-churn-model/99"), "unknown format"),
        (lambda d: _set(d, ("inputs",), d["inputs"][:-1]), "other encoded inputs"),
        (lambda d: _set(d, ("params", "algorithm"), "svm"), "unknown algorithm"),
        (lambda d: _set(d, ("members",), []), "at least one"),
        (lambda d: _set(d, ("explainer", "coef"), d["explainer"]["coef"][:-1]), "coef has"),
        (lambda d: _set(d, ("explainer", "scale", 0), 0.0), "non-zero"),
        (lambda d: _set(d, ("members", 0, "calibrator", "a"), "1e3"), "finite number"),
        (lambda d: _set(d, ("members", 0, "scorer", "kind"), "pickle"), "kind 'logistic'"),
        (lambda d: _set(d, ("n_train",), -1), "non-negative"),
    ],
)
def test_a_damaged_document_is_refused_clearly(damage, problem) -> None:
    payload = json.dumps(damage(_document())).encode()
    with pytest.raises(StoredModelError, match=problem) as caught:
        load_model(payload, version=3)
    assert caught.value.code == "churn_model_unreadable"
    assert "churn_retrain" in str(caught.value)


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        # A child pointing back up would make a cycle.
        (lambda t: _set(t, ("left", 0), 0), "child index"),
        (lambda t: _set(t, ("right", 0), 10_000), "index outside"),
        (lambda t: _set(t, ("feature", 0), 999), "index outside"),
        (lambda t: _set(t, ("value",), t["value"][:-1]), "value has"),
        (lambda t: _set(t, ("leaf",), [1] * len(t["leaf"])), "true/false"),
    ],
)
def test_a_damaged_tree_is_refused_clearly(damage, problem) -> None:
    document = _tree_document()
    damage(document["members"][0]["scorer"]["trees"][0])
    with pytest.raises(StoredModelError, match=problem):
        load_model(json.dumps(document).encode())


@pytest.mark.parametrize(
    "payload",
    [b"", b"{", b"\xff\xfe", b'{"format": NaN}', b"[1, 2]", b"null", b"[" * 100_000],
)
def test_bytes_that_are_not_a_stored_model_are_refused(payload) -> None:
    with pytest.raises(StoredModelError) as caught:
        load_model(payload)
    assert caught.value.code == "churn_model_unreadable"
