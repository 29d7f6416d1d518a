import pickle

import pytest

from domain.errors import DomainError, InvalidTransition, NotAllowed, ValidationFailed


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (DomainError, "domain_error"),
        (InvalidTransition, "invalid_transition"),
        (NotAllowed, "not_allowed"),
        (ValidationFailed, "validation_failed"),
    ],
)
def test_default_code_and_reason(cls, code):
    error = cls("Sign the agency MOU first.")
    assert isinstance(error, DomainError)
    assert error.code == code
    assert error.reason == "Sign the agency MOU first."
    assert str(error) == "Sign the agency MOU first."


@pytest.mark.parametrize("cls", [DomainError, InvalidTransition, NotAllowed, ValidationFailed])
def test_specific_code_overrides_default(cls):
    assert cls("No.", code="mou_lapsed").code == "mou_lapsed"


@pytest.mark.parametrize("field", [None, "county"])
def test_validation_failed_names_its_field(field):
    error = ValidationFailed("Choose a Montana county.", field=field)
    assert error.field == field


def test_errors_survive_pickling_with_code_and_field():
    error = ValidationFailed("Enter a ZIP code.", field="zip", code="bad_zip")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.reason, copy.code, copy.field) == (
        ValidationFailed,
        "Enter a ZIP code.",
        "bad_zip",
        "zip",
    )
