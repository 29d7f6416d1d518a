import pytest

from domain.errors import ValidationFailed
from domain.referral_form import (
    PERSONAL_INFO,
    FieldKind,
    FormField,
    check_ready_to_send,
    clean_reason,
    clean_text,
    clean_values,
    personal_info_gaps,
    tabs,
)

FIELDS = [
    FormField("urgent", "Is this urgent?", "Screening", FieldKind.YESNO, required=True),
    FormField("time", "Preferred time", "Screening", FieldKind.CHOICE, choices=("Morning", "Afternoon")),
    FormField("due", "Due date", "Pregnancy", FieldKind.DATE, required=True),
    FormField("member", "Member ID", "Pregnancy", FieldKind.TEXT),
]


def test_tabs_start_with_personal_info_then_the_programs_own_in_order():
    result = tabs(FIELDS, {}, "")
    assert [t.name for t in result] == [PERSONAL_INFO, "Screening", "Pregnancy"]
    assert result[0].missing == ("Reason for referral",)
    assert result[1].missing == ("Is this urgent?",) and result[2].missing == ("Due date",)
    assert [t.slug for t in result] == ["personal-info", "screening", "pregnancy"]


def test_a_tab_is_complete_when_its_required_fields_are_filled():
    result = tabs(FIELDS, {"urgent": "no", "due": "2026-05-01"}, "Needs prenatal care")
    assert all(t.complete for t in result)


def test_profile_gaps_keep_personal_info_incomplete():
    gaps = personal_info_gaps(has_name=True, has_dob=True, has_contact=False)
    assert gaps == ("A phone number, email or address",)
    assert not tabs(FIELDS, {}, "reason", gaps)[0].complete


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"urgent": " YES ", "time": "Morning"}, {"urgent": "yes", "time": "Morning"}),
        ({"due": " 2026-05-01 "}, {"due": "2026-05-01"}),
        ({"member": "  ", "unknown": "dropped"}, {}),
    ],
)
def test_clean_values(values, expected):
    assert clean_values(FIELDS, values) == expected


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"urgent": "maybe"}, "urgent", "not_yes_no"),
        ({"time": "Evening"}, "time", "not_a_choice"),
        ({"due": "May 1st"}, "due", "not_a_date"),
        ({"member": "x" * 1001}, "member", "too_long"),
    ],
)
def test_clean_values_refuses_wrong_kinds(values, field, code):
    with pytest.raises(ValidationFailed) as caught:
        clean_values(FIELDS, values)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_ready_to_send_names_the_first_incomplete_tab_then_asks_about_insurance():
    with pytest.raises(ValidationFailed) as caught:
        check_ready_to_send(FIELDS, {"urgent": "no"}, "reason", insurance_confirmed=True)
    assert caught.value.field == "due" and "Pregnancy tab is not complete" in caught.value.reason
    with pytest.raises(ValidationFailed) as caught:
        check_ready_to_send(FIELDS, {}, "", insurance_confirmed=True)
    assert caught.value.field == "reason"
    with pytest.raises(ValidationFailed) as caught:
        check_ready_to_send(FIELDS, {"urgent": "no", "due": "2026-05-01"}, "r", insurance_confirmed=False)
    assert caught.value.code == "insurance_not_confirmed"
    check_ready_to_send(FIELDS, {"urgent": "no", "due": "2026-05-01"}, "r", insurance_confirmed=True)


def test_texts():
    assert clean_reason("  needs food ") == "needs food"
    with pytest.raises(ValidationFailed):
        clean_reason("x" * 4001)
    assert clean_text(" note ", label="Note", field="text") == "note"
    assert clean_text("", label="Note", field="text", required=False) == ""
    with pytest.raises(ValidationFailed, match="cannot be empty"):
        clean_text("   ", label="Reason", field="reason")
