"""The bulk churn features equal the previous builder's, tenant by tenant, date by date.

The previous implementation (one as-of date at a time) is kept only in
``tests/core/models/churn_features_reference.py``. Both run on the same database and
must agree on every tenant, column and as-of moment, midnights (training) and moments
inside a day (scoring), through both ways of finding rows changed after a moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.models import feature_events
from core.models.churn.data import (
    build_examples,
    churn_events,
    examples_as_of,
    examples_as_of_many,
    label_column,
    labels_for,
)
from core.models.churn.training import TrainingConfig, train_candidate
from core.models.features import EXTRA_COLUMNS, FEATURE_COLUMNS, churn_features
from tests.core.models.churn_features_reference import (
    reference_churn_features,
    reference_examples_as_of,
)
from tests.core.models.test_features import T, _apply, _build_history
from tests.generated_data import generated_copy

TODAY = date(2026, 4, 10)
# Weekly midnights over the generated history (the training grid's shape), and moments
# inside a day (scoring runs at any time).
MIDNIGHTS = [datetime(2025, 8, 4) + timedelta(days=7 * k) for k in range(36)]
INSIDE_A_DAY = [datetime(2026, 4, 9, 13, 17, 5), datetime(2026, 1, 20, 8, 30), T]


def assert_same_features(new: pd.DataFrame, old: pd.DataFrame, where: object) -> None:
    """Same tenants, columns and dtypes; equal values (floats within 1e-9)."""
    assert list(new.index) == list(old.index), where
    assert list(new.columns) == list(old.columns), where
    for column in new.columns:
        x, y = new[column], old[column]
        assert str(x.dtype) == str(y.dtype), (where, column, x.dtype, y.dtype)
        if isinstance(x.dtype, pd.CategoricalDtype):
            assert list(x.cat.categories) == list(y.cat.categories), (where, column)
            assert x.astype(object).fillna("-").tolist() == y.astype(object).fillna("-").tolist()
            continue
        close = np.isclose(
            x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True
        )
        assert close.all(), (where, column, list(new.index[~close][:5]))


@pytest.fixture(scope="module")
def generated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """25 tenants, 9 months of generated platform data (SQLite)."""
    path: Path = tmp_path_factory.mktemp("bulk_features") / "demo.db"
    # The same set as test_features_rollup.py's: one generation per `make test`.
    return generated_copy(path, tenants=25, months=9, seed=5, today=TODAY)


@pytest.fixture(scope="module")
def reference_on_generated(generated_url: str) -> Iterator[Callable[[datetime], pd.DataFrame]]:
    """The previous builder's examples on the generated database, one as-of at a time,
    computed once per moment for the whole module.

    The reference reads the database only (it has its own late-row threshold, which the
    ``late_row_search`` parameter does not touch), so both runs of the bulk comparison
    and the fit comparison check against the same frames; recomputing them for each was
    two thirds of this module's time. Each caller gets a copy.
    """
    engine = create_engine_for(generated_url)
    computed: dict[datetime, pd.DataFrame] = {}

    def reference(moment: datetime) -> pd.DataFrame:
        if moment not in computed:
            with Session(engine) as session:
                computed[moment] = reference_examples_as_of(session=session, as_of=moment)
        return computed[moment].copy()

    yield reference
    engine.dispose()


@pytest.fixture(params=["updated_at index", "change day"])
def late_row_search(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run both ways of finding late rows: the index seek and the day comparison."""
    if request.param == "change day":
        monkeypatch.setattr(feature_events, "LATE_ROWS_SEEK", -1)
    return str(request.param)


