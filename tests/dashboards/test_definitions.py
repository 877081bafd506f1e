"""The Metric definitions page's table: the whole registry, translated, searchable."""

from __future__ import annotations

from core.i18n import gettext
from core.metrics.registry import METRICS, TODAY_SO_FAR
from dashboards import definitions


def test_every_registered_metric_is_listed_once() -> None:
    table = definitions.definitions_table(locale="en")
    assert list(table.columns) == list(definitions.COLUMNS)
    assert sorted(table["key"]) == sorted([*METRICS, *TODAY_SO_FAR])
    assert table["label"].is_unique  # one label, one metric
    mrr = table.set_index("key").loc["mrr"]
    assert mrr["definition"] == METRICS["mrr"].definition
    assert (mrr["unit"], mrr["better"]) == ("Pesos (ARS)", "Higher")
    assert table.set_index("key").loc["logo_churn", "better"] == "Lower"
    window = table.set_index("key").loc["bookings", "grain"]
    assert window == "Over the 28 days up to yesterday (headline tiles)"


def test_translated_for_the_reader() -> None:
    table = definitions.definitions_table(locale="es_AR").set_index("key")
    assert table.loc["nrr", "definition"] == gettext(METRICS["nrr"].definition, "es_AR")
    assert table.loc["logo_churn", "label"] == "Bajas de logos"
    assert table.loc["logo_churn", "better"] == "Más bajo"


def test_search_matches_every_word_without_case_or_accents() -> None:
    hits = definitions.definitions_table("RETENCIÓN neta", locale="es_AR")
    assert "nrr" in set(hits["key"])
    assert all("neta" in d.casefold() for d in hits["definition"] + hits["label"])
    assert set(definitions.definitions_table("retencion", locale="es_AR")["key"]) >= {"nrr", "grr"}
    by_key = definitions.definitions_table("no_show_rate", locale="en")
    assert list(by_key["key"]) == ["no_show_rate"]
    assert definitions.definitions_table("zzz nothing", locale="en").empty
    everything = definitions.definitions_table("   ", locale="en")
    assert len(everything) == len(METRICS) + len(TODAY_SO_FAR)


def test_tile_help_names_the_period_and_the_one_before() -> None:
    from datetime import date

    from dashboards import kit

    days = kit.DayRange(date(2026, 6, 2), date(2026, 6, 29))
    tile = kit.definition_tile(
        METRICS["bookings"], 336.0, 280.0, locale="es_AR", flow=True, period=days
    )
    assert "02/06/2026–29/06/2026: 336 · 05/05/2026–01/06/2026: 280" in tile.help, tile.help
    assert tile.help.startswith(gettext(METRICS["bookings"].definition, "es_AR"))
    months = kit.MonthRange(kit.month_number(date(2026, 1, 1)), kit.month_number(date(2026, 3, 1)))
    tile = kit.definition_tile(METRICS["nrr"], 1.05, 1.0, locale="en", period=months)
    assert "01/2026–03/2026: 105.0% · 10/2025–12/2025: 100.0%" in tile.help, tile.help
    one = kit.MonthRange(months.last, months.last)
    assert kit.describe(one, locale="en") == "03/2026"
    without = kit.definition_tile(METRICS["bookings"], 1.0, 2.0, locale="en")
    assert "previous period" in without.help
