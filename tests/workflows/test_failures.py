"""One converter each way between domain refusals and Temporal failures."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from api.errors import domain_answer
from domain import errors
from domain.errors import (
    KINDS,
    Conflict,
    DomainError,
    FieldErrors,
    InvalidTransition,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from workflows.delivery import DB_ACTIVITY
from workflows.failures import BUSINESS_TYPES, business_failure, domain_error

REFUSALS = [
    ValidationFailed("Enter the code.", field="code", code="code_wrong"),
    NotAllowed("Only the sender may do this.", code="roi_not_sender"),
    InvalidTransition("Already closed.", code="referral_cannot_send"),
    Conflict("Already assigned.", code="already_assigned", extra={"assignee_id": 7, "assignee_name": "Ana"}),
    NotFound("That file is not this ROI's current scan.", code="attachment_not_found"),
    DomainError("Something else.", code="odd"),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda e: type(e).__name__)
def test_a_refusal_crosses_temporal_and_answers_as_the_same_refusal(refusal):
    failure = business_failure(refusal)
    assert failure.non_retryable and failure.type == type(refusal).__name__
    back = domain_error(failure)
    assert type(back) is type(refusal)
    assert domain_answer(back) == domain_answer(refusal)


def test_field_errors_travel_as_validation_failed_with_every_field():
    refusal = FieldErrors({"first_name": "Enter a first name.", "dob": "Enter a date of birth."})
    failure = business_failure(refusal)
    assert failure.type == "ValidationFailed"
    status, body = domain_answer(domain_error(failure))
    assert (status, body) == domain_answer(refusal)
    assert status == 422 and [f["field"] for f in body["fields"]] == ["first_name", "dob"]


def test_other_failures_are_not_refusals():
    assert domain_error(ApplicationError("boom", type="RuntimeError")) is None
    assert domain_error(RuntimeError("boom")) is None
    assert domain_error(None) is None


def test_every_refusal_class_is_never_retried():
    classes = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, DomainError)}
    assert set(BUSINESS_TYPES) == classes
    assert {kind.__name__ for kind in KINDS} <= classes
    assert set(DB_ACTIVITY["retry_policy"].non_retryable_error_types) == classes
