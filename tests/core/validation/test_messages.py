"""The message catalog: both languages, one sentence each, naming the field at fault."""

from __future__ import annotations

import ast
import pickle
import re
import string
from pathlib import Path

import pytest

import core.validation
from core.validation import ValidationError, validate_cuit
from core.validation.messages import FIELD_LABELS, MESSAGES, TERMS, field_label
from tests.core.validation.cases import ALL_ERRORS, ErrorCase, ids

LOCALES = ["es_AR", "en"]
# A sentence ends at . ! ? followed by a space and a capital; "S.A., S.R.L." does not.
SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-ZÁÉÍÓÚÑ¿¡]")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_both_languages_have_the_same_placeholders(code):
    english, spanish = MESSAGES[code]
    assert english != spanish
    assert placeholders(english) == placeholders(spanish)


@pytest.mark.parametrize("key", sorted(TERMS))
def test_terms_have_the_same_placeholders(key):
    english, spanish = TERMS[key]
    assert placeholders(english) == placeholders(spanish)


def test_every_code_is_reached_by_a_case():
    reached = {case.code for case in ALL_ERRORS} | {"locale_unsupported"}
    assert reached == set(MESSAGES)


def test_every_field_has_a_label_and_a_case():
    assert {case.field for case in ALL_ERRORS} | {"locale"} == set(FIELD_LABELS)


def check_message(error: ValidationError, lang: str) -> None:
    text = error.message
    assert text == str(error)
    assert text[0].isupper() and text.endswith("."), text
    assert not text.endswith(".."), text
    assert SENTENCE_BREAK.search(text) is None, f"more than one sentence: {text}"
    assert "{" not in text and "}" not in text, text
    assert "\n" not in text
    assert len(text) <= 200, text
    label = field_label(error.field, lang)
    assert label.casefold() in text.casefold(), f"{text!r} does not mention {label!r}"


@pytest.mark.parametrize("case", ALL_ERRORS, ids=ids(ALL_ERRORS))
def test_message_quality_in_both_languages(case: ErrorCase):
    messages = {}
    for locale in LOCALES:
        with pytest.raises(ValidationError) as caught:
            case.call(locale)
        check_message(caught.value, "es" if locale == "es_AR" else "en")
        messages[locale] = caught.value.message
    assert messages["es_AR"] != messages["en"]


@pytest.mark.parametrize("locale", ["es_AR", "es-AR", "es", "ES_ar", "es_ES"])
def test_spanish_locales(locale):
    with pytest.raises(ValidationError, match=r"^El CUIT debe tener 11 dígitos"):
        validate_cuit("123", locale=locale)


@pytest.mark.parametrize("locale", ["en", "en_US", "en-GB", "EN"])
def test_english_locales(locale):
    with pytest.raises(ValidationError, match=r"^The CUIT must have 11 digits"):
        validate_cuit("123", locale=locale)


@pytest.mark.parametrize("locale", ["fr", "pt_BR", "", None, 5, b"es"])
def test_unsupported_locale_is_a_validation_error_in_english(locale):
    with pytest.raises(ValidationError) as caught:
        validate_cuit("20-12345678-6", locale=locale)
    assert (caught.value.code, caught.value.field) == ("locale_unsupported", "locale")
    check_message(caught.value, "en")


def test_validation_error_is_a_value_error_and_survives_pickling():
    with pytest.raises(ValueError) as caught:
        validate_cuit("20-12345678-5", locale="en")
    error = caught.value
    assert isinstance(error, ValidationError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.field, copy.message, copy.params) == (
        error.code,
        error.field,
        error.message,
        error.params,
    )
    assert "cuit_check_digit" in repr(error)


def test_no_streamlit_and_no_database_below_validation():
    package = Path(core.validation.__file__).parent
    forbidden = {"streamlit", "sqlalchemy", "core.db", "core.schema", "psycopg", "sqlite3"}
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in forbidden), (
                    f"{path.name} imports {name}"
                )
