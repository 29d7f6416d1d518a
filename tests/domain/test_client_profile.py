from dataclasses import replace
from datetime import date

import pytest

from domain.client_profile import (
    NO_FIXED_ADDRESS_LINE,
    ClientForm,
    Phone,
    PhoneEntry,
    incomplete_pages,
    page_of,
    validate_client,
)
from domain.errors import FieldErrors
from domain.phones import NO_PHONE

TODAY = date(2025, 6, 15)

GOOD = ClientForm(
    first_name="  María ",
    last_name="O'Brien-Smith",
    dob="1990-04-12",
    gender_identity="female",
    races=("white", "american_indian_alaska_native"),
    military_service="veteran",
    address="12 Last Chance Gulch",
    city="Helena",
    county="lewis & clark county",
    zip="59601-1234",
    phones=(PhoneEntry("(406) 555-1234", "mobile"), PhoneEntry("", "home")),
)


def errors_of(form: ClientForm) -> dict[str, str]:
    with pytest.raises(FieldErrors) as caught:
        validate_client(form, TODAY)
    return caught.value.errors


def test_a_complete_form_is_normalised():
    details = validate_client(GOOD, TODAY)
    assert details.first_name == "María"
    assert details.dob == date(1990, 4, 12)
    assert details.county == "Lewis and Clark"
    assert details.zip == "59601"
    assert details.races == ("american_indian_alaska_native", "white")
    assert details.phones == (Phone("+14065551234", "mobile"),)
    assert details.no_fixed_address is False
    assert incomplete_pages(GOOD, TODAY) == set()


def test_empty_form_names_every_required_field():
    errors = errors_of(ClientForm())
    assert set(errors) == {
        "first_name", "last_name", "dob", "gender_identity", "races", "military_service",
        "address", "city", "county", "zip", "best_way_to_reach",
    }
    assert incomplete_pages(ClientForm(), TODAY) == {1, 2}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"first_name": ""}, "first_name", "Enter the client's legal first name"),
        ({"last_name": " "}, "last_name", "Enter the client's legal last name"),
        ({"first_name": "J0hn"}, "first_name", "only letters"),
        ({"last_name": "Smith!"}, "last_name", "only letters"),
        ({"last_name": "x" * 101}, "last_name", "at most 100"),
        ({"dob": ""}, "dob", "Enter the client's date of birth"),
        ({"dob": "12/31"}, "dob", "month/day/year"),
        ({"dob": "2025-06-16"}, "dob", "cannot be in the future"),
        ({"dob": "1899-12-31"}, "dob", "from 1900 on"),
        ({"gender_identity": ""}, "gender_identity", "Choose the client's current gender identity"),
        ({"gender_identity": "robot"}, "gender_identity", "from the list"),
        ({"races": ()}, "races", "at least one race"),
        ({"races": ("martian",)}, "races", "from the list"),
        ({"races": ("white", "prefer_not_to_say")}, "races", "not both"),
        ({"military_service": ""}, "military_service", "Choose the client's military service"),
        ({"address": ""}, "address", "No fixed address"),
        ({"address": "#"}, "address", "street address"),
        ({"city": ""}, "city", "Enter the client's current city"),
        ({"city": "123"}, "city", "city or town"),
        ({"county": ""}, "county", "Choose the client's current county"),
        ({"county": "King"}, "county", "not a Montana county"),
        ({"zip": ""}, "zip", "Enter the client's current ZIP code"),
        ({"zip": "5960"}, "zip", "5-digit ZIP"),
        ({"zip": "83301"}, "zip", "not a Montana ZIP code"),
        ({"email": "nobody@"}, "email", "name@example.com"),
        ({"phones": (PhoneEntry("555-1234"),)}, "phones.0", "10 digits"),
        ({"phones": (PhoneEntry("(406) 555-1234"), PhoneEntry("406 555 12345"))}, "phones.1",
         "10 digits"),
        ({"phones": (PhoneEntry("(406) 555-1234", "pager"),)}, "phones.0", "mobile, home, work"),
        ({"phones": ()}, "best_way_to_reach", "no phone number"),
        ({"phones": (PhoneEntry("(999)-999-9999"),)}, "best_way_to_reach", "no phone number"),
        ({"phones": (PhoneEntry("(406) 555-1234"), PhoneEntry("999-999-9999", "home"))}, "phones.1",
         "another number is given"),
    ],
)
def test_each_field_has_its_reason(changes, field, words):
    errors = errors_of(replace(GOOD, **changes))
    assert list(errors) == [field]
    assert words in errors[field]


