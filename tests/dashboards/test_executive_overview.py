"""Executive Overview builders against hand-computed numbers from a flat snapshot.

The flat profile (tests/snapshot_factory.py), as of 30/06/2025: the KPI windows are 28
whole days ending yesterday, current 02/06..29/06 and previous 05/05..01/06; today
(30/06) is a partial day they leave out.

- MRR at yesterday's close 2.500.000 vs 2.000.000 → "$ 2,5 M", +25,0 %
- active tenants 200 → 193 (7 churned in the previous window) → 189 (4 in the current
  one; today's churn is not counted yet): "189", -4
- bookings 12 × 28 = 336 vs 10 × 28 = 280 → +20,0 % (today's 3 left out)
- GMV 120.000 × 28 = 3.360.000 vs 2.800.000 → "$ 3,4 M", +20,0 %
- logo churn 4 / 193 = 2,07 % vs 7 / 200 = 3,5 % → -1,4 p.p. (good: inverse colour)
- no-show 2×28 / (9×28 + 2×28) = 2/11 = 18,2 % vs 1/9 = 11,1 % → +7,1 p.p.
"""

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core import formatting as fmt
from core.db import get_engine
from core.i18n import gettext
from core.metrics.registry import METRICS, TODAY_SO_FAR
from core.metrics.snapshots import load_latest_snapshot
from dashboards import executive_overview as overview
from tests import snapshot_factory as factory

AS_OF = datetime(2025, 6, 30, 14, 30)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('overview') / 'console.db'}"
    factory.make_database(url)
    factory.add_snapshot(url, AS_OF, factory.flat_daily(AS_OF.date()))
    with Session(get_engine(url)) as session:
        return load_latest_snapshot(session=session)


