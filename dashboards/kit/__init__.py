"""The dashboard kit: tiles, values by unit, deltas, periods, legends, tenant selection
and the appointment outcomes of a period's days, one implementation each (the delta rule
is in ``tiles``). Dashboards import this, ``filters``, ``theme``, ``links`` and pure
``core`` modules, never each other.
"""

from dashboards.kit.figures import (
    accuracy_note,
    add_band,
    legend_below,
    mark_month_to_date,
    room_for_legend,
)
from dashboards.kit.outcomes import (
    OUTCOME_RATES,
    daily_totals,
    outcome_rates,
    outcome_sums,
)
from dashboards.kit.periods import (
    DayRange,
    MonthRange,
    day_range,
    describe,
    last_complete_day,
    level_to_date_note,
    month_number,
    month_range,
)
from dashboards.kit.selection import (
    NO_DATA,
    active_on,
    keep_tenants,
    no_data_reason,
    no_tenant_month_data,
    tenant_ids,
    tenant_months_for,
)
from dashboards.kit.tiles import (
    PREVIOUS_PERIOD,
    Delta,
    Tile,
    definition_tile,
    delta,
    delta_color,
    format_minutes,
    format_value,
    metric_tile,
    now_and_before,
    ratio,
    tile,
)

__all__ = [
    "NO_DATA",
    "OUTCOME_RATES",
    "PREVIOUS_PERIOD",
    "DayRange",
    "Delta",
    "MonthRange",
    "Tile",
    "accuracy_note",
    "active_on",
    "add_band",
    "daily_totals",
    "day_range",
    "definition_tile",
    "delta",
    "delta_color",
    "describe",
    "format_minutes",
    "format_value",
    "keep_tenants",
    "last_complete_day",
    "legend_below",
    "level_to_date_note",
    "mark_month_to_date",
    "metric_tile",
    "month_number",
    "month_range",
    "no_data_reason",
    "no_tenant_month_data",
    "now_and_before",
    "outcome_rates",
    "outcome_sums",
    "ratio",
    "room_for_legend",
    "tenant_ids",
    "tenant_months_for",
    "tile",
]
