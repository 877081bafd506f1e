"""ValidationError is a DomainError whose message is already rendered: never formatted again."""

from __future__ import annotations

import pickle

import pytest

from core.errors import DomainError
from core.validation import ValidationError, validate_cuit
from core.validation.errors import fail
from core.workflows.onboarding_drafts import OnboardingError

BRACES = "{0}{name}{__class__}"


def test_a_validation_error_is_a_domain_error_with_code_field_and_params() -> None:
    error = fail("opening_hours_time", "opening_hours", "en", day="Monday", value="25:00")
    assert isinstance(error, DomainError)
    assert (error.code, error.field, error.params) == (
        "opening_hours_time",
        "opening_hours",
        {"day": "Monday", "value": "25:00"},
    )
    assert error.msgid == error.message == str(error)
    assert "25:00" in str(error) and "Monday" in str(error)


def test_braces_typed_by_the_user_are_shown_as_typed() -> None:
    error = fail("opening_hours_time", "opening_hours", "en", day="Monday", value=BRACES)
    assert BRACES in str(error)
    # The page translates with gettext and the API renders with the locale: neither
    # formats the rendered text again (that would raise, or read attributes).
    assert error.translated(lambda text: text) == str(error)
    assert error.text("es_AR") == str(error)
    with pytest.raises(ValidationError) as caught:
        validate_cuit(BRACES, locale="en")
    assert '"{"' in str(caught.value)  # the CUIT quotes the character at fault: a brace
    assert caught.value.text("en") == str(caught.value)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.code, copy.field, copy.params, str(copy)) == (
        caught.value.code,
        caught.value.field,
        caught.value.params,
        str(caught.value),
    )


def test_onboarding_messages_are_shown_as_rendered() -> None:
    error = OnboardingError(f"La sesión {BRACES} no existe.", "session_missing")
    assert error.text("en") == f"La sesión {BRACES} no existe."


def test_a_domain_error_with_params_still_formats_its_msgid_once() -> None:
    error = DomainError("x", "Alert #{id} does not exist.", {"id": BRACES})
    assert str(error) == f"Alert #{BRACES} does not exist."
