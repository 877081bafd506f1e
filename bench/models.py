"""Customer-success models on the default demo data: churn backtest, forecast, LTV, scoring speed.

Churn figures come from the rolling-origin backtest (``core.models.churn.training``) of
the 30-day churn label, pooled over its test origins: ``churn_auc`` with its tenant-
bootstrap 95% CI, ``oracle_auc`` (the generator's true hazard) and ``health_auc`` (the
health score alone) on the same test examples (the health score on a subset of test
dates, see ``health_n``), ``brier`` and ``brier_baseline`` (the training base rate),
``top_decile_lift``. ``forecast_mase`` / ``naive_mase``: rolling-origin backtest of the
platform's daily bookings; ``forecast_fit_540_days_s``: one fit on its last 540 days (median
of 3, target <= 2 s). ``ltv_cohort_mape``: held-out cohorts of the tenant LTV model.
``score_p99_ms``: one tenant's probability and drivers from its feature row;
``batch_score_s``: every active tenant's, from their feature rows; ``batch_features_s``:
computing those feature rows from the database (reported apart, not hidden; best of 3,
see :func:`features_all_tenants_s`).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.report import print_table, write_results
from core.clock import today
from core.config import PROJECT_ROOT, ground_truth_path_for
from core.db import create_engine_for
from core.migrate import upgrade_database

DEFAULT_DB = PROJECT_ROOT / "bench" / "results" / "bench_default.db"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{DEFAULT_DB}",
        help="demo database (migrated in place; its feature sets are cached there)",
    )
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--health-dates", type=int, default=4)


def _churn(engine: Any, url: str, args: argparse.Namespace) -> tuple[dict[str, Any], Any, date]:
    from core.models.churn.training import (
        TrainingConfig,
        first_data_day,
        health_risk,
        load_examples,
        train_candidate,
        training_dates,
    )

    truth_path = ground_truth_path_for(url)
    truth = json.loads(truth_path.read_text()) if truth_path.exists() else None
    data_end = date.fromisoformat(truth["today"]) if truth else today()
    config = TrainingConfig(n_boot=args.n_boot, health_dates=args.health_dates)
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        first = first_data_day(session=session)
        dates = training_dates(first, data_end, config)
        examples = load_examples(
            session=session,
            dates=dates,
            data_end=data_end,
            cache_before=datetime.combine(data_end, datetime.min.time()),
            progress=True,
        )
    examples_s = time.perf_counter() - started

    def health(rows: pd.DataFrame) -> pd.Series:
        with Session(engine) as read:
            return health_risk(session=read, rows=rows, max_dates=config.health_dates)

    started = time.perf_counter()
    candidate = train_candidate(examples, config=config, truth=truth, health=health)
    m = candidate.metrics
    figures = {
        "churn_algorithm": candidate.algorithm,
        "churn_auc": m["roc_auc"]["value"],
        "churn_auc_ci": m["roc_auc"]["ci"],
        "oracle_auc": m["oracle_auc"]["value"] if m["oracle_auc"] else None,
        "oracle_auc_ci": m["oracle_auc"]["ci"] if m["oracle_auc"] else None,
        "health_auc": m["health_auc"]["value"] if m["health_auc"] else None,
        "health_auc_ci": m["health_auc"]["ci"] if m["health_auc"] else None,
        "health_n": m["health_auc"]["n"] if m["health_auc"] else 0,
        "churn_auc_on_health_rows": m["health_auc"].get("model_auc_same_rows")
        if m["health_auc"]
        else None,
        "pr_auc": m["pr_auc"]["value"],
        "pr_auc_ci": m["pr_auc"]["ci"],
        "brier": m["brier"]["value"],
        "brier_ci": m["brier"]["ci"],
        "brier_baseline": m["brier_baseline"]["value"],
        "top_decile_lift": m["top_decile_lift"]["value"],
        "top_decile_lift_ci": m["top_decile_lift"]["ci"],
        "n_test": m["n_test"],
        "n_test_churners": m["n_test_churners"],
        "n_test_tenants": m["n_test_tenants"],
        "n_train": m["n_train"],
        "origins": len(m["origins"]),
        "algorithms": {k: v["roc_auc"]["value"] for k, v in m["algorithms"].items()},
        "examples_s": examples_s,
        "train_backtest_s": time.perf_counter() - started,
    }
    return figures, candidate.model, data_end


def features_all_tenants_s(engine: Any, as_of: datetime, *, repeats: int = 3) -> float:
    """Seconds to compute every tenant's point-in-time churn features at ``as_of``.

    The feature rows the churn scoring uses (``core.models.churn.data.examples_as_of``:
    the features plus the model's extra signals), from the database, in a fresh session
    each time; the best of ``repeats`` runs (the first one also warms the page cache).
    Issue 18's target for ``python -m bench startup``: at most 1 s on the default demo
    data.
    """
    from core.models.churn.data import examples_as_of

    best = float("inf")
    for _ in range(max(repeats, 1)):
        with Session(engine) as session:
            started = time.perf_counter()
            examples_as_of(session=session, as_of=as_of)
            best = min(best, time.perf_counter() - started)
    return best


def _scoring(engine: Any, model: Any, data_end: date) -> dict[str, Any]:
    from core.models.churn.data import examples_as_of
    from core.models.churn.drivers import tenant_drivers
    from core.models.churn.registry import score_tenant

    as_of = datetime.combine(data_end, datetime.min.time())
    features_s = features_all_tenants_s(engine, as_of)
    with Session(engine) as session:
        features = examples_as_of(session=session, as_of=as_of)
    for k in range(5):  # warm-up
        score_tenant(model, features.iloc[[k]])
    samples = []
    for _ in range(3):
        for k in range(len(features)):
            started = time.perf_counter()
            score_tenant(model, features.iloc[[k]])
            samples.append(time.perf_counter() - started)
    batches = []
    for _ in range(3):
        started = time.perf_counter()
        model.predict_proba(features)
        tenant_drivers(model.explainer_, features)
        batches.append(time.perf_counter() - started)
    return {
        "score_p50_ms": float(np.percentile(samples, 50) * 1000),
        "score_p99_ms": float(np.percentile(samples, 99) * 1000),
        "batch_score_s": float(min(batches)),
        "batch_features_s": features_s,
        "tenants_scored": len(features),
    }


def _forecast(engine: Any, data_end: date) -> dict[str, Any]:
    from core.metrics.frames.forecasts import (
        DAILY_HORIZON,
        DAILY_ORIGINS,
        DAILY_STEP,
        daily_bookings_series,
    )
    from core.models.forecast.backtest import rolling_origin_backtest
    from core.models.forecast.daily import DailyBookingsForecaster
    from core.schema import RollupDay

    with Session(engine) as session:
        rows = session.execute(select(RollupDay.day, RollupDay.bookings)).all()
    if not rows:
        from core.metrics.refresh import refresh_metrics

        refresh_metrics(engine)
        with Session(engine) as session:
            rows = session.execute(select(RollupDay.day, RollupDay.bookings)).all()
    series = daily_bookings_series(
        pd.DataFrame([tuple(r) for r in rows], columns=["day", "bookings"]), data_end
    )
    _, summary = rolling_origin_backtest(
        series,
        lambda: DailyBookingsForecaster(horizon=DAILY_HORIZON, interval=0.95),
        horizon=DAILY_HORIZON,
        origins=DAILY_ORIGINS,
        step=DAILY_STEP,
    )
    # The fit's speed on 540 days (the unit tests check what it predicts, not its time).
    recent = series.iloc[-540:]
    fits = []
    for _ in range(3):
        started = time.perf_counter()
        DailyBookingsForecaster(horizon=DAILY_HORIZON, interval=0.95).fit(recent)
        fits.append(time.perf_counter() - started)
    return {
        "forecast_fit_540_days_s": float(np.median(fits)),
        "forecast_mase": summary["mase_model"],
        "naive_mase": summary["mase_naive"],
        "forecast_origins": summary["origins"],
    }


def _ltv(engine: Any, data_end: date) -> dict[str, Any]:
    try:
        from core.models.tenant_ltv_backtest import ltv_cohort_backtest
    except ImportError:
        return {
            "ltv_cohort_mape": None,
            "ltv_note": "core.models.tenant_ltv_backtest not available",
        }
    with Session(engine) as session:
        result = ltv_cohort_backtest(session, as_of=data_end)
    return {
        "ltv_cohort_mape": result["mape"],
        "ltv_cohort_wape": result.get("wape"),
        "ltv_cohorts": result.get("n_cohorts"),
    }


def run(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits

    url = args.database_url
    upgrade_database(url)
    engine = create_engine_for(url)
    with threadpool_limits(1):  # the machine is shared: one BLAS/OpenMP thread
        churn, model, data_end = _churn(engine, url, args)
        figures = {**churn, **_scoring(engine, model, data_end)}
        figures |= _forecast(engine, data_end)
        figures |= _ltv(engine, data_end)
    engine.dispose()
    figures["data_end"] = data_end.isoformat()
    shown = [
        (name, value)
        for name, value in figures.items()
        if isinstance(value, (int, float, str)) or value is None
    ]
    shown += [(name, str(figures[name])) for name in ("churn_auc_ci", "algorithms")]
    print_table("Customer-success models (default demo data)", shown)
    write_results(args.json, figures)
    return 0
