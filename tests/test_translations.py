"""Every user-visible string has a Spanish (Argentina) translation that keeps its
placeholders, and switching the language changes what pages say."""

from core.i18n import gettext, normalize_locale, translator
from core.i18n_catalog import load_catalog, placeholders, source_messages, split_key


def test_every_source_message_is_translated_into_spanish():
    catalog = load_catalog("es_AR")
    missing = [
        key
        for key in source_messages()
        if catalog.get(*split_key(key)) is None or not catalog.get(*split_key(key)).string
    ]
    assert not missing, (
        f"{len(missing)} untranslated (run `make i18n`, then translate): {missing[:10]}"
    )


def test_translations_keep_their_placeholders():
    catalog = load_catalog("es_AR")
    broken = [
        message.id
        for message in catalog
        if message.id
        and message.string
        and placeholders(message.id) != placeholders(message.string)
    ]
    assert not broken, broken[:10]


def test_english_is_the_source_and_unknown_locales_fall_back_to_spanish():
    assert gettext("Period", "en") == "Period"
    assert normalize_locale("EN-us") == "en"
    assert normalize_locale("pt_BR") == "es_AR"
    assert normalize_locale(None) == "es_AR"
    assert translator("es-AR")("Period") == gettext("Period", "es_AR")