@pytest.mark.parametrize(
    ("dob", "expected"),
    [("1990-04-12", date(1990, 4, 12)), ("04/12/1990", date(1990, 4, 12)),
     ("4/2/1990", date(1990, 4, 2)), ("1900-01-01", date(1900, 1, 1)), ("2025-06-15", TODAY)],
)
def test_date_of_birth_forms(dob, expected):
    assert validate_client(replace(GOOD, dob=dob), TODAY).dob == expected


def test_no_phone_with_a_way_to_reach_is_complete():
    form = replace(GOOD, phones=(PhoneEntry("999-999-9999"),),
                   best_way_to_reach="Leave a message at the Helena shelter front desk")
    details = validate_client(form, TODAY)
    assert details.phones == (Phone(NO_PHONE, "mobile"),)


def test_phones_are_normalised_and_deduplicated():
    form = replace(GOOD, phones=(PhoneEntry("406.555.1234", "home"), PhoneEntry("+1 406 555 1234"),
                                 PhoneEntry("4065550000", "work")))
    assert validate_client(form, TODAY).phones == (Phone("+14065551234", "home"),
                                                   Phone("+14065550000", "work"))


def test_no_fixed_address_fills_the_guides_convention():
    details = validate_client(replace(GOOD, no_fixed_address=True, address=""), TODAY)
    assert details.address == NO_FIXED_ADDRESS_LINE
    assert details.no_fixed_address is True
    assert (details.city, details.zip) == ("Helena", "59601")


def test_typed_placeholder_counts_as_no_fixed_address():
    details = validate_client(replace(GOOD, address="0000 Street"), TODAY)
    assert details.no_fixed_address is True


def test_no_fixed_address_still_needs_city_county_and_zip():
    errors = errors_of(replace(GOOD, no_fixed_address=True, city="", county="", zip=""))
    assert set(errors) == {"city", "county", "zip"}


def test_pages_report_what_is_missing():
    assert incomplete_pages(replace(GOOD, dob=""), TODAY) == {1}
    assert incomplete_pages(replace(GOOD, zip="83301"), TODAY) == {2}
    assert page_of("phones.3") == 2
    assert page_of("races") == 1


def test_identity_carries_every_phone():
    details = validate_client(replace(GOOD, phones=(PhoneEntry("4065551234"), PhoneEntry("4065550000"))), TODAY)
    identity = details.identity()
    assert identity.phone == "+14065551234"
    assert identity.other_phones == ("+14065550000",)
    assert identity.address == "12 Last Chance Gulch"


def test_identity_claim_needs_dob_and_phone_or_address():
    from domain.client_profile import parse_identity_claim

    claim = parse_identity_claim("04/12/1990", "(406) 555-1234", "", TODAY)
    assert (claim.dob, claim.phone, claim.address) == (date(1990, 4, 12), "+14065551234", None)
    assert parse_identity_claim("1990-04-12", "", " 12 Main St ", TODAY).address == "12 Main St"
    with pytest.raises(FieldErrors) as caught:
        parse_identity_claim("", "", "", TODAY)
    assert set(caught.value.errors) == {"dob", "phone"}
    with pytest.raises(FieldErrors) as caught:
        parse_identity_claim("1990-04-12", "999-999-9999", "", TODAY)
    assert "cannot confirm" in caught.value.errors["phone"]


def test_duplicate_answer_is_structured():
    from domain.client_profile import DuplicateClient, NearMatch

    error = DuplicateClient([3], [NearMatch(5, ("first name is a nickname of the existing record's",))])
    assert error.code == "duplicate"
    assert error.details() == {"exact": [3], "near": [{"id": 5, "reasons": ["first name is a nickname of the existing record's"]}]}
