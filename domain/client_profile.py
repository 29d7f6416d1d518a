"""The client profile ("Subject") form: what the guide requires (Part 2, B-D) and how it is checked.

The form has two pages, as in the guide: "Page 1" (identity and demographics) and "Page 2"
(address and contact). A page is complete, and shows its green check mark, when each of its
required fields is filled in and valid; "Add Subject" is offered only when both pages are.

``validate_client`` checks every field at once and raises ``FieldErrors`` naming each wrong
field with a reason a person can act on; the same messages serve the pages and the API.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from domain.errors import Conflict, FieldErrors, ValidationFailed
from domain.matching import Identity, is_no_address
from domain.montana import canonical_county, is_montana_zip, normalize_zip
from domain.phones import NO_PHONE, has_no_phone, normalize_phone
from domain.taxonomy import GENDER_IDENTITIES, MILITARY_SERVICE, RACES, Vocabulary, is_code

EARLIEST_DOB = date(1900, 1, 1)
"""Dates of birth before this are typing slips (a year of 1090 or 1900 for 1990)."""

NO_FIXED_ADDRESS_LINE = "0000 Street"
"""The guide's street line for a client who cannot give an address: "0000 Street, (city) MT, (zip)"."""

HOUSING_REMINDER = (
    "Ensure appropriate referrals are offered to all clients in need of housing support services."
)

PHONE_LABELS: Vocabulary = (
    ("mobile", "Mobile"),
    ("home", "Home"),
    ("work", "Work"),
    ("other", "Other"),
)

NAME_MAX = 100
ADDRESS_MAX = 200
NOTE_MAX = 1000
PHONES_MAX = 10
"""The most phone numbers one profile holds (mobile, home, work and a few others)."""

PAGE_1_FIELDS = ("first_name", "last_name", "dob", "gender_identity", "races", "military_service")
PAGE_2_FIELDS = ("address", "city", "county", "zip", "phones", "best_way_to_reach", "email")
PAGES: dict[int, tuple[str, ...]] = {1: PAGE_1_FIELDS, 2: PAGE_2_FIELDS}

LABELS = {
    "first_name": "Legal First Name",
    "last_name": "Legal Last Name",
    "dob": "DOB",
    "gender_identity": "Current Gender Identity",
    "races": "Race",
    "military_service": "Military Service",
    "no_fixed_address": "No fixed address",
    "address": "Current address of residence",
    "city": "Current City",
    "county": "Current County",
    "zip": "Current Zip code",
    "phones": "Phone numbers",
    "best_way_to_reach": "Best way to reach the client",
    "email": "Email",
}
"""The guide's own field labels (Part 2, B and C), for forms, errors and the history."""


@dataclass(frozen=True)
class PhoneEntry:
    """One phone row as typed: the number and what it is (mobile, home, work, other)."""

    number: str = ""
    label: str = "mobile"


@dataclass(frozen=True)
class ClientForm:
    """The profile form as typed, every value a string (or a tuple of strings)."""

    first_name: str = ""
    last_name: str = ""
    dob: str = ""
    gender_identity: str = ""
    races: tuple[str, ...] = ()
    military_service: str = ""
    no_fixed_address: bool = False
    address: str = ""
    city: str = ""
    county: str = ""
    zip: str = ""
    phones: tuple[PhoneEntry, ...] = ()
    best_way_to_reach: str = ""
    email: str = ""


@dataclass(frozen=True)
class Phone:
    """A stored phone: E.164 (or ``NO_PHONE``, the guide's all nines) and its label."""

    e164: str
    label: str = "mobile"


@dataclass(frozen=True)
class ClientDetails:
    """A valid profile, normalised: names trimmed, county canonical, ZIP 5 digits, phones E.164."""

    first_name: str
    last_name: str
    dob: date
    gender_identity: str
    races: tuple[str, ...]
    military_service: str
    address: str
    city: str
    county: str
    zip: str
    no_fixed_address: bool = False
    phones: tuple[Phone, ...] = ()
    best_way_to_reach: str = ""
    email: str = ""

    def identity(self) -> Identity:
        """The guide's four points of this profile, for ``domain.matching.match``."""
        numbers = [p.e164 for p in self.phones]
        return Identity(
            first_name=self.first_name,
            last_name=self.last_name,
            dob=self.dob,
            phone=numbers[0] if numbers else None,
            address=self.address,
            zip=self.zip,
            other_phones=tuple(numbers[1:]),
        )


