"""The JSON API's per-token write limit (issue 17): one counter per token per window.

``console_api_rate_windows`` holds, for each API token, how many writes it made in a
fixed window (a minute by default) starting at ``window_start``. One atomic UPSERT
counts a write (``core.auth.api_rate_limits``), so every API process and replica on the
database shares one count; windows that ended are pruned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.base import Base

__all__ = ["ApiRateWindow"]


class ApiRateWindow(Base):
    __tablename__ = "console_api_rate_windows"

    token_id: Mapped[int] = mapped_column(
        ForeignKey("console_api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    # Naive local time, aligned to the window's length (core.clock).
    window_start: Mapped[datetime] = mapped_column(DateTime, primary_key=True, index=True)
    writes: Mapped[int] = mapped_column(Integer, nullable=False)
