"""The finance ledger (issue 18): per-(tenant, day) payment and reconciliation cells.

The Financial Operations detail tables are monthly sums of these cells. An incremental
run of the finance provider (``core/metrics/frames/finance.py``) deletes and re-inserts
only the cells it recomputed, in the same transaction as the detail snapshot that holds
the monthly sums and the marks they are up to date with, so the cells, the sums and the
marks cannot drift apart. Storing them here instead of inside every detail snapshot
keeps a snapshot small: a run writes the cells it changed, not the whole history.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.base import Base

__all__ = ["FinancePaymentCell", "FinanceReconciliationCell"]


class FinancePaymentCell(Base):
    """Payment outcomes of one tenant, local day (of ``created_at``) and method."""

    __tablename__ = "console_finance_payment_cells"

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    method: Mapped[str] = mapped_column(String(12), primary_key=True)
    payments: Mapped[int] = mapped_column(Integer)
    approved: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    pending: Mapped[int] = mapped_column(Integer)
    refunded: Mapped[int] = mapped_column(Integer)
    approved_ars: Mapped[float] = mapped_column(Float)


class FinanceReconciliationCell(Base):
    """Payments-vs-bookings reconciliation of one tenant's bookings starting on one day."""

    __tablename__ = "console_finance_reconciliation_cells"

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    completed: Mapped[int] = mapped_column(Integer)
    completed_ars: Mapped[float] = mapped_column(Float)
    paid_ars: Mapped[float] = mapped_column(Float)
    unpaid: Mapped[int] = mapped_column(Integer)
    amount_differs: Mapped[int] = mapped_column(Integer)
    paid_not_completed: Mapped[int] = mapped_column(Integer)
    paid_not_completed_ars: Mapped[float] = mapped_column(Float)