@dataclass(frozen=True)
class NearMatch:
    """An existing client who may be the same person, and why (never quoting its details)."""

    client_id: int
    reasons: tuple[str, ...]


DUPLICATE_ANSWERS_FREE = 5
"""Duplicate answers (exact or possible matches) one user may get within the sign-in throttle's
window before each further one waits: an exact match confirms a person's date of birth and phone
or address, so unlimited answers would let anyone look those up."""

HIDDEN_REASON = "may be the same person; check with the client"


def near_matches_told(near: list[NearMatch], visible: set[int]) -> list[NearMatch]:
    """The possible matches as the program may be told them: the reasons only for profiles it may
    see. For the others a reason such as "date of birth matches" would tell what is stored, beyond
    the name and year of birth that search shows."""
    return [m if m.client_id in visible else NearMatch(m.client_id, (HIDDEN_REASON,)) for m in near]


class DuplicateClient(Conflict):
    """The profile matches existing clients: ``exact`` ids stop creation, ``near`` ones need an
    acknowledgement."""

    default_code = "duplicate"

    def __init__(self, exact: list[int], near: list[NearMatch]) -> None:
        if exact:
            reason = (
                "This client is already in CONNECT: the first name, last name, date of birth and "
                "phone or address match an existing profile. Open that profile instead of adding "
                "a new one."
            )
        else:
            reason = (
                "This client may already be in CONNECT. Check the possible matches with the "
                "client; if none is them, confirm that this is a different person to add them."
            )
        super().__init__(reason)
        self.exact = list(exact)
        self.near = list(near)

    def details(self) -> dict:
        return {
            "exact": self.exact,
            "near": [{"id": m.client_id, "reasons": list(m.reasons)} for m in self.near],
        }


# --- single fields --------------------------------------------------------------------------

_NAME_ALLOWED = re.compile(r"^[^\W\d_]+(?:[ '\u2019.,-]+[^\W\d_]+)*\.?$")


def clean_text(value: object) -> str:
    """Trim a typed value, make its characters canonical (NFC) and collapse runs of spaces."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def check_name(value: object, field_name: str) -> str:
    """A legal name: required, letters with spaces, hyphens, apostrophes or periods between."""
    label = LABELS[field_name].lower()
    name = clean_text(value)
    if not name:
        raise ValidationFailed(f"Enter the client's {label}.", field=field_name, code="required")
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            f"The {label} can have at most {NAME_MAX} characters.", field=field_name, code="too_long"
        )
    if not _NAME_ALLOWED.match(name):
        raise ValidationFailed(
            f"The {label} can contain only letters, spaces, hyphens, apostrophes and periods; "
            "enter it as on the client's legal documents.",
            field=field_name,
            code="bad_name",
        )
    return name


def parse_dob(value: object, today: date) -> date:
    """A date of birth from a date or text (YYYY-MM-DD or MM/DD/YYYY): not in the future and not
    before 1900."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        dob = value
    else:
        text = clean_text(value)
        if not text:
            raise ValidationFailed(
                "Enter the client's date of birth.", field="dob", code="required"
            )
        dob = None
        for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"):
            try:
                dob = datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        if dob is None:
            raise ValidationFailed(
                "Enter the date of birth as month/day/year, for example 04/12/1990.",
                field="dob",
                code="bad_date",
            )
    if dob > today:
        raise ValidationFailed(
            "The date of birth cannot be in the future; check it with the client.",
            field="dob",
            code="dob_in_future",
        )
    if dob < EARLIEST_DOB:
        raise ValidationFailed(
            "Check the year of birth: CONNECT accepts dates of birth from 1900 on.",
            field="dob",
            code="dob_implausible",
        )
    return dob


def _choice(vocab: Vocabulary, value: object, field_name: str, what: str) -> str:
    code = clean_text(value)
    if not code:
        raise ValidationFailed(f"Choose the client's {what}.", field=field_name, code="required")
    if not is_code(vocab, code):
        raise ValidationFailed(
            f"Choose the client's {what} from the list.", field=field_name, code="unknown_code"
        )
    return code


