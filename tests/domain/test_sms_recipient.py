"""Who may text an ROI's consent request to which number: a program that cannot see the client
texts only a number on file, chosen by its id and shown masked."""

import pytest

from domain.errors import NotAllowed, ValidationFailed
from domain.phones import mask_phone
from domain.roi import check_sms_recipient


def test_a_program_that_cannot_see_the_client_may_not_type_a_number():
    with pytest.raises(NotAllowed) as err:
        check_sms_recipient(False, typed=True, chosen=False)
    assert err.value.code == "sms_number_needs_consent"


@pytest.mark.parametrize("sees", [True, False])
def test_a_number_on_file_or_the_mobile_on_file_is_open_to_any_program(sees):
    check_sms_recipient(sees, typed=False, chosen=True)
    check_sms_recipient(sees, typed=False, chosen=False)


def test_a_program_that_sees_the_client_may_type_a_new_number():
    check_sms_recipient(True, typed=True, chosen=False)


def test_typing_and_choosing_together_is_refused():
    with pytest.raises(ValidationFailed) as err:
        check_sms_recipient(True, typed=True, chosen=True)
    assert err.value.field == "phone"


def test_a_masked_number_shows_only_its_last_four_digits():
    assert mask_phone("+14065551234") == "(•••) •••-1234"
    assert "555" not in mask_phone("+14065551234") and "406" not in mask_phone("+14065551234")
