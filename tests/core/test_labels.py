"""The one label table: every enumerated code of the schema reads as a label in both
languages, and one English word keeps its two Spanish meanings apart."""

from __future__ import annotations

import pytest

from core.labels import LABELS, VOCABULARY_KINDS, code_label, kind_of


@pytest.mark.parametrize("kind", sorted(VOCABULARY_KINDS))
def test_every_code_of_the_schema_has_a_label_in_both_languages(kind):
    for code in VOCABULARY_KINDS[kind]:
        english = code_label(kind, code, "en")
        spanish = code_label(kind, code, "es_AR")
        assert english != code and spanish != code, (kind, code)


def test_every_label_is_translated_into_spanish():
    same = {
        (kind, code)
        for kind, codes in LABELS.items()
        for code in codes
        if code_label(kind, code, "es_AR") == code_label(kind, code, "en")
    }
    # Brand names, tier names and words Spanish borrows read the same in both languages.
    borrowed = {"WhatsApp", "Instagram", "Mercado Pago", "Spa", "Web", "App", "Influencer"}
    tiers = {"Starter", "Pro", "Enterprise", "Premium"}
    assert {code_label(k, c, "en") for k, c in same} <= borrowed | tiers


def test_one_english_word_two_spanish_ones():
    assert code_label("booking_status", "cancelled", "es_AR") == "Cancelada"
    assert code_label("payment_status", "cancelled", "es_AR") == "Cancelado"
    assert code_label("invoice_status", "open", "es_AR") == "Pendiente de pago"
    assert code_label("alert_status", "open", "es_AR") == "Abierta"
    assert code_label("invoice_status", "open", "en") == "Open"


def test_all_reads_as_a_label_and_unknown_codes_stay_as_they_are():
    assert code_label("tier", "all", "es_AR") == "Todos"
    assert code_label("tier", "all", "en") == "All"
    assert code_label("tier", "platinum", "es_AR") == "platinum"


def test_a_columns_kind_by_its_name_or_by_the_one_kind_its_codes_fit():
    assert kind_of("vertical", ["spa"]) == "vertical"
    assert kind_of("status", ["paid", "written_off"]) == "invoice_status"
    assert kind_of("status", ["open"]) is None  # an invoice's or an alert's
    assert kind_of("tier", ["all", "pro"]) == "tier"
    assert kind_of("cohort", ["all", "2026-06"]) == "any"
    assert kind_of("tenant", ["Barbería Sur"]) is None