def check_races(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """One or more of the census race categories, in the list's order, without repeats."""
    chosen = {clean_text(v) for v in values if clean_text(v)}
    if not chosen:
        raise ValidationFailed(
            "Choose at least one race, or 'Prefer not to say'.", field="races", code="required"
        )
    unknown = [v for v in chosen if not is_code(RACES, v)]
    if unknown:
        raise ValidationFailed("Choose the client's race from the list.", field="races",
                               code="unknown_code")
    if "prefer_not_to_say" in chosen and len(chosen) > 1:
        raise ValidationFailed(
            "Choose either one or more races or 'Prefer not to say', not both.",
            field="races",
            code="conflicting_choices",
        )
    return tuple(code for code, _ in RACES if code in chosen)


def check_address(value: object) -> str:
    """The street line of the client's current residence (a shelter's address is fine)."""
    address = clean_text(value)
    if not address:
        raise ValidationFailed(
            "Enter the client's current address of residence (a shelter or temporary housing "
            "address is fine), or choose 'No fixed address'.", field="address", code="required")
    if len(address) > ADDRESS_MAX:
        raise ValidationFailed(f"The address can have at most {ADDRESS_MAX} characters.", field="address",
                               code="too_long")
    if not re.search(r"[^\W_]", address):
        raise ValidationFailed("Enter the street address, for example 12 Last Chance Gulch.", field="address",
                               code="bad_address")
    return address


def check_city(value: object) -> str:
    city = clean_text(value)
    if not city:
        raise ValidationFailed("Enter the client's current city.", field="city", code="required")
    if len(city) > NAME_MAX or not re.search(r"[^\W\d_]", city):
        raise ValidationFailed(
            "Enter the name of the city or town where the client lives now.",
            field="city",
            code="bad_city",
        )
    return city


def check_zip(value: object) -> str:
    """A Montana ZIP code (59001-59937), ZIP+4 accepted, returned as 5 digits."""
    text = clean_text(value)
    if not text:
        raise ValidationFailed("Enter the client's current ZIP code.", field="zip", code="required")
    code = normalize_zip(text)
    if not is_montana_zip(code):
        raise ValidationFailed(
            f"{code} is not a Montana ZIP code; Montana ZIP codes run from 59001 to 59937.",
            field="zip",
            code="zip_not_montana",
        )
    return code


def check_county(value: object) -> str:
    text = clean_text(value)
    if not text:
        raise ValidationFailed("Choose the client's current county.", field="county",
                               code="required")
    return canonical_county(text)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(value: object) -> str:
    email = clean_text(value)
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        raise ValidationFailed(
            "Enter the email address as name@example.com, or leave it empty.",
            field="email",
            code="bad_email",
        )
    return email.lower() if email else ""


def check_phones(entries: tuple[PhoneEntry, ...] | list[PhoneEntry]) -> tuple[Phone, ...]:
    """The filled phone rows, normalised to E.164 and without repeats; errors name the row
    (``phones.0``, ``phones.1``, ...)."""
    phones: list[Phone] = []
    errors: dict[str, str] = {}
    no_phone_row = 0
    for i, entry in enumerate(entries):
        number = clean_text(entry.number)
        if not number:
            continue
        label = clean_text(entry.label) or "mobile"
        try:
            e164 = normalize_phone(number)
        except ValidationFailed as exc:
            errors[f"phones.{i}"] = exc.reason
            continue
        if not is_code(PHONE_LABELS, label):
            errors[f"phones.{i}"] = "Choose whether the number is mobile, home, work or other."
            continue
        if all(p.e164 != e164 for p in phones):
            phones.append(Phone(e164, label))
            if e164 == NO_PHONE:
                no_phone_row = i
    if has_real_phone(tuple(phones)) and any(p.e164 == NO_PHONE for p in phones):
        errors[f"phones.{no_phone_row}"] = ("(999) 999-9999 means the client has no phone, but another "
                                            "number is given: remove this row.")
    if len(phones) > PHONES_MAX:
        errors["phones"] = f"A profile can hold at most {PHONES_MAX} phone numbers."
    if errors:
        raise FieldErrors(errors)
    return tuple(phones)


def has_real_phone(phones: tuple[Phone, ...]) -> bool:
    """Whether any number can reach the client (the all-nines "no phone" value cannot)."""
    return not has_no_phone(p.e164 for p in phones)


# --- the whole form -------------------------------------------------------------------------


def validate_client(form: ClientForm, today: date) -> ClientDetails:
    """Check every field of the profile form and return it normalised.

    Raises ``FieldErrors`` with one reason per wrong field, so the form can mark them all.
    The guide's conventions: a client with no fixed address gets the street line "0000 Street"
    in their current city and ZIP; a client with no phone (none given, or only the all-nines
    value) needs a note on the best way to reach them.
    """
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    def attempt(name: str, check, *args) -> None:
        try:
            values[name] = check(*args)
        except FieldErrors as exc:
            errors.update(exc.errors)
        except ValidationFailed as exc:
            errors[exc.field or name] = exc.reason

    attempt("first_name", check_name, form.first_name, "first_name")
    attempt("last_name", check_name, form.last_name, "last_name")
    attempt("dob", parse_dob, form.dob, today)
    attempt("gender_identity", _choice, GENDER_IDENTITIES, form.gender_identity,
            "gender_identity", "current gender identity")
    attempt("races", check_races, form.races)
    attempt("military_service", _choice, MILITARY_SERVICE, form.military_service,
            "military_service", "military service")

    no_fixed_address = bool(form.no_fixed_address) or is_no_address(clean_text(form.address))
    if no_fixed_address:
        values["address"] = NO_FIXED_ADDRESS_LINE
    else:
        attempt("address", check_address, form.address)
    attempt("city", check_city, form.city)
    attempt("county", check_county, form.county)
    attempt("zip", check_zip, form.zip)
    attempt("phones", check_phones, tuple(form.phones))
    attempt("email", check_email, form.email)

    best_way = clean_text(form.best_way_to_reach)
    if len(best_way) > NOTE_MAX:
        errors["best_way_to_reach"] = f"Keep this note under {NOTE_MAX} characters."
    elif "phones" in values and not has_real_phone(values["phones"]) and not best_way:
        errors["best_way_to_reach"] = (
            "The client has no phone number: describe the best way for another program to reach "
            "them (for example a shelter's front desk, an email, or a relative's number)."
        )

    if errors:
        raise FieldErrors(errors)
    return ClientDetails(
        first_name=values["first_name"],
        last_name=values["last_name"],
        dob=values["dob"],
        gender_identity=values["gender_identity"],
        races=values["races"],
        military_service=values["military_service"],
        address=values["address"],
        city=values["city"],
        county=values["county"],
        zip=values["zip"],
        no_fixed_address=no_fixed_address,
        phones=values["phones"],
        best_way_to_reach=best_way,
        email=values["email"],
    )


@dataclass(frozen=True)
class IdentityClaim:
    """What a client tells a user who may not see their profile: the date of birth, and the
    phone number or street address (FAQ: "have your client tell you")."""

    dob: date
    phone: str | None = None
    address: str | None = None


def parse_identity_claim(dob: object, phone: object, address: object, today: date) -> IdentityClaim:
    """Check the identity-check form; ``FieldErrors`` names what is missing or wrong."""
    errors: dict[str, str] = {}
    parsed_dob = None
    try:
        parsed_dob = parse_dob(dob, today)
    except ValidationFailed as exc:
        errors["dob"] = exc.reason
    number = None
    if clean_text(phone):
        try:
            number = normalize_phone(clean_text(phone))
        except ValidationFailed as exc:
            errors["phone"] = exc.reason
        else:
            if number == NO_PHONE:
                errors["phone"] = ("The all-nines number means no phone and cannot confirm who "
                                   "the client is; ask for their address instead.")
    street = clean_text(address) or None
    if not number and not street and "phone" not in errors:
        errors["phone"] = "Enter the phone number or the street address the client gives you."
    if errors:
        raise FieldErrors(errors)
    return IdentityClaim(parsed_dob, number, street)


def page_of(field_name: str) -> int:
    """The page (1 or 2) a field, or a phone row ``phones.N``, is on."""
    base = field_name.split(".", 1)[0]
    return 1 if base in PAGE_1_FIELDS else 2


def incomplete_pages(form: ClientForm, today: date) -> set[int]:
    """The pages still missing something or holding a wrong value (empty when both are done)."""
    try:
        validate_client(form, today)
    except FieldErrors as exc:
        return {page_of(name) for name in exc.errors}
    return set()
