"""The one client lookup: a stored record by its id, and the record an id leads to (a merged
profile's id leads to the kept record, through merges of merges)."""

from __future__ import annotations

import pytest

from domain.errors import NotFound
from models.clients.records import details_of, get_client, identity_of, kept_client
from tests.factories import make_client, make_program, make_user


def test_a_merged_id_leads_to_the_kept_record(db):
    program = make_program(db)
    user = make_user(db, provider_of=(program,))
    kept, middle, first = (make_client(db, program, user, first_name=n) for n in ("Kept", "Middle", "First"))
    middle.merged_into_id, first.merged_into_id = kept.id, middle.id
    db.flush()
    assert [kept_client(db, c.id).id for c in (kept, middle, first)] == [kept.id] * 3
    assert get_client(db, first.id).id == first.id  # the stored record itself, for its own page
    with pytest.raises(NotFound):
        kept_client(db, 999_999)


def test_a_stored_client_has_the_identity_of_its_profile(db):
    program = make_program(db)
    client = make_client(db, program, make_user(db, provider_of=(program,)))
    assert identity_of(client) == details_of(client).identity()
    assert (identity_of(client).phone, identity_of(client).zip) == ("+14065551234", "59601")
