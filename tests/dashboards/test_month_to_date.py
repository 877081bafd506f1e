"""Month to date (issue 13): a partial current month is labelled so, compares with the
same days of the month before where the data has days, and is marked on monthly charts."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import pytest

from core.metrics.frames.subscriptions import tenant_month_mrr
from core.metrics.registry import METRICS
from dashboards import kit
from dashboards import revenue_subscriptions as revenue
from dashboards.filters import Filters
from dashboards.kit import DayRange, MonthRange
from tests.dashboards.test_revenue_subscriptions import hand_frames

DEC = 2026 * 12 + 11  # month index of 12/2026


def test_a_month_to_date_of_days_compares_with_the_same_days_before():
    period = DayRange(date(2026, 12, 1), date(2026, 12, 6))
    assert period.is_month_to_date
    assert period.previous == DayRange(date(2026, 11, 1), date(2026, 11, 6))
    # days 1..30 of March: February has 28, so its days 1..28
    march = DayRange(date(2026, 3, 1), date(2026, 3, 30))
    assert march.previous == DayRange(date(2026, 2, 1), date(2026, 2, 28))
    # a whole month and a range of weeks keep "as many days just before"
    whole = DayRange(date(2026, 11, 1), date(2026, 11, 30))
    assert not whole.is_month_to_date
    assert whole.previous == DayRange(date(2026, 10, 2), date(2026, 10, 31))
    weeks = DayRange(date(2026, 11, 9), date(2026, 12, 6))
    assert weeks.previous == DayRange(date(2026, 10, 12), date(2026, 11, 8))


def test_month_to_date_is_named_so():
    period = DayRange(date(2026, 12, 1), date(2026, 12, 6))
    assert kit.describe(period, locale="en") == "12/2026 (month to date, 1–6)"
    assert kit.describe(period, locale="es_AR") == "12/2026 (mes en curso, 1–6)"
    # the days compared with are a past month's: named by their dates
    previous = kit.describe(period.previous, locale="es_AR", to_date=False)
    assert previous == "01/11/2026–06/11/2026"
    tile = kit.definition_tile(METRICS["bookings"], 60, 50, locale="es_AR", period=period)
    assert "12/2026 (mes en curso, 1–6): 60 · 01/11/2026–06/11/2026: 50" in tile.help
    span = DayRange(date(2026, 7, 6), date(2026, 12, 6)).month_span()
    assert span == MonthRange(DEC - 5, DEC, through=6)
    assert kit.describe(span, locale="en") == "07/2026–12/2026 (month to date, 1–6)"
    # monthly data has no days: the months before are whole, and named so
    assert span.previous == MonthRange(DEC - 11, DEC - 6)
    assert kit.describe(span.previous, locale="en") == "01/2026–06/2026"
    assert DayRange(date(2026, 7, 6), date(2026, 11, 30)).month_span().through is None


@pytest.mark.parametrize(
    ("end", "as_of", "through"),
    [
        (date(2026, 12, 6), date(2026, 12, 7), 6),  # default: ends yesterday, inside December
        (date(2026, 11, 30), date(2026, 12, 1), None),  # on the 1st, November is complete
        (date(2026, 12, 31), date(2026, 12, 7), 7),  # a range past today is cut at as-of
        (date(2026, 10, 15), date(2026, 12, 7), None),  # a past month is whole data
    ],
)
def test_month_range_marks_the_current_month_to_date(end, as_of, through):
    period = kit.month_range(Filters(start=date(2026, 7, 1), end=end), as_of=as_of)
    assert period is not None and period.through == through
    assert (period.month_to_date is None) == (through is None)


def test_a_level_to_date_is_the_level_on_the_last_complete_day():
    period = MonthRange(DEC, DEC, through=6)
    assert period.through_day == date(2026, 12, 6)
    assert kit.level_to_date_note(period, locale="en") == (
        "Month to date: the level on 2026-12-06, the last complete day, not at the end of "
        "the month."
    )
    assert kit.level_to_date_note(MonthRange(DEC, DEC), locale="en") == ""


def test_the_month_to_date_is_marked_on_a_monthly_chart():
    months = [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
    figure = go.Figure()
    figure.add_bar(x=months, y=[10, 12, 3], hovertemplate="%{y}<extra>New</extra>")
    figure.add_scatter(x=months, y=[1, 2, 3], hovertemplate="%{y}<extra>Net</extra>")
    kit.mark_month_to_date(
        figure, MonthRange(DEC, DEC, through=6).month_to_date, through=6, locale="en"
    )
    bar, line = figure.data
    assert list(bar.marker.opacity) == [1.0, 1.0, kit.figures.MONTH_TO_DATE_OPACITY]
    assert list(bar.hovertemplate) == [
        "%{y}<extra>New</extra>",
        "%{y}<extra>New</extra>",
        "%{y} · month to date, 1–6<extra>New</extra>",
    ]
    assert list(line.marker.symbol) == ["circle", "circle", "circle-open"]
    assert figure.layout.shapes and figure.layout.annotations[0].text == "month to date, 1–6"
    # a whole last month: nothing to mark
    plain = go.Figure()
    plain.add_bar(x=months, y=[10, 12, 3])
    kit.mark_month_to_date(plain, None, through=None, locale="en")
    assert plain.data[0].marker.opacity is None and not plain.layout.shapes


def test_revenue_tiles_of_a_month_to_date_by_hand():
    """The hand case read on 15/04/2025 with April 1–14 chosen: April is to date. MRR on
    the as-of day is 1200 + 5000 + 1000 + 800 + 2600 = 10 600 (nothing changed in April),
    the same as at the end of March, the month it is compared with."""
    subscriptions, tenants = hand_frames()
    as_of = date(2025, 4, 15)
    frame = tenant_month_mrr(subscriptions, as_of)
    filters = Filters(start=date(2025, 4, 1), end=date(2025, 4, 14))
    view = revenue.build_view(frame, tenants, filters, as_of=as_of, locale="en")
    tiles = {t.key: t for t in view.tiles or []}
    assert tiles["mrr"].value == "ARS 10.6K" and tiles["mrr"].delta == "0.0%"
    mrr_help = tiles["mrr"].help
    assert "04/2025 (month to date, 1–14): ARS 10,600 · 03/2025: ARS 10,600" in mrr_help
    assert "the level on 2025-04-14, the last complete day" in mrr_help
    assert "ARS 127,200" in tiles["arr"].help  # 12 × 10 600
    assert "the level on" not in tiles["quick_ratio"].help  # a flow: no "level" note
    assert "04/2025 (month to date, 1–14)" in tiles["quick_ratio"].help
    # March 1 – April 14 against January–February: MRR at the end of February is
    # 1000 + 3000 + 2000 + 1500 = 7 500 (tenant 6 stopped on 1 February): +41.3 %
    spring = Filters(start=date(2025, 3, 1), end=date(2025, 4, 14))
    view = revenue.build_view(frame, tenants, spring, as_of=as_of, locale="en")
    tiles = {t.key: t for t in view.tiles or []}
    assert tiles["mrr"].delta == "+41.3%"
    assert "03/2025–04/2025 (month to date, 1–14): ARS 10,600 · 01/2025–02/2025: ARS 7,500" in (
        tiles["mrr"].help
    )
    bars = [t for t in view.movements.data if t.type == "bar"]
    assert bars and all(list(t.marker.opacity) == [1.0, 0.45] for t in bars)
    # a period of whole months: no month-to-date label anywhere
    whole = revenue.build_view(
        frame, tenants, Filters(start=date(2025, 3, 1), end=date(2025, 3, 31)), as_of=as_of,
        locale="en",
    )  # fmt: skip
    assert all("month to date" not in t.help for t in whole.tiles or [])