def test_bulk_equals_the_reference_on_generated_data(
    generated_url: str,
    late_row_search: str,
    reference_on_generated: Callable[[datetime], pd.DataFrame],
) -> None:
    engine = create_engine_for(generated_url)
    moments = [*MIDNIGHTS, *INSIDE_A_DAY[:2]]
    with Session(engine) as session:
        bulk = examples_as_of_many(session=session, as_ofs=moments)
        assert sorted(bulk) == sorted(moments)
        for moment in moments:
            reference = reference_on_generated(moment)
            assert_same_features(bulk[moment], reference, (late_row_search, moment))
        # One moment alone gives the same as within a batch.
        alone = examples_as_of(session=session, as_of=INSIDE_A_DAY[0])
        assert_same_features(alone, bulk[INSIDE_A_DAY[0]], "alone")
    rows = sum(len(frame) for frame in bulk.values())
    assert rows > 500 and set(bulk[moments[-1]].columns) == {*FEATURE_COLUMNS, *EXTRA_COLUMNS}
    engine.dispose()


def test_bulk_equals_the_reference_after_changes_on_both_backends(
    engine: Engine, late_row_search: str
) -> None:
    """The no-leakage history plus changes at and after T, as of moments around T."""
    with Session(engine) as session, session.begin():
        refs = _build_history(session)
        changes = [
            ("backdated_booking", 0, 60, 7),
            ("resolve_booking", 1, 600, 1),
            ("resolve_payment", 2, 30, 1),
            ("resolve_invoice", 3, 2000, 2),
            ("close_ticket", 0, 90, 3),
            ("login", 1, 5, 0),
            ("feature", 2, 3000, 1),
            ("nps", 3, 45, 8),
            ("plan_change", 1, 4000, 2),
            ("churn", 2, 8000, 0),
            ("new_booking", 0, 10, 5),
        ]
        for change in changes:
            _apply(session, refs, change)
    moments = [
        T,
        T + timedelta(minutes=30),
        T + timedelta(days=2),
        datetime(2025, 6, 1),
        datetime(2025, 6, 3),
        datetime(2025, 5, 15, 9, 45),
    ]
    with Session(engine) as session:
        bulk = examples_as_of_many(session=session, as_ofs=moments)
        for moment in moments:
            old = reference_examples_as_of(session=session, as_of=moment)
            assert_same_features(bulk[moment], old, (late_row_search, moment))
            some = [refs[0].tenant_id, refs[2].tenant_id]
            restricted = churn_features(session=session, as_of=moment, tenant_ids=some)
            old_restricted = reference_churn_features(
                session=session, as_of=moment, tenant_ids=some
            )
            assert_same_features(restricted, old_restricted, ("restricted", moment))


def test_the_fitted_model_is_unchanged(
    generated_url: str, reference_on_generated: Callable[[datetime], pd.DataFrame]
) -> None:
    """Same features, same labels, same seed: the backtest AUC and the fit are equal."""
    engine = create_engine_for(generated_url)
    dates = MIDNIGHTS
    with Session(engine) as session:
        new = build_examples(session=session, dates=dates, data_end=TODAY)
        events = churn_events(session=session)
        parts = []
        for moment in dates:
            rows = reference_on_generated(moment).reset_index()
            rows.insert(0, "as_of", pd.Timestamp(moment))
            parts.append(rows)
    old = pd.concat(parts, ignore_index=True)
    for horizon in (30, 60, 90):
        old[label_column(horizon)] = labels_for(old, events, horizon, TODAY)
    assert new[label_column(30)].sum() >= 3, "too few churners to compare fits"
    config = TrainingConfig(
        n_origins=2, dates_per_origin=3, n_boot=40, algorithms=("logistic_regression",)
    )
    fitted_new = train_candidate(new, config=config)
    fitted_old = train_candidate(old, config=config)
    auc_new = fitted_new.metrics["roc_auc"]["value"]
    assert auc_new == pytest.approx(fitted_old.metrics["roc_auc"]["value"], abs=1e-9)
    assert fitted_new.metrics["n_train"] == fitted_old.metrics["n_train"]
    labelled = new[new[label_column(30)].notna()]
    p_new = fitted_new.model.predict_proba(labelled)[:, 1]
    p_old = fitted_old.model.predict_proba(labelled)[:, 1]
    assert np.allclose(p_new, p_old, atol=1e-9)
    engine.dispose()
