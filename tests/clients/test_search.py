"""The Subjects search: partial, case- and accent-insensitive, typos, nicknames, swapped names,
paging, date of birth; what each result shows depends on the program's right to see it."""

from datetime import date

import pytest

from models.clients.search import MAX_RESULTS, search_clients
from tests.factories import (
    make_client,
    make_program,
    make_signed_roi,
    make_user,
    montana_today,
)

TODAY = montana_today()


@pytest.fixture
def people(db):
    program = make_program(db, "Searchers")
    user = make_user(db, provider_of=(program,))
    made = {}
    for first, last, dob in [
        ("William", "Johnson", date(1985, 3, 12)),
        ("José", "Hernández", date(1970, 1, 2)),
        ("Catherine", "O'Brien", date(1992, 7, 8)),
        ("Mary Ann", "Old Coyote", date(2001, 5, 6)),
        ("Robert", "Smith", date(1960, 2, 3)),
        ("Roberta", "Smithers", date(1961, 2, 3)),
        ("Ann", "Thompson", date(1990, 6, 1)),
        ("Liam", "Nguyen", date(1999, 9, 9)),
    ]:
        made[f"{first} {last}"] = make_client(db, program, user, first_name=first, last_name=last,
                                                dob=dob)
    db.commit()
    return program, user, made


def names(result):
    return [f"{h.first_name} {h.last_name}" for h in result.items]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("William Johnson", "William Johnson"),  # exact
        ("william johnson", "William Johnson"),  # case
        ("Jose Hernandez", "José Hernández"),  # accents
        ("JOSÉ HERNÁNDEZ", "José Hernández"),
        ("obrien", "Catherine O'Brien"),  # punctuation
        ("wil joh", "William Johnson"),  # partial
        ("Johnson", "William Johnson"),  # last name only
        ("Johnson, William", "William Johnson"),  # last, first
        ("Johnson William", "William Johnson"),  # swapped
        ("Bill Johnson", "William Johnson"),  # nickname
        ("William Jonhson", "William Johnson"),  # transposed letters
        ("William Johnsen", "William Johnson"),  # one letter
        ("Wiliam Johnson", "William Johnson"),  # typo in the first name
        ("Kathryn O'Brien", "Catherine O'Brien"),  # sound-alike first name
        ("Ann Tomsen", "Ann Thompson"),  # sound-alike last name
        ("Liam Nugyen", "Liam Nguyen"),  # typo a trigram index would miss
        ("Old Coyote", "Mary Ann Old Coyote"),  # a compound last name
        ("Mary Ann Old Coyote", "Mary Ann Old Coyote"),
    ],
)
def test_finds(db, people, query, expected):
    program, _, _ = people
    result = search_clients(db, query, program_id=program.id, today=TODAY)
    assert expected in names(result), names(result)


def test_best_fit_first(db, people):
    program, _, _ = people
    result = search_clients(db, "Robert Smith", program_id=program.id, today=TODAY)
    assert names(result)[0] == "Robert Smith"
    assert "Roberta Smithers" in names(result)


def test_unrelated_names_are_not_listed(db, people):
    program, _, _ = people
    assert names(search_clients(db, "Zebulon Quist", program_id=program.id, today=TODAY)) == []
    assert "Ann Thompson" not in names(search_clients(db, "Robert Smith", program_id=program.id,
                                                      today=TODAY))


def test_empty_search_finds_nothing(db, people):
    program, _, _ = people
    result = search_clients(db, "   ", program_id=program.id, today=TODAY)
    assert result.items == [] and result.total == 0


def test_date_of_birth_narrows(db, people):
    program, _, _ = people
    result = search_clients(db, "Robert Smith", program_id=program.id, today=TODAY,
                            dob=date(1960, 2, 3))
    assert names(result) == ["Robert Smith"]
    # with a date of birth, fuzzier spellings of that person are still found
    result = search_clients(db, "Bob Smiht", program_id=program.id, today=TODAY, dob=date(1960, 2, 3))
    assert names(result) == ["Robert Smith"]


def test_merged_profiles_are_not_listed(db, people):
    program, _, made = people
    made["Roberta Smithers"].merged_into_id = made["Robert Smith"].id
    db.commit()
    assert "Roberta Smithers" not in names(search_clients(db, "Smith", program_id=program.id,
                                                          today=TODAY))


def test_paged(db):
    program = make_program(db, "Big")
    user = make_user(db, provider_of=(program,))
    for i in range(45):
        make_client(db, program, user, first_name="Jordan", last_name="Lee",
                    dob=date(1950, 1, 1).replace(year=1950 + i))
    db.commit()
    first = search_clients(db, "Jordan Lee", program_id=program.id, today=TODAY, per_page=20)
    assert (first.total, first.pages, len(first.items), first.has_next) == (45, 3, 20, True)
    last = search_clients(db, "Jordan Lee", program_id=program.id, today=TODAY, page=3, per_page=20)
    assert (len(last.items), last.has_next, last.has_previous) == (5, False, True)
    assert not {h.id for h in first.items} & {h.id for h in last.items}
    beyond = search_clients(db, "Jordan Lee", program_id=program.id, today=TODAY, page=9)
    assert beyond.number == 3
    assert MAX_RESULTS >= 45 and not first.capped


def test_results_show_details_only_where_the_program_may_see_them(db, people):
    program, user, made = people
    other = make_program(db, "Elsewhere")
    make_signed_roi(db, made["Robert Smith"], program, (other,), user)
    db.commit()
    result = search_clients(db, "Smith", program_id=other.id, today=TODAY)
    by_name = {f"{h.first_name} {h.last_name}": h for h in result.items}
    shared, private = by_name["Robert Smith"], by_name["Roberta Smithers"]
    assert shared.visible and shared.dob == date(1960, 2, 3) and shared.phones == ("+14065551234",)
    assert shared.address == "12 Last Chance Gulch"
    assert not private.visible
    assert private.birth_year == 1961
    assert (private.dob, private.phones, private.address, private.city) == (None, (), "", "")


def test_a_date_of_birth_is_no_oracle_for_clients_the_program_may_not_see(db):
    """Issue #19: a program that may not see a client cannot confirm their birthday by guessing;
    for such a client the typed date counts by its year only, which the results show anyway."""
    owner = make_program(db, "Owners")
    other = make_program(db, "Strangers")
    user = make_user(db, provider_of=(owner,))
    make_client(db, owner, user, first_name="Dana", last_name="Whitcomb", dob=date(1977, 4, 23))
    db.commit()

    def found(program, dob):
        return names(search_clients(db, "Dana Whitcomb", program_id=program.id, today=TODAY, dob=dob))

    guesses = [date(1977, 4, 23), date(1977, 4, 24), date(1977, 11, 2)]
    assert [found(other, d) for d in guesses] == [["Dana Whitcomb"]] * 3  # every guess looks alike
    assert found(other, date(1978, 4, 23)) == []
    # The program that sees the client narrows by the exact date.
    assert found(owner, date(1977, 4, 23)) == ["Dana Whitcomb"]
    assert found(owner, date(1977, 4, 24)) == []
