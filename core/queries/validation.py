"""The latest data-quality and model-validation results, from what the jobs stored.

Nothing is recomputed here (the API answers it in milliseconds):

* ``data_quality``: the platform data-quality checks of the newest detail snapshot
  (``platform_data_quality``, run by the detail job at most hourly);
* ``incremental_vs_full_rebuild``: the newest restore drill (``drills.jsonl`` in the
  backup folder): the KPIs rebuilt from the backup's raw rows by a full rebuild,
  compared with those of the incrementally maintained snapshot the backup recorded;
* ``churn_backtest.promoted`` / ``churn_backtest.latest``: the backtest metrics stored
  with the promoted churn model and with the newest candidate, judged by the promotion
  rule (``core.models.churn.registry``), whose decision is stored with each;
* ``forecast_mase.<series>``: each forecast's rolling-origin backtest (model MASE vs the
  seasonal-naive MASE), stored in the newest detail snapshot's ``forecast_accuracy``.

A result that does not exist yet is answered with null values, ``passed`` None and a
note saying why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.backup.manifest import DRILLS_FILE, last_drill
from core.config import Settings
from core.i18n import N_
from core.metrics.snapshots import DETAIL_KIND, frame_from_bytes, latest_detail_version
from core.models.churn.registry import PROMOTION_AUC_TOLERANCE, promoted_version
from core.schema import MetricSnapshot, SnapshotFrame
from core.schema.churn_models import ChurnModelVersion

QUALITY_FRAME = "platform_data_quality"
ACCURACY_FRAME = "forecast_accuracy"
# Stored promotion decisions that mean the candidate passed the rule.
PROMOTED_REASONS = ("first_model", "not_worse", "replaces_unusable")
FORECAST_SERIES = ("bookings", "mrr", "gmv")
FORECAST_NAME = N_("Forecast of {series}: MASE vs the naive forecast")

DATA_QUALITY_RULE = N_("Every platform data-quality check finds zero offending rows.")
REBUILD_RULE = N_(
    "The weekly restore drill: every KPI rebuilt from the backup's raw rows (full rebuild) "
    "equals the incrementally maintained snapshot's."
)
CHURN_RULE = N_(
    "Backtest Brier score below the base-rate Brier, and ROC AUC not lower than the "
    "promoted model's by more than {tolerance}."
)
FORECAST_RULE = N_("Backtest MASE of the model below the seasonal-naive forecast's MASE.")
NO_DETAIL = N_("No detail snapshot yet: the dashboard_frames job has not run.")
NO_DRILL = N_("No restore drill recorded yet in the backup folder.")
NO_MODEL = N_("No churn model trained yet.")
NO_FORECAST = N_("This forecast has no backtest yet.")


@dataclass(frozen=True)
class ValidationResult:
    """One stored result: its figures, the rule it is judged by and the verdict.

    ``name``, ``rule`` and ``note`` are msgids; ``params`` fill the placeholders of the
    name and the rule.
    """

    id: str
    name: str
    values: dict[str, Any] | None
    rule: str
    passed: bool | None
    measured_at: datetime | None
    note: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def validation_inputs(*, session: Session, settings: Settings) -> tuple[Any, ...]:
    """What :func:`validation_results` derives from, as a key that changes when it does.

    The newest detail snapshot's version, the newest and the promoted churn model's
    versions (one statement of three indexed lookups), and the drill file's
    modification time and size: a reader can keep the results until one of them changes.

    Parameters
    ----------
    session
        A read session.
    settings
        The console's settings (where the backup folder and its drills are).
    """
    versions = session.execute(
        select(
            select(func.max(MetricSnapshot.version))
            .where(MetricSnapshot.kind == DETAIL_KIND)
            .scalar_subquery(),
            select(func.max(ChurnModelVersion.version)).scalar_subquery(),
            select(func.max(ChurnModelVersion.version))
            .where(ChurnModelVersion.promoted.is_(True))
            .scalar_subquery(),
        )
    ).one()
    try:
        drills = (settings.backups_dir / DRILLS_FILE).stat()
        drill_key: tuple[int, int] | None = (drills.st_mtime_ns, drills.st_size)
    except OSError:
        drill_key = None
    return (*versions, drill_key)


def validation_results(*, session: Session, settings: Settings) -> list[ValidationResult]:
    """Every validation result the console stored, newest of each kind.

    Parameters
    ----------
    session
        A read session.
    settings
        The console's settings (where the backup folder and its drills are).

    Returns
    -------
    list of ValidationResult
        Data quality, incremental vs full rebuild, the promoted and the latest churn
        model's backtest, each forecast's MASE against the naive forecast.
    """
    detail = _detail_frames(session, (QUALITY_FRAME, ACCURACY_FRAME))
    return [
        _data_quality(detail),
        _rebuild(settings),
        *_churn(session),
        *_forecasts(detail),
    ]


@dataclass(frozen=True)
class _Detail:
    created_at: datetime | None
    frames: dict[str, pd.DataFrame]


def _detail_frames(session: Session, names: tuple[str, ...]) -> _Detail:
    version = latest_detail_version(session=session)
    if version is None:
        return _Detail(None, {})
    created_at = session.scalar(
        select(MetricSnapshot.created_at).where(MetricSnapshot.version == version)
    )
    rows = session.execute(
        select(SnapshotFrame.name, SnapshotFrame.data).where(
            SnapshotFrame.version == version, SnapshotFrame.name.in_(names)
        )
    ).all()
    return _Detail(created_at, {name: frame_from_bytes(data) for name, data in rows})


def _data_quality(detail: _Detail) -> ValidationResult:
    frame = detail.frames.get(QUALITY_FRAME)
    if frame is None or frame.empty:
        return ValidationResult(
            "data_quality",
            N_("Platform data quality"),
            None,
            DATA_QUALITY_RULE,
            None,
            None,
            NO_DETAIL,
        )
    failing = frame[frame["status"] != "ok"]
    checked = pd.to_datetime(frame["checked_at"], errors="coerce").dropna()
    return ValidationResult(
        "data_quality",
        N_("Platform data quality"),
        {
            "checks": len(frame),
            "failing": len(failing),
            "offending_rows": int(failing["count"].sum()),
            "failing_checks": sorted(str(check) for check in failing["check_id"]),
        },
        DATA_QUALITY_RULE,
        failing.empty,
        checked.max().to_pydatetime() if not checked.empty else detail.created_at,
    )


def _rebuild(settings: Settings) -> ValidationResult:
    drill = last_drill(settings.backups_dir)
    if drill is None:
        return ValidationResult(
            "incremental_vs_full_rebuild",
            N_("Incremental snapshot vs full rebuild"),
            None,
            REBUILD_RULE,
            None,
            None,
            NO_DRILL,
        )
    mismatched = sorted(name for name, (kept, rebuilt) in drill.kpis.items() if kept != rebuilt)
    return ValidationResult(
        "incremental_vs_full_rebuild",
        N_("Incremental snapshot vs full rebuild"),
        {
            "backup": drill.backup,
            "kpis_compared": len(drill.kpis),
            "mismatched": mismatched,
            "kpis": {
                name: {"snapshot": kept, "rebuilt": rebuilt}
                for name, (kept, rebuilt) in drill.kpis.items()
            },
            "error": drill.error,
        },
        REBUILD_RULE,
        drill.passed,
        drill.at,
    )


def _churn(session: Session) -> list[ValidationResult]:
    latest = session.scalars(
        select(ChurnModelVersion).order_by(ChurnModelVersion.version.desc()).limit(1)
    ).first()
    promoted = promoted_version(session=session)
    params = {"tolerance": PROMOTION_AUC_TOLERANCE}
    results = []
    for result_id, name, row in (
        ("churn_backtest.promoted", N_("Churn model: the promoted one"), promoted),
        ("churn_backtest.latest", N_("Churn model: the latest candidate"), latest),
    ):
        if row is None:
            results.append(
                ValidationResult(result_id, name, None, CHURN_RULE, None, None, NO_MODEL, params)
            )
            continue
        metrics = row.metrics or {}
        decision = metrics.get("promotion") or {"reason": row.promotion_note}
        results.append(
            ValidationResult(
                result_id,
                name,
                {
                    "version": row.version,
                    "algorithm": row.algorithm,
                    "promoted": bool(row.promoted),
                    "roc_auc": _metric(metrics, "roc_auc"),
                    "brier": _metric(metrics, "brier"),
                    "brier_baseline": _metric(metrics, "brier_baseline"),
                    "decision": decision.get("reason"),
                    "compared_with_version": decision.get("previous_version"),
                    "compared_with_auc": decision.get("previous_auc"),
                },
                CHURN_RULE,
                decision.get("reason") in PROMOTED_REASONS,
                row.trained_at,
                None,
                params,
            )
        )
    return results


def _metric(metrics: dict[str, Any], name: str) -> float | None:
    value = (metrics.get(name) or {}).get("value")
    return _number(value)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _forecasts(detail: _Detail) -> list[ValidationResult]:
    frame = detail.frames.get(ACCURACY_FRAME)
    rows = {} if frame is None else {str(row["series"]): row for _, row in frame.iterrows()}
    results = []
    for series in sorted(set(FORECAST_SERIES) | set(rows)):
        row = rows.get(series)
        model = _number(row["mase_model"]) if row is not None else None
        naive = _number(row["mase_naive"]) if row is not None else None
        if row is None or model is None or naive is None:
            note = NO_DETAIL if frame is None else NO_FORECAST
            values = None if row is None else {"note": str(row.get("note") or "")}
            results.append(
                ValidationResult(
                    f"forecast_mase.{series}",
                    FORECAST_NAME,
                    values,
                    FORECAST_RULE,
                    None,
                    detail.created_at if row is not None else None,
                    note,
                    {"series": series},
                )
            )
            continue
        results.append(
            ValidationResult(
                f"forecast_mase.{series}",
                FORECAST_NAME,
                {
                    "mase_model": model,
                    "mase_naive": naive,
                    "origins": int(row["origins"]),
                    "horizon": int(row["horizon"]),
                    "method": str(row["method"]),
                },
                FORECAST_RULE,
                model < naive,
                detail.created_at,
                None,
                {"series": series},
            )
        )
    return results
