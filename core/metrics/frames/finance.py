"""Financial Operations detail tables: invoices, payment outcomes, reconciliation, jobs.

Invoices (one per tenant per month) are small and read whole. The payment and
reconciliation figures come from the finance ledger (``finance_ledger.py``: per-(tenant,
day) cells kept incrementally in their own tables); this module sums them by month,
re-summing only the (tenant, month) groups of the cells a run replaced, and adds the
scheduler's job history. The frames say from which day the history is complete, so a page
never passes a partial history off as a whole one. The metric texts shown to users live
in ``dashboards/financial_operations``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.metrics.detail_changes import Touched
from core.metrics.frames.finance_ledger import (
    CHANGE_FRAMES,
    LEDGER_MISMATCH_FRAME,
    LEDGER_RANGE_FRAME,
    MISMATCH_DAYS,
    PAYMENT_COLUMNS,
    RECON_COLUMNS,
    Ledger,
    concat_kept,
    empty_frame,
    ledger_frames,
    ledger_from_frames,
    save_ledger,
    stored_cells,
    update_ledger,
)
from core.metrics.rollups import local_day
from core.schema import Invoice, JobRun

MISMATCH_ROWS = 20_000  # newest first, so the detail snapshot stays small
JOB_WINDOW_DAYS = 30
JOB_DURATION_RUNS = 200  # a job's median duration is over its newest runs

INVOICE_COLUMNS = [
    "invoice_id",
    "tenant_id",
    "issued_on",
    "due_on",
    "paid_on",
    "amount_ars",
    "status",
    "attempts",
]


# ------------------------------------------------------------------ the frames
def _monthly(cells: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    if cells.empty:
        return empty_frame(["tenant_id", "month", *keys, *columns])
    month = pd.to_datetime(cells["day"]).dt.to_period("M").dt.to_timestamp()
    grouped = cells.assign(month=month).groupby(["tenant_id", "month", *keys], as_index=False)
    return grouped[columns].sum()


def read_invoices(*, session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            Invoice.id,
            Invoice.tenant_id,
            Invoice.issued_on,
            Invoice.due_on,
            Invoice.paid_on,
            Invoice.amount_ars,
            Invoice.status,
            Invoice.attempts,
        )
    ).all()
    frame = pd.DataFrame(rows, columns=INVOICE_COLUMNS)
    for column in ("issued_on", "due_on", "paid_on"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.astype({"amount_ars": float, "attempts": "int64"})


def job_frames(*, session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    """Per job: runs per day and status over the kept window, and a summary row."""
    from core.jobs.registry import JOBS  # lazily: the registry imports the detail machinery
    from core.queries.operations import recent_job_runs

    since = datetime.combine(as_of - timedelta(days=JOB_WINDOW_DAYS - 1), time())
    day = local_day(JobRun.started_at).label("day")
    daily = pd.DataFrame(
        session.execute(
            select(JobRun.job_id, day, JobRun.status, func.count())
            .where(JobRun.started_at >= since)
            .group_by(JobRun.job_id, day, JobRun.status)
        ).all(),
        columns=["job_id", "day", "status", "runs"],
    )
    daily["day"] = pd.to_datetime(daily["day"])
    descriptions = {spec.job_id: spec.description for spec in JOBS}
    summary = []
    for job_id in sorted(set(descriptions) | set(daily["job_id"])):
        runs = daily[daily["job_id"] == job_id]
        counts = runs.groupby("status")["runs"].sum()
        finished = int(counts.get("success", 0) + counts.get("failed", 0))
        last = session.execute(
            select(JobRun.started_at, JobRun.finished_at, JobRun.status, JobRun.error)
            .where(JobRun.job_id == job_id)
            .order_by(JobRun.started_at.desc())
            .limit(JOB_DURATION_RUNS)
        ).all()
        durations = [
            (f - s).total_seconds()
            for s, f, status, _ in last
            if f is not None and status != "skipped"
        ]
        summary.append(
            {
                "job_id": job_id,
                "description": descriptions.get(job_id, ""),
                "runs": int(counts.sum()),
                "success": int(counts.get("success", 0)),
                "failed": int(counts.get("failed", 0)),
                "skipped": int(counts.get("skipped", 0)),
                "success_rate": counts.get("success", 0) / finished if finished else np.nan,
                "median_duration_s": float(np.median(durations)) if durations else np.nan,
                "last_started_at": last[0][0] if last else pd.NaT,
                "last_status": last[0][2] if last else None,
                "last_error": next((e for _, _, s, e in last if s == "failed"), None),
            }
        )
    return {
        "finance_jobs": pd.DataFrame(summary),
        "finance_job_runs_daily": daily,
        "finance_job_runs_recent": recent_job_runs(session=session, limit=100),
    }


def monthly_sums(
    conn: Connection,
    ledger: Ledger,
    part: str,
    previous: pd.DataFrame | None,
) -> pd.DataFrame:
    """The monthly sums of a ledger part (``payments`` by method, or ``recon``).

    From scratch for a new ledger; else the previous run's sums with only the
    (tenant, month) groups of the replaced cells recomputed, from their stored cells
    and the fresh ones.
    """
    keys = ["method"] if part == "payments" else []
    columns = PAYMENT_COLUMNS[3:] if part == "payments" else RECON_COLUMNS[2:]
    fresh: pd.DataFrame = getattr(ledger, part)
    replaced = ledger.replaced[part]
    order = ["tenant_id", "month", *keys]
    groups: dict[date, set[int] | None] | None = None  # None: every group
    if ledger.reset:
        cells = fresh
    elif previous is not None and not replaced:
        return previous
    else:
        groups = None if previous is None else replaced.groups()
        stored = stored_cells(conn, part, groups)
        cells = concat_kept(stored, ~replaced.mask(stored), [fresh])
    # Cells in a fixed order, so sums updated in place equal sums built from scratch.
    cells = cells.sort_values(["tenant_id", "day", *keys], ignore_index=True)
    sums = _monthly(cells, keys, columns)
    if previous is None or groups is None:
        return sums
    months = pd.to_datetime(previous["month"])
    redone = np.zeros(len(previous), dtype=bool)
    for month, tenants in groups.items():
        in_month = np.asarray(months == pd.Timestamp(month))
        if tenants is not None:
            in_month = in_month & np.asarray(previous["tenant_id"].isin(sorted(tenants)))
        redone = redone | in_month
    merged = concat_kept(previous, ~redone, [sums])
    return merged.sort_values(order, ignore_index=True)[list(sums.columns)]


def finance_frames(
    session: Session,
    as_of: date,
    ledger: Ledger,
    previous: dict[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """The page's frames derived from a ledger (and the previous run's monthly sums),
    plus the ledger's own frames (private, and the changes ``save_ledger`` writes)."""
    since = pd.Timestamp(as_of - timedelta(days=MISMATCH_DAYS))
    # Older mismatches are never listed again (the window only moves forward): the stored
    # ledger keeps the listed window only (a few percent of the history's rows).
    ledger.mismatches = ledger.mismatches[pd.to_datetime(ledger.mismatches["day"]) >= since]
    ledger.mismatches = ledger.mismatches.sort_values("booking_id", ignore_index=True)
    mismatches = ledger.mismatches.sort_values(["day", "booking_id"], ascending=False)
    mismatches = mismatches.head(MISMATCH_ROWS)
    coverage = pd.DataFrame(
        {
            "covered_from": [pd.Timestamp(ledger.covered_from)],
            "covered_to": [pd.Timestamp(ledger.covered_to - timedelta(days=1))],
            "complete": [ledger.complete],
            "mismatches_from": [since],
        }
    )
    previous = previous or {}
    conn = session.connection()
    return {
        "finance_invoices": read_invoices(session=session),
        "finance_payments_monthly": monthly_sums(
            conn, ledger, "payments", previous.get("finance_payments_monthly")
        ),
        "finance_reconciliation_monthly": monthly_sums(
            conn, ledger, "recon", previous.get("finance_reconciliation_monthly")
        ),
        "finance_mismatches": mismatches.reset_index(drop=True),
        "finance_coverage": coverage,
        **job_frames(session=session, as_of=as_of),
        **ledger_frames(ledger),
    }


