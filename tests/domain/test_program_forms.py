import pytest

from domain.errors import ValidationFailed
from domain.program_forms import FieldKind, check_field, field_key


@pytest.mark.parametrize(
    ("label", "key"),
    [("Household size (people)", "household_size_people"), ("Gestational age?", "gestational_age"),
     ("Médico de cabecera", "medico_de_cabecera"), ("¿?", "field")],
)
def test_field_key(label, key):
    assert field_key(label) == key


def test_choice_field_is_tidied():
    f = check_field("  Eligibility ", "Income  band", "choice", ["Under 100% FPL", "", "under 100% fpl", "Over"], 1)
    assert (f.tab, f.label, f.kind, f.choices, f.required) == (
        "Eligibility", "Income band", FieldKind.CHOICE, ("Under 100% FPL", "Over"), True)


@pytest.mark.parametrize("kind", ["text", "date", "yesno"])
def test_plain_kinds_need_no_choices(kind):
    assert check_field("Extra", "Question", kind).choices == ()


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        (("", "Q", "text"), "tab", "Name the tab"),
        (("Personal Info", "Q", "text"), "tab", "every referral has already"),
        (("referral status", "Q", "text"), "tab", "every referral has already"),
        (("T" * 81, "Q", "text"), "tab", "under 80"),
        (("Tab", "  ", "text"), "label", "Write the question"),
        (("Tab", "Q", "number"), "kind", "text, a choice, a date or yes/no"),
        (("Tab", "Q", "choice", ["Only one"]), "choices", "at least two choices"),
        (("Tab", "Q", "text", ["A", "B"]), "choices", "Only a choice field"),
        (("Tab", "Q", "choice", [str(i) for i in range(41)]), "choices", "at most 40"),
    ],
)
def test_bad_definitions_name_the_field(args, field, reason):
    with pytest.raises(ValidationFailed, match=reason) as err:
        check_field(*args)
    assert err.value.field == field
