"""Definitions of the bookings detail tables that pages and dashboards name. Pure, no SQL.

The provider (``core.metrics.frames.bookings``) computes with them; the Bookings & Demand
and Operational Efficiency dashboards order and explain its tables with them.
"""

from __future__ import annotations

REBOOK_DAYS = 45  # a completed visit counts as rebooked when the next one starts within this
# Lead time = calendar days from the day a booking was made to the day it starts.
LEAD_BUCKETS = ("same_day", "1_2_days", "3_7_days", "8_14_days", "15_plus_days")