def compute_finance(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    """Every finance frame from a new ledger (history beyond the budget comes later)."""
    return finance_frames(session, as_of, update_ledger(session, as_of))


def update_finance(
    session: Session, as_of: date, previous: dict[str, pd.DataFrame], touched: Touched
) -> dict[str, pd.DataFrame]:
    """Every finance frame from the stored ledger and the tenant-days touched since."""
    ledger = update_ledger(session, as_of, ledger=ledger_from_frames(previous), touched=touched)
    return finance_frames(session, as_of, ledger, previous)


PROVIDERS = [
    FrameProvider(
        name="finance",
        frames=(
            "finance_invoices",
            "finance_payments_monthly",
            "finance_reconciliation_monthly",
            "finance_mismatches",
            "finance_coverage",
            "finance_jobs",
            "finance_job_runs_daily",
            "finance_job_runs_recent",
            LEDGER_RANGE_FRAME,
            LEDGER_MISMATCH_FRAME,
        ),
        compute=compute_finance,
        update=update_finance,
        save=save_ledger,
        saved_frames=tuple(CHANGE_FRAMES.values()),
        full_on_new_day=False,  # update_ledger turns the day (yesterday is reconciled)
        description="Invoices, payment outcomes by method, payments-vs-bookings "
        "reconciliation (incremental per tenant-day ledger) and scheduler job history.",
    )
]
