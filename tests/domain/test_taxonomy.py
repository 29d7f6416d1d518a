import pytest

from domain.errors import ValidationFailed
from domain.taxonomy import (
    GENDER_IDENTITIES,
    INSURANCE_TYPES,
    MILITARY_SERVICE,
    NO_INSURANCE_NEEDED,
    RACES,
    SERVICES,
    LabelledStrEnum,
    codes,
    is_code,
    label_of,
)

VOCABULARIES = [SERVICES, INSURANCE_TYPES, GENDER_IDENTITIES, RACES, MILITARY_SERVICE]


@pytest.mark.parametrize("vocab", VOCABULARIES)
def test_codes_and_labels_are_unique_and_well_formed(vocab):
    assert len(set(codes(vocab))) == len(vocab)
    assert len({label for _, label in vocab}) == len(vocab)
    for code, label in vocab:
        assert code == code.lower() and " " not in code
        assert label.strip() == label and label


@pytest.mark.parametrize(
    "code",
    [
        "food_nutrition", "housing", "mental_health", "substance_use", "medical_specialists",
        "primary_care", "parenting", "employment", "transportation", "dental", "child_care",
        "legal_aid", "utilities_assistance", "domestic_violence", "disability_services",
        "senior_services", "education", "tobacco_cessation", "prenatal_care",
    ],
)
def test_services_include_the_briefs_list(code):
    assert is_code(SERVICES, code)


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("medicaid", "Medicaid"),
        ("medicare", "Medicare"),
        ("bcbs_montana", "BlueCross BlueShield of Montana"),
        ("aetna", "Aetna"),
        ("pacificsource", "PacificSource"),
        ("cigna", "Cigna"),
        ("unitedhealthcare", "UnitedHealthcare"),
        ("allegiance", "Allegiance"),
        ("tricare", "TRICARE"),
        ("ihs", "Indian Health Service"),
        ("uninsured_sliding_scale", "Uninsured / sliding scale"),
        ("not_applicable", "N/A (no insurance needed)"),
    ],
)
def test_insurance_types(code, label):
    assert label_of(INSURANCE_TYPES, code) == label


def test_no_insurance_needed_codes_are_insurance_types():
    assert NO_INSURANCE_NEEDED == {"uninsured_sliding_scale", "not_applicable"}
    assert all(is_code(INSURANCE_TYPES, code) for code in NO_INSURANCE_NEEDED)


@pytest.mark.parametrize("vocab", [RACES, MILITARY_SERVICE, GENDER_IDENTITIES])
def test_people_may_decline_to_answer(vocab):
    assert label_of(vocab, "prefer_not_to_say") == "Prefer not to say"


@pytest.mark.parametrize(
    "code",
    [
        "american_indian_alaska_native", "asian", "black_african_american",
        "native_hawaiian_pacific_islander", "white", "some_other_race",
    ],
)
def test_races_are_the_census_categories(code):
    assert is_code(RACES, code)


def test_military_service():
    assert codes(MILITARY_SERVICE) == (
        "never_served", "active_duty", "veteran", "reserve_national_guard", "prefer_not_to_say",
    )


@pytest.mark.parametrize(
    ("vocab", "code", "expected"),
    [
        (SERVICES, "housing", True),
        (SERVICES, "Housing", False),
        (SERVICES, "", False),
        (INSURANCE_TYPES, "housing", False),
        (RACES, None, False),
    ],
)
def test_is_code(vocab, code, expected):
    assert is_code(vocab, code) is expected


@pytest.mark.parametrize(("vocab", "code"), [(SERVICES, "unicorns"), (RACES, ""), (SERVICES, None)])
def test_label_of_unknown_code(vocab, code):
    with pytest.raises(ValidationFailed) as caught:
        label_of(vocab, code)
    assert caught.value.code == "unknown_code"


class Colour(LabelledStrEnum):
    RED = ("red", "Bright red")
    BLUE = ("blue", "Deep blue")


@pytest.mark.parametrize(("member", "value", "label"), [(Colour.RED, "red", "Bright red"),
                                                        (Colour.BLUE, "blue", "Deep blue")])
def test_labelled_str_enum(member, value, label):
    assert member == value
    assert str(member) == value
    assert Colour(value) is member
    assert member.label == label


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        ((), frozenset()),
        (("medicaid",), frozenset({"medicaid"})),
        (("not_applicable",), frozenset({"not_applicable", "uninsured_sliding_scale"})),
        (("uninsured_sliding_scale", "aetna"), frozenset({"not_applicable", "uninsured_sliding_scale", "aetna"})),
    ],
)
def test_insurance_filter_codes(selected, expected):
    from domain.taxonomy import insurance_filter_codes

    assert insurance_filter_codes(selected) == expected