def with_today(snapshot, today: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The snapshot with only a "today so far" frame (what the strip reads)."""
    return type(snapshot)(
        snapshot.version,
        snapshot.created_at,
        snapshot.as_of,
        snapshot.kind,
        snapshot.kpis,
        {"today_so_far": today},
    )


def test_tiles_match_hand_computed_numbers(snapshot):
    tiles = {tile.key: tile for tile in overview.build_tiles(snapshot)}
    assert list(tiles) == ["mrr", "active_tenants", "bookings", "gmv", "logo_churn", "no_show_rate"]
    expected = {
        "mrr": ("MRR", "$ 2,5 M", "+25,0 %", "normal"),
        "active_tenants": ("Active tenants", "189", "-4", "normal"),
        "bookings": ("Bookings (28 d)", "336", "+20,0 %", "normal"),
        "gmv": ("GMV (28 d)", "$ 3,4 M", "+20,0 %", "normal"),
        "logo_churn": ("Logo churn (28 d)", "2,1 %", "-1,4 p.p.", "inverse"),
        "no_show_rate": ("No-show rate (28 d)", "18,2 %", "+7,1 p.p.", "inverse"),
    }
    # labels and help are msgids translated for the default locale (es_AR)
    window = gettext("{label} ({days} d)", "es_AR")
    for key, (label, value, delta, color) in expected.items():
        tile = tiles[key]
        name, _, days = label.partition(" (")
        label = (
            window.format(label=gettext(name, "es_AR"), days=28)
            if days
            else gettext(label, "es_AR")
        )
        assert (tile.label, tile.value, tile.delta, tile.delta_color) == (
            label,
            value,
            delta,
            color,
        ), key
        assert tile.help.startswith(gettext(METRICS[key].definition, "es_AR"))
        assert tile.delta_arrow == "auto"
    now = gettext("Now: {now} · previous {days} days: {before}", "es_AR")
    assert now.format(now="$ 2.500.000", days=28, before="$ 2.000.000") in tiles["mrr"].help


def test_unchanged_and_missing_values_are_neutral():
    flat = overview.build_tile("bookings", {"value": 300.0, "previous": 300.0}, locale="es_AR")
    assert (flat.delta, flat.delta_color, flat.delta_arrow) == ("0,0 %", "off", "off")
    missing = overview.build_tile("gmv", {"value": None, "previous": None}, locale="es_AR")
    assert (missing.value, missing.delta) == ("—", None)
    from_zero = overview.build_tile("gmv", {"value": 10.0, "previous": 0.0}, locale="es_AR")
    assert from_zero.delta is None


def test_english_tiles(snapshot):
    tiles = overview.build_tiles(snapshot, locale="en")
    assert [t.value for t in tiles] == ["ARS 2.5M", "189", "336", "ARS 3.4M", "2.1%", "18.2%"]


def test_trends_stop_at_as_of_and_show_scheduled_days_apart(snapshot):
    mrr = overview.mrr_figure(snapshot)
    assert len(mrr.data) == 1
    assert max(mrr.data[0].x) == date(2025, 6, 30)
    assert set(mrr.data[0].y) == {2_000_000.0, 2_500_000.0}
    assert mrr.layout.separators == ",."

    bookings = overview.bookings_figure(snapshot, locale="en")
    by_name = {trace.name: trace for trace in bookings.data}
    assert set(by_name) == {"Bookings", "Scheduled (upcoming)", "7-day average"}
    assert max(by_name["Bookings"].x) == date(2025, 6, 30)
    assert min(by_name["Scheduled (upcoming)"].x) == date(2025, 7, 1)
    assert list(by_name["Scheduled (upcoming)"].y) == [5] * 14
    # The average is a trailing mean up to the last complete day: a full week of 12
    # bookings gives 12; today's partial 3 is a bar, not part of the line.
    assert max(by_name["7-day average"].x) == date(2025, 6, 29)
    assert by_name["7-day average"].y[-1] == pytest.approx(12.0)


def test_movers_rank_relative_change_of_active_tenants(snapshot):
    drops, rises = overview.movers(snapshot)
    assert list(drops["tenant"]) == ["Barbería El Tano", "Spa Palermo", "Salón Lucía"]
    assert list(drops["change"]) == [-60, -100, -5]
    assert drops["change_pct"].iloc[0] == pytest.approx(-0.6)
    assert list(rises["tenant"]) == ["Estudio Nails Córdoba", "Cadena Corte Fino"]
    styled = overview.style_movers(rises).to_html()
    assert "+100,0 %" in styled and "1.300" in styled


def test_snapshot_without_frames_draws_empty_figures(snapshot):
    bare = type(snapshot)(
        snapshot.version, snapshot.created_at, snapshot.as_of, snapshot.kind, snapshot.kpis, {}
    )
    assert (
        overview.mrr_figure(bare, locale="en").layout.annotations[0].text
        == "No daily data in this snapshot"
    )
    assert overview.bookings_figure(bare).layout.annotations
    drops, rises = overview.movers(bare)
    assert drops.empty and rises.empty


# ------------------------------------------------------------- forecasts, risk, tenure


def _band(days: list[date], level: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "forecast": level,
            "lower_80": level * 0.9,
            "upper_80": level * 1.1,
            "lower_95": level * 0.8,
            "upper_95": level * 1.2,
        },
        index=range(len(days)),
    ).assign(day=days)


def test_bookings_forecast_band_starts_today(snapshot):
    today = AS_OF.date()
    days = [today - timedelta(days=1)] + [today + timedelta(days=k) for k in range(30)]
    figure = overview.bookings_figure(snapshot, locale="en", forecast=_band(days, 12.0))
    by_name = {trace.name: trace for trace in figure.data}
    assert {"Forecast", "80 % interval", "95 % interval"} <= set(by_name)
    forecast = by_name["Forecast"]
    assert len(forecast.x) == 30 and min(forecast.x).date() == today  # yesterday dropped
    # the 95 % area runs along the upper bound and back along the lower one
    assert list(by_name["95 % interval"].y[:2]) == [pytest.approx(14.4)] * 2
    assert list(by_name["95 % interval"].y[-1:]) == [pytest.approx(9.6)]


def test_mrr_forecast_fans_out_from_todays_mrr(snapshot):
    months = pd.DataFrame(
        {
            "series": ["mrr", "mrr", "mrr", "gmv"],
            "month": [date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1), date(2025, 7, 1)],
            "forecast": [2.6e6, 2.7e6, 2.8e6, 9e6],
            "lower_80": [2.5e6, 2.5e6, 2.5e6, 8e6],
            "upper_80": [2.7e6, 2.9e6, 3.1e6, 1e7],
            "lower_95": [2.4e6, 2.4e6, 2.3e6, 7e6],
            "upper_95": [2.8e6, 3.0e6, 3.3e6, 1.1e7],
        }
    )
    figure = overview.mrr_figure(snapshot, locale="en", forecast=months)
    forecast = next(trace for trace in figure.data if trace.name == "Forecast")
    # today's known MRR, then the month ends within 45 days (31/07 and 31/08... only 31/07)
    assert [d for d in forecast.x] == [date(2025, 6, 30), date(2025, 7, 31)]
    assert list(forecast.y) == [2_500_000.0, 2.6e6]
    assert overview.mrr_figure(snapshot, locale="en").layout.showlegend is False


def test_tenants_at_risk_rank_probability_times_mrr(snapshot):
    scores = pd.DataFrame(
        {
            "tenant_id": [1, 2, 3, 4],
            "churn_probability": [0.9, 0.5, 0.2, 0.99],
            "drivers_en": ["bookings fell", "", "tickets", "x"],
            "drivers_es_AR": ["cayeron los turnos", "", "tickets", "x"],
        }
    )
    tenants = snapshot.frames["tenants"]
    active = set(tenants.loc[tenants["status"] == "active", "tenant_id"])
    table = overview.tenants_at_risk(snapshot, scores, locale="es_AR")
    assert set(table["tenant_id"]) <= active
    mrr = tenants.set_index("tenant_id")["mrr_ars"]
    expected = sorted(
        (
            (p * mrr[t], t)
            for t, p in zip(scores["tenant_id"], scores["churn_probability"], strict=True)
            if t in active
        ),
        reverse=True,
    )
    assert list(table["tenant_id"]) == [t for _, t in expected]
    assert table["mrr_at_risk"].iloc[0] == pytest.approx(expected[0][0])
    assert "cayeron los turnos" in set(table["drivers"]) or 1 not in active
    assert overview.tenants_at_risk(snapshot, None) is None
    assert overview.tenants_at_risk(snapshot, scores.iloc[0:0]) is None


def test_young_tenants_do_not_rank_as_movers(snapshot):
    _drops, rises = overview.movers(snapshot)
    young = overview.movers(snapshot, min_tenure_days=400)  # everyone signed up < 400 d ago
    assert young[0].empty and young[1].empty
    assert not rises.empty


def test_texts_are_translated(snapshot):
    from core.i18n import gettext

    figure = overview.bookings_figure(snapshot, locale="es_AR")
    assert figure.layout.title.text == gettext("Bookings per day", "es_AR")
    note = overview.delta_note(date(2025, 6, 30), locale="en")
    first = fmt.format_date(date(2025, 6, 2), locale="en")
    last = fmt.format_date(date(2025, 6, 29), locale="en")
    assert note.startswith(f"Tiles cover the 28 days from {first} to {last}: whole weeks")
    assert overview.delta_note(date(2025, 6, 30), locale="es_AR").startswith(
        "Los indicadores cubren los 28 días del 02/06/2025 al 29/06/2025"
    )


def test_today_so_far_tiles_compare_with_the_same_time_last_week(snapshot):
    today = pd.DataFrame(
        {
            "key": ["today_bookings_made", "today_completed", "today_no_shows", "today_gmv"],
            "value": [57.0, 12.0, 3.0, 150_000.0],
            "previous": [45.0, 12.0, 1.0, 120_000.0],
        }
    )
    live = with_today(snapshot, today)
    tiles = {tile.key: tile for tile in overview.build_today_tiles(live, locale="es_AR")}
    assert list(tiles) == ["today_bookings_made", "today_completed", "today_no_shows", "today_gmv"]
    made = tiles["today_bookings_made"]
    assert (made.label, made.value, made.delta, made.delta_color) == (
        "Reservas hechas hoy",
        "57",
        "+12",
        "normal",
    )
    assert "Hoy: 57 · a la misma hora hace una semana: 45" in made.help
    same = tiles["today_completed"]
    assert (same.delta, same.delta_color, same.delta_arrow) == ("0", "off", "off")
    assert tiles["today_no_shows"].delta_color == "inverse"  # more no-shows is bad news
    assert tiles["today_gmv"].delta == "+25,0 %"
    assert "14:30" in overview.today_note(live, locale="es_AR")
    # A snapshot written before the figures existed shows no strip, not zeros.
    assert overview.build_today_tiles(snapshot) == []


def test_signups_and_activations_join_the_today_strip(snapshot):
    today = pd.DataFrame(
        {
            "key": list(TODAY_SO_FAR),
            "value": [57.0, 12.0, 3.0, 150_000.0, 2.0, 1.0],
            "previous": [45.0, 12.0, 1.0, 120_000.0, 0.0, 3.0],
        }
    )
    live = with_today(snapshot, today)
    tiles = {tile.key: tile for tile in overview.build_today_tiles(live, locale="es_AR")}
    assert list(tiles) == list(TODAY_SO_FAR)
    signups = tiles["today_signups"]
    # Small counts read as a difference ("+2"), never "+inf %" against last week's zero.
    assert (signups.label, signups.value, signups.delta) == ("Altas nuevas hoy", "2", "+2")
    activated = tiles["today_onboardings_activated"]
    assert (activated.value, activated.delta, activated.delta_color) == ("1", "-2", "normal")
    english = overview.build_today_tiles(live, locale="en")
    assert [tile.label for tile in english][-2:] == [
        "New signups today",
        "Onboardings activated today",
    ]
