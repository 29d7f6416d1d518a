"""The client JSON API: create with the duplicate guard, read, update, history, identity check,
and who may do what. Each test checks the rows written (clients, history, audit), not just codes."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.phones import NO_PHONE
from models.audit import AuditEvent
from models.clients.tables import Client, ClientChange
from tests.clients.conftest import VALID
from tests.factories import (
    login,
    make_program,
    make_signed_roi,
    make_user,
    montana_today,
)


def count(db, model, *where):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


def audits(db, action):
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def assert_no_values(event, *values):
    text = json.dumps(event.detail)
    for value in values:
        assert value not in text, f"{value!r} leaked into the audit trail: {text}"


# --- create -----------------------------------------------------------------------------------


async def test_create_writes_the_client_its_history_and_an_audit_row(staff, db):
    r = await staff.api("POST", "/api/v1/clients", json=VALID)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["visible"] is True
    assert body["county"] == "Lewis and Clark" and body["zip"] == "59601"
    assert body["phones"] == [{"e164": "+14065551234", "display": "(406) 555-1234",
                               "no_phone": False, "label": "mobile"}]
    client = db.get(Client, body["id"])
    assert client.created_by_program_id == staff.program.id
    assert (client.first_folded, client.last_phonetic) == ("alex", "RFR")
    change = db.scalar(select(ClientChange).where(ClientChange.client_id == client.id))
    assert change.kind == "created" and change.changes["last_name"] == [None, "Rivera"]
    [event] = audits(db, "client.created")
    assert (event.user_id, event.program_id, event.entity_id) == (staff.user.id, staff.program.id, str(client.id))
    assert "last_name" in event.detail["fields"]
    assert_no_values(event, "Rivera", "555", "1990", "Last Chance")


async def test_exact_duplicate_is_refused_with_the_existing_id(staff, db):
    existing = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    again = {**VALID, "first_name": "ALEX", "phones": [{"number": "406.555.1234", "label": "home"}]}
    r = await staff.api("POST", "/api/v1/clients", json=again)
    assert r.status_code == 409
    assert r.json()["error"] == "duplicate"
    assert r.json()["exact"] == [existing] and r.json()["near"] == []
    # even acknowledging near matches cannot push an exact duplicate through
    r = await staff.api("POST", "/api/v1/clients", json={**again, "acknowledge_near_matches": True})
    assert r.status_code == 409
    assert count(db, Client) == 1
    assert len(audits(db, "client.created")) == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"first_name": "Alexander"}, "nickname"),
        ({"last_name": "Riveras"}, "last name differs by one letter"),
        ({"first_name": "Rivera", "last_name": "Alex"}, "first and last names swapped"),
        ({"dob": "1990-12-04"}, "day and month swapped"),
        ({"dob": "1909-04-12"}, "two transposed digits"),
        ({"phones": [{"number": "406-555-9876", "label": "mobile"}], "address": "9 Elm Rd"},
         "new contact details"),
    ],
)
async def test_near_duplicate_needs_an_acknowledgement(staff, db, changes, reason):
    existing = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    candidate = {**VALID, **changes}
    r = await staff.api("POST", "/api/v1/clients", json=candidate)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["exact"] == []
    [near] = body["near"]
    assert near["id"] == existing
    assert any(reason in why for why in near["reasons"]), near["reasons"]
    assert count(db, Client) == 1

    r = await staff.api("POST", "/api/v1/clients", json={**candidate, "acknowledge_near_matches": True})
    assert r.status_code == 201, r.text
    assert count(db, Client) == 2
    event = audits(db, "client.created")[-1]
    assert event.detail["near_matches_acknowledged"] == [existing]


async def test_a_different_person_is_created_without_questions(staff, db):
    await staff.api("POST", "/api/v1/clients", json=VALID)
    r = await staff.api("POST", "/api/v1/clients", json={**VALID, "first_name": "Morgan",
                                                          "dob": "1975-01-30"})
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"first_name": ""}, "first_name", "legal first name"),
        ({"last_name": ""}, "last_name", "legal last name"),
        ({"dob": (montana_today() + timedelta(days=1)).isoformat()}, "dob", "future"),
        ({"dob": "1850-01-01"}, "dob", "1900"),
        ({"gender_identity": ""}, "gender_identity", "gender identity"),
        ({"races": []}, "races", "at least one race"),
        ({"military_service": "pirate"}, "military_service", "from the list"),
        ({"address": ""}, "address", "address"),
        ({"city": ""}, "city", "city"),
        ({"county": "Ada"}, "county", "not a Montana county"),
        ({"zip": "90210"}, "zip", "not a Montana ZIP"),
        ({"phones": [{"number": "555-12", "label": "mobile"}]}, "phones.0", "10 digits"),
        ({"phones": [{"number": "(999)-999-9999", "label": "mobile"}]}, "best_way_to_reach",
         "no phone"),
    ],
)
async def test_each_invalid_field_is_named_with_its_reason(staff, db, changes, field, words):
    r = await staff.api("POST", "/api/v1/clients", json={**VALID, **changes})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_fields" and body["field"] == field
    [problem] = body["fields"]
    assert problem["field"] == field and words in problem["detail"]
    assert count(db, Client) == 0
    assert count(db, AuditEvent, AuditEvent.action == "client.created") == 0


async def test_no_phone_with_best_way_to_reach_and_no_fixed_address(staff, db):
    payload = {**VALID, "phones": [{"number": "(999)-999-9999", "label": "mobile"}],
               "best_way_to_reach": "Front desk of God's Love shelter, ask for the case manager",
               "no_fixed_address": True, "address": ""}
    r = await staff.api("POST", "/api/v1/clients", json=payload)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["address"] == "0000 Street" and body["no_fixed_address"] is True
    assert body["phones"][0]["e164"] == NO_PHONE and body["phones"][0]["no_phone"] is True


# --- read and visibility ----------------------------------------------------------------------


@pytest.fixture
async def outsider(client, db, staff):
    """A provider of another program, signed in on a second HTTP client."""
    import httpx

    from tests.clients.conftest import Session

    program = make_program(db, "Missoula Housing")
    user = make_user(db, "olive@example.org", provider_of=(program,))
    db.commit()
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    csrf = await login(other, user.email)
    yield Session(other, csrf, program, user)
    await other.aclose()


async def test_a_program_without_roi_sees_only_name_and_year_of_birth(staff, outsider, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    r = await outsider.api("GET", f"/api/v1/clients/{client_id}")
    assert r.status_code == 200
    assert r.json() == {"id": client_id, "first_name": "Alex", "last_name": "Rivera",
                        "birth_year": 1990, "visible": False, "merged_into_id": None}
    [event] = audits(db, "client.viewed")
    assert (event.user_id, event.program_id) == (outsider.user.id, outsider.program.id)
    assert event.detail["view"] == "minimum"

    search = (await outsider.api("GET", "/api/v1/clients", params={"q": "alex rivera"})).json()
    assert search["results"] == [{"id": client_id, "first_name": "Alex", "last_name": "Rivera",
                                  "birth_year": 1990, "visible": False}]
    assert (await outsider.api("GET", f"/api/v1/clients/{client_id}/history")).status_code == 403


async def test_a_signed_roi_shows_the_details(staff, outsider, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    make_signed_roi(db, db.get(Client, client_id), staff.program, (outsider.program,), staff.user)
    db.commit()
    body = (await outsider.api("GET", f"/api/v1/clients/{client_id}")).json()
    assert body["visible"] is True and body["dob"] == "1990-04-12"
    event = audits(db, "client.viewed")[-1]
    assert event.detail["view"] == "full" and "dob" in event.detail["fields"]
    assert_no_values(event, "1990", "Rivera", "555")


async def test_search_is_audited_with_ids_only(staff, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    r = await staff.api("GET", "/api/v1/clients", params={"q": "Alex Rivera"})
    assert [h["id"] for h in r.json()["results"]] == [client_id]
    assert r.json()["results"][0]["dob"] == "1990-04-12"
    [event] = audits(db, "client.searched")
    assert event.detail["shown"] == [client_id] and event.detail["full"] == [client_id]
    assert_no_values(event, "Alex", "Rivera")


async def test_bad_search_date_is_a_422(staff):
    r = await staff.api("GET", "/api/v1/clients", params={"q": "x", "dob": "tomorrow"})
    assert r.status_code == 422 and r.json()["field"] == "dob"


async def test_unknown_client_is_404(staff):
    assert (await staff.api("GET", "/api/v1/clients/999")).status_code == 404


# --- update -----------------------------------------------------------------------------------


async def test_update_records_what_changed(staff, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    edited = {**VALID, "city": "East Helena", "zip": "59635",
              "phones": [{"number": "406 555 1234", "label": "mobile"},
                         {"number": "406 555 7777", "label": "work"}]}
    r = await staff.api("PUT", f"/api/v1/clients/{client_id}", json=edited)
    assert r.status_code == 200, r.text
    assert set(r.json()["changed"]) == {"city", "zip", "phones"}
    assert [p["e164"] for p in r.json()["phones"]] == ["+14065551234", "+14065557777"]
    history = (await staff.api("GET", f"/api/v1/clients/{client_id}/history")).json()["history"]
    assert [h["kind"] for h in history] == ["updated", "created"]
    assert history[0]["changes"]["city"] == ["Helena", "East Helena"]
    [event] = audits(db, "client.updated")
    assert set(event.detail["fields"]) == {"city", "zip", "phones"}
    assert_no_values(event, "Helena", "59635", "7777")

    r = await staff.api("PUT", f"/api/v1/clients/{client_id}", json=edited)
    assert r.json()["changed"] == []
    assert len(audits(db, "client.updated")) == 1


async def test_update_renames_keep_search_keys_current(staff, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    await staff.api("PUT", f"/api/v1/clients/{client_id}", json={**VALID, "last_name": "Rivera-Soto"})
    found = (await staff.api("GET", "/api/v1/clients", params={"q": "alex soto"})).json()["results"]
    assert [h["id"] for h in found] == [client_id]


async def test_update_into_an_exact_duplicate_is_refused(staff, db):
    first = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    other = {**VALID, "first_name": "Sam", "dob": "1980-01-01"}
    second = (await staff.api("POST", "/api/v1/clients", json=other)).json()["id"]
    r = await staff.api("PUT", f"/api/v1/clients/{second}", json=VALID)
    assert r.status_code == 409 and r.json()["exact"] == [first]
    assert db.get(Client, second).first_name == "Sam"


async def test_only_programs_that_see_the_client_may_edit(staff, outsider, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    r = await outsider.api("PUT", f"/api/v1/clients/{client_id}", json={**VALID, "city": "Butte"})
    assert r.status_code == 403 and r.json()["error"] == "client_not_visible"
    assert db.get(Client, client_id).city == "Helena"
    assert count(db, ClientChange) == 1


# --- identity check ---------------------------------------------------------------------------


async def test_identity_check_answers_match_or_no_match_only(staff, outsider, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    url = f"/api/v1/clients/{client_id}/identity-check"
    yes = await outsider.api("POST", url, json={"dob": "04/12/1990", "phone": "406-555-1234"})
    assert yes.json() == {"match": True}
    by_address = await outsider.api("POST", url, json={"dob": "1990-04-12", "address": "12 last chance gulch"})
    assert by_address.json() == {"match": True}
    no = await outsider.api("POST", url, json={"dob": "1990-04-13", "phone": "406-555-1234"})
    assert no.json() == {"match": False}
    events = audits(db, "client.identity_checked")
    assert [e.detail["result"] for e in events] == ["match", "match", "no_match"]
    assert events[0].detail["points"] == ["dob", "phone"]
    for event in events:
        assert_no_values(event, "1990", "555", "gulch")

    missing = await outsider.api("POST", url, json={"dob": "1990-04-12"})
    assert missing.status_code == 422 and missing.json()["field"] == "phone"


async def test_identity_checks_are_limited_per_day(staff, outsider, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    url = f"/api/v1/clients/{client_id}/identity-check"
    for day in range(1, 6):
        r = await outsider.api("POST", url, json={"dob": f"1990-01-{day:02d}", "phone": "4065551234"})
        assert r.json() == {"match": False}
    r = await outsider.api("POST", url, json={"dob": "1990-04-12", "phone": "4065551234"})
    assert r.status_code == 429 and r.json()["error"] == "too_many_identity_checks"
    assert len(audits(db, "client.identity_checked")) == 5


# --- the gate -----------------------------------------------------------------------------------


async def test_clients_need_the_user_mou_and_a_program(client, db):
    program = make_program(db, "A")
    other = make_program(db, "B")
    make_user(db, "nomou@example.org", provider_of=(program,), mou_signed=False)
    make_user(db, "two@example.org", provider_of=(program, other))
    db.commit()
    csrf = await login(client, "nomou@example.org")
    r = await client.get("/api/v1/clients", params={"q": "a"})
    assert r.status_code == 403 and r.json()["error"] == "user_mou_required"
    r = await client.post("/api/v1/clients", json=VALID, headers={"x-csrf-token": csrf})
    assert r.status_code == 403
    await client.post("/logout", data={"csrf_token": csrf})
    await login(client, "two@example.org")  # two programs: none chosen yet
    r = await client.get("/api/v1/clients/1")
    assert r.status_code == 403 and r.json()["error"] == "program_required"
    assert count(db, Client) == 0


async def test_clients_need_sign_in(client, db):
    assert (await client.get("/api/v1/clients", params={"q": "a"})).status_code == 401
    assert (await client.post("/api/v1/clients", json=VALID)).status_code == 401


def test_every_client_route_is_behind_the_gate():
    """A new client route cannot forget the MOU/program gate (or the administrators' one)."""
    from api.clients.forms import merge_actor
    from api.deps import mou_actor
    from api.routers import ROUTERS

    checked = 0
    for route in (r for router in ROUTERS for r in router.routes):
        path = getattr(route, "path", "")
        if not path.startswith(("/clients", "/api/v1/clients", "/admin/clients")):
            continue
        calls = set()
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            calls.add(dep.call)
            stack.extend(dep.dependencies)
        assert mou_actor in calls or merge_actor in calls, path
        checked += 1
    assert checked >= 14


# --- optimistic concurrency -------------------------------------------------------------------


async def test_a_stale_if_match_is_refused_with_412_and_nothing_is_saved(staff, db):
    client_id = (await staff.api("POST", "/api/v1/clients", json=VALID)).json()["id"]
    read = await staff.api("GET", f"/api/v1/clients/{client_id}")
    tag = read.headers["ETag"]
    first = await staff.api("PUT", f"/api/v1/clients/{client_id}", json={**VALID, "city": "East Helena"},
                            headers={"If-Match": tag})
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] != tag
    stale = await staff.api("PUT", f"/api/v1/clients/{client_id}", json={**VALID, "city": "Butte"},
                            headers={"If-Match": tag})
    assert stale.status_code == 412, stale.text
    assert stale.json()["error"] == "precondition_failed" and "changed by someone else" in stale.json()["detail"]
    db.expire_all()
    assert db.get(Client, client_id).city == "East Helena"
    current = await staff.api("PUT", f"/api/v1/clients/{client_id}", json={**VALID, "city": "Butte"},
                              headers={"If-Match": first.headers["ETag"]})
    assert current.status_code == 200, current.text
    assert (await staff.api("GET", f"/api/v1/clients/{client_id}")).headers["ETag"] == current.headers["ETag"]
    # Without If-Match the write goes ahead.
    assert (await staff.api("PUT", f"/api/v1/clients/{client_id}", json=VALID)).status_code == 200
