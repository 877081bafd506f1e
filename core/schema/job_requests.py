"""Runs of scheduler jobs asked for on demand (the API's ``POST /api/t11/execute``).

``console_job_requests``: one row per request, written by ``core.jobs.on_demand``'s
command (queued), claimed by a scheduler (running), and settled from the
``console_job_runs`` row that ran it (succeeded, failed or skipped). The outcome is
copied onto the request, so it stays readable after old job runs are pruned.

``active_job_id`` is the job's id while the request is queued or running and NULL once
it is settled: its unique key makes a second request for a job already asked for
impossible, on both backends, even from two API processes at the same instant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.base import Base

__all__ = ["JobRunRequest"]


class JobRunRequest(Base):
    __tablename__ = "console_job_requests"
    __table_args__ = (Index("ix_console_job_requests_status", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The registry's id (``backup_nightly``), and the name the caller used (``backup``).
    job_id: Mapped[str] = mapped_column(String(60))
    requested_as: Mapped[str] = mapped_column(String(60))
    requested_by: Mapped[int] = mapped_column(ForeignKey("console_users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    # queued, running, succeeded, failed, skipped
    status: Mapped[str] = mapped_column(String(12))
    active_job_id: Mapped[str | None] = mapped_column(String(60), unique=True, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The run that did the work; no foreign key: old runs are pruned, requests are kept.
    job_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # True when the request joined a run already in progress instead of starting one.
    attached: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    rows_touched: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The failed run's one-line error, or why a skipped one did nothing.
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    skip_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
