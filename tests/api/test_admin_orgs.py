"""Administration of agencies and programs, scoped to the administrator's regions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.agencies.tables import Agency, Program, ProgramFormField
from tests.factories import HTML, login, make_program, make_user, montana_today

# Lewis and Clark is in region 4; Cascade in region 2.
PROGRAM = {
    "name": "Community Pantry", "region": 4, "phone": "406.555.0142", "email": "Intake@Pantry.example",
    "address": "1 Last Chance Gulch, Helena", "website": "https://pantry.example",
    "services": ["food_nutrition", "transportation"], "insurances": ["not_applicable"],
    "counties": [{"county": "Lewis and Clark", "telemedicine": False},
                 {"county": "lewis & clark county", "telemedicine": False},
                 {"county": "Jefferson", "telemedicine": True}],
    "is_part2": False,
}


async def as_admin(client, db, regions=(4, 5), state_team=False, email="admin@example.org"):
    admin = make_user(db, email, name="Riley Regional", admin_regions=() if state_team else regions,
                      state_team=state_team)
    db.commit()
    csrf = await login(client, admin.email)
    return admin, {"x-csrf-token": csrf}, csrf


async def test_create_agency_with_its_first_program(client, db):
    admin, headers, _ = await as_admin(client, db)
    answer = await client.post("/api/v1/admin/agencies", headers=headers,
                               json={"agency_name": "Helena Pantry", "program": PROGRAM})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["display_name"] == "Helena Pantry — Community Pantry"
    assert body["phone"] == "(406) 555-0142" and body["email"] == "intake@pantry.example"
    assert body["counties"] == [{"county": "Jefferson", "telemedicine": True},
                                {"county": "Lewis and Clark", "telemedicine": False}]
    assert body["mou_status"] == "missing"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "program.created",
                                              AuditEvent.user_id == admin.id))


@pytest.mark.parametrize(
    ("change", "status", "field", "reason"),
    [
        ({"region": 2}, 403, None, "region 2 is not one of them"),
        ({"region": None}, 422, "region", "Choose the program's region"),
        ({"services": ["food_nutrition", "astrology"]}, 422, "services", "'astrology' is not one of"),
        ({"services": []}, 422, "services", "at least one service"),
        ({"insurances": []}, 422, "insurances", "N/A"),
        ({"counties": [{"county": "Atlantis"}]}, 422, "counties", "not a Montana county"),
        ({"counties": []}, 422, "counties", "at least one county"),
        ({"phone": "555-12"}, 422, "phone", ""),
        ({"email": "not-an-email"}, 422, "email", "valid email"),
        ({"website": "pantry.example"}, 422, "website", "https://"),
        ({"name": "  "}, 422, "name", "Give the program a name"),
    ],
)
async def test_bad_program_input_is_refused_and_nothing_is_stored(client, db, change, status, field, reason):
    _, headers, _ = await as_admin(client, db)
    answer = await client.post("/api/v1/admin/agencies", headers=headers,
                               json={"agency_name": "Refused Agency", "program": {**PROGRAM, **change}})
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert reason in body["detail"]
    if field:
        assert body.get("field", "") == field or field in body["detail"]
    assert db.scalar(select(func.count()).select_from(Agency)) == 0
    assert db.scalar(select(func.count()).select_from(Program)) == 0


async def test_duplicate_names_are_refused(client, db):
    existing = make_program(db, "Food", county="Lewis and Clark")
    _, headers, _ = await as_admin(client, db)
    dup_agency = await client.post("/api/v1/admin/agencies", headers=headers,
                                   json={"agency_name": existing.agency.name.upper(), "program": PROGRAM})
    assert dup_agency.status_code == 422 and dup_agency.json()["field"] == "agency_name"
    dup_program = await client.post(f"/api/v1/admin/agencies/{existing.agency_id}/programs",
                                    headers=headers, json={**PROGRAM, "name": "food"})
    assert dup_program.status_code == 422 and "has a program named" in dup_program.json()["detail"]


async def test_update_program_replaces_lists_and_is_audited(client, db):
    program = make_program(db, services=("food_nutrition", "housing"), telemedicine_counties=("Cascade",))
    _, headers, _ = await as_admin(client, db)
    answer = await client.put(f"/api/v1/admin/programs/{program.id}", headers=headers,
                              json={**PROGRAM, "name": program.name, "is_part2": True})
    assert answer.status_code == 200, answer.text
    db.expire_all()
    fresh = db.get(Program, program.id)
    assert sorted(s.service for s in fresh.services) == ["food_nutrition", "transportation"]
    assert sorted((c.county, c.telemedicine) for c in fresh.counties) == [
        ("Jefferson", True), ("Lewis and Clark", False)]
    assert fresh.is_part2
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "program.updated"))
    assert {"services", "counties", "is_part2", "phone"} <= set(event.detail["fields"])


async def test_program_page_form_saves_and_marks_errors(client, db):
    program = make_program(db)
    _, _, csrf = await as_admin(client, db)
    page = await client.get(f"/admin/programs/{program.id}", headers=HTML)
    assert page.status_code == 200 and 'name="county:Lewis and Clark"' in page.text
    form = {"csrf_token": csrf, "name": program.name, "region": "4", "services": ["housing"],
            "insurances": ["medicaid", "uninsured_sliding_scale"], "county:Lewis and Clark": "in_person",
            "county:Broadwater": "telemedicine", "is_active": "true", "is_part2": "true"}
    saved = await client.post(f"/admin/programs/{program.id}", headers=HTML, data=form)
    assert saved.status_code == 303, saved.text
    db.expire_all()
    fresh = db.get(Program, program.id)
    assert fresh.is_part2 and {c.county for c in fresh.counties} == {"Lewis and Clark", "Broadwater"}
    bad = await client.post(f"/admin/programs/{program.id}", headers=HTML,
                            data={**form, "services": [], "county:Broadwater": "telemedicine"})
    assert bad.status_code == 422
    assert 'data-testid="error-services"' in bad.text
    assert 'value="telemedicine" selected' in bad.text  # what was typed is shown again


async def test_new_agency_page(client, db):
    _, _, csrf = await as_admin(client, db)
    form = {"csrf_token": csrf, "agency_name": "Clancy Clinic", "name": "Clancy Clinic", "region": "4",
            "services": ["primary_care"], "insurances": ["medicaid"], "county:Jefferson": "in_person",
            "is_active": "true"}
    answer = await client.post("/admin/agencies/new", headers=HTML, data=form)
    assert answer.status_code == 303, answer.text
    program = db.scalar(select(Program).where(Program.name == "Clancy Clinic"))
    assert program.display_name == "Clancy Clinic" and program.region == 4
    listing = await client.get("/admin/agencies?q=clancy", headers=HTML)
    assert "Clancy Clinic" in listing.text


async def test_referral_form_fields(client, db):
    program = make_program(db)
    _, headers, csrf = await as_admin(client, db)
    url = f"/api/v1/admin/programs/{program.id}/fields"
    made = await client.post(url, headers=headers, json={
        "tab": "Eligibility", "label": "Household size", "kind": "choice",
        "choices": ["1-2", "3-4", "5 or more"], "required": True})
    assert made.status_code == 201, made.text
    assert made.json()["key"] == "household_size"
    twin = await client.post(url, headers=headers, json={"tab": "Eligibility", "label": "Household size?",
                                                         "kind": "yesno"})
    assert twin.json()["key"] == "household_size_2"
    for bad, reason in [({"kind": "choice", "choices": ["only"]}, "at least two choices"),
                        ({"tab": "Personal Info"}, "every referral has already"),
                        ({"kind": "number"}, "yes/no")]:
        refused = await client.post(url, headers=headers, json={"tab": "Extra", "label": "Q", "kind": "text", **bad})
        assert refused.status_code == 422 and reason in refused.json()["detail"]
    field_id = made.json()["id"]
    changed = await client.put(f"{url}/{field_id}", headers=headers, json={
        "tab": "Eligibility", "label": "People in the household", "kind": "date"})
    assert changed.json()["key"] == "household_size" and changed.json()["choices"] == []
    assert (await client.delete(f"{url}/{twin.json()['id']}", headers=headers)).status_code == 204
    assert [f["label"] for f in (await client.get(url)).json()] == ["People in the household"]

    page = await client.post(f"/admin/programs/{program.id}/fields", headers=HTML, data={
        "csrf_token": csrf, "tab": "Eligibility", "label": "Due date", "kind": "date", "required": "on"})
    assert page.status_code == 303
    bad = await client.post(f"/admin/programs/{program.id}/fields", headers=HTML, data={
        "csrf_token": csrf, "tab": "Eligibility", "label": "Pick", "kind": "choice", "choices": "one"})
    assert bad.status_code == 422 and 'data-testid="error-choices"' in bad.text
    rows = db.scalars(select(ProgramFormField).where(ProgramFormField.program_id == program.id)).all()
    assert sorted((f.label, f.required) for f in rows) == [("Due date", True), ("People in the household", False)]


async def test_designated_admin_sees_and_manages_only_their_regions(client, db):
    mine = make_program(db, "West Program", county="Missoula")  # region 5
    theirs = make_program(db, "East Program", county="Custer")  # region 1
    _, headers, _ = await as_admin(client, db, regions=(5,))
    programs = (await client.get("/api/v1/admin/programs")).json()
    assert [p["id"] for p in programs["items"]] == [mine.id]
    agencies = (await client.get("/api/v1/admin/agencies")).json()
    assert [a["id"] for a in agencies["items"]] == [mine.agency_id]
    assert (await client.get(f"/api/v1/admin/programs/{theirs.id}")).status_code == 403
    assert (await client.get(f"/api/v1/admin/agencies/{theirs.agency_id}")).status_code == 403
    assert (await client.get("/api/v1/admin/agencies/999999")).status_code == 404
    moved = await client.put(f"/api/v1/admin/programs/{mine.id}", headers=headers,
                             json={**PROGRAM, "name": mine.name, "region": 1})
    assert moved.status_code == 403 and "region 1 is not one of them" in moved.json()["detail"]
    page = await client.get(f"/admin/programs/{theirs.id}", headers=HTML)
    assert page.status_code == 403


async def test_renaming_an_agency_across_regions_is_for_the_state_team(client, db):
    west = make_program(db, "West", county="Missoula")
    make_program(db, "East", agency=west.agency, county="Custer")
    db.commit()
    _, headers, _ = await as_admin(client, db, regions=(5,))
    refused = await client.patch(f"/api/v1/admin/agencies/{west.agency_id}", headers=headers,
                                 json={"agency_name": "Renamed"})
    assert refused.status_code == 403 and "ask the state team" in refused.json()["detail"]
    client.cookies.clear()
    _, headers, _ = await as_admin(client, db, state_team=True, email="state@example.org")
    done = await client.patch(f"/api/v1/admin/agencies/{west.agency_id}", headers=headers,
                              json={"agency_name": "Renamed"})
    assert done.status_code == 200 and done.json()["name"] == "Renamed"


async def test_non_admins_are_refused(client, db):
    program = make_program(db)
    make_user(db, "gk@example.org", gatekeeper_of=(program,))
    db.commit()
    await login(client, "gk@example.org")
    assert (await client.get("/api/v1/admin/programs")).status_code == 403
    assert (await client.get("/admin", headers=HTML)).status_code == 403


async def test_mou_overview_lists_due_soon_lapsed_and_missing(client, db):
    today = montana_today()
    valid = make_program(db, "Valid")
    due = make_program(db, "Due Soon")
    due.mou_expires_on = today + timedelta(days=10)
    lapsed = make_program(db, "Lapsed")
    lapsed.mou_expires_on = today - timedelta(days=3)
    missing = make_program(db, "Never Signed", mou_valid=False)
    outside = make_program(db, "Elsewhere", county="Custer", mou_valid=False)
    make_user(db, "gina@example.org", name="Gina Gatekeeper", gatekeeper_of=(lapsed,))
    _, _, _ = await as_admin(client, db)
    listed = (await client.get("/api/v1/admin/mou")).json()
    assert [i["program_id"] for i in listed["items"]] == [missing.id, lapsed.id, due.id]
    assert [i["mou_status"] for i in listed["items"]] == ["missing", "lapsed", "due_soon"]
    assert listed["items"][1]["gatekeepers"][0]["full_name"] == "Gina Gatekeeper"
    only_due = (await client.get("/api/v1/admin/mou?status=due_soon")).json()
    assert [i["program_id"] for i in only_due["items"]] == [due.id]
    page = await client.get("/admin/mou", headers=HTML)
    assert "Due Soon" in page.text and "Lapsed" in page.text and "Gina Gatekeeper" in page.text
    assert valid.name not in page.text.split('data-testid="mou-list"')[1]
    assert outside.name not in page.text
    home = await client.get("/admin", headers=HTML)
    assert "<strong>1</strong> lapsed · <strong>1</strong> due soon · <strong>1</strong> not signed" in home.text


async def test_a_program_edit_with_a_stale_etag_is_refused(client, db):
    program = make_program(db)
    _, headers, _ = await as_admin(client, db)
    url = f"/api/v1/admin/programs/{program.id}"
    tag = (await client.get(url, headers=headers)).headers["ETag"]
    first = await client.put(url, headers={**headers, "If-Match": tag}, json={**PROGRAM, "name": program.name})
    assert first.status_code == 200, first.text
    stale = await client.put(url, headers={**headers, "If-Match": tag},
                             json={**PROGRAM, "name": program.name, "phone": "406.555.0199"})
    assert stale.status_code == 412 and stale.json()["error"] == "precondition_failed"
    db.expire_all()
    assert "0199" not in db.get(Program, program.id).phone
    fresh = await client.put(url, headers={**headers, "If-Match": first.headers["ETag"]},
                             json={**PROGRAM, "name": program.name, "phone": "406.555.0199"})
    assert fresh.status_code == 200, fresh.text


def test_etags_are_in_the_contract(app):
    paths = app.openapi()["paths"]
    for path, read, write in (("/api/v1/clients/{client_id}", "get", "put"),
                              ("/api/v1/admin/programs/{program_id}", "get", "put")):
        assert "ETag" in paths[path][read]["responses"]["200"]["headers"]
        assert "If-Match" in [p.get("name") for p in paths[path][write]["parameters"]]
        assert paths[path][write]["responses"]["412"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}
