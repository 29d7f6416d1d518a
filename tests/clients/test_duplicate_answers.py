"""The duplicate guard is not a look-up service: a program that may not see the matched client
learns no more than search shows, each exact-match refusal is audited, and the answers per user
are throttled (otherwise anyone could confirm a person's date of birth and phone at will)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from domain.client_profile import DUPLICATE_ANSWERS_FREE, HIDDEN_REASON
from models.audit import AuditEvent
from models.clients.tables import Client
from tests.clients.conftest import VALID, page_form
from tests.factories import make_client, make_program, make_user


def _someone_elses_client(db) -> Client:
    elsewhere = make_program(db, "Butte Shelter")
    creator = make_user(db, "casey@example.org", name="Casey Creator", provider_of=(elsewhere,))
    person = make_client(db, elsewhere, creator, first_name="Alex", last_name="Rivera", dob=date(1990, 4, 12))
    db.commit()
    return person


async def test_an_exact_match_is_audited_and_a_near_one_hides_why_from_an_outsider(staff, db):
    person = _someone_elses_client(db)
    r = await staff.api("POST", "/api/v1/clients", json=VALID)
    assert r.status_code == 409 and r.json()["exact"] == [person.id], r.text
    db.expire_all()
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "client.duplicate_refused")).all()
    assert (event.entity_id, event.user_id, event.program_id) == (str(person.id), staff.user.id, staff.program.id)

    r = await staff.api("POST", "/api/v1/clients", json={**VALID, "dob": "1990-12-04"})
    assert r.status_code == 409 and r.json()["near"] == [{"id": person.id, "reasons": [HIDDEN_REASON]}], r.text
    page = await staff.page("POST", "/clients/new", page_form(dob="1990-12-04"))
    assert page.status_code == 409 and "Alex Rivera, born 1990" in page.text
    assert "swapped" not in page.text and "date of birth matches" not in page.text


async def test_duplicate_answers_are_throttled_per_user(staff, db):
    _someone_elses_client(db)
    for _ in range(DUPLICATE_ANSWERS_FREE + 1):
        r = await staff.api("POST", "/api/v1/clients", json=VALID)
        assert r.status_code == 409, r.text
    r = await staff.api("POST", "/api/v1/clients", json=VALID)
    assert r.status_code == 429 and r.json()["error"] == "too_many_duplicate_checks", r.text
    assert "try again in" in r.json()["detail"]
    page = await staff.page("POST", "/clients/new", page_form())
    assert page.status_code == 429 and "try again in" in page.text
    assert "born 1990" not in page.text
    db.expire_all()
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action == "client.duplicate_refused")).all()) \
        == DUPLICATE_ANSWERS_FREE + 1


async def test_editing_a_profile_into_someone_elses_counts_and_is_audited_too(staff, db):
    person = _someone_elses_client(db)
    own = await staff.api("POST", "/api/v1/clients", json={**VALID, "first_name": "Morgan", "dob": "1975-01-30"})
    assert own.status_code == 201, own.text
    r = await staff.api("PUT", f"/api/v1/clients/{own.json()['id']}", json=VALID)
    assert r.status_code == 409 and r.json()["exact"] == [person.id], r.text
    db.expire_all()
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "client.duplicate_refused")).all()
    assert event.entity_id == str(person.id) and event.user_id == staff.user.id
    for _ in range(DUPLICATE_ANSWERS_FREE):
        await staff.api("PUT", f"/api/v1/clients/{own.json()['id']}", json=VALID)
    r = await staff.api("PUT", f"/api/v1/clients/{own.json()['id']}", json=VALID)
    assert r.status_code == 429 and r.json()["error"] == "too_many_duplicate_checks", r.text
