"""The directory published as HSDS 3.0 under /hsds: every answer validates against the spec's
schemas (tests.hsds.support), filters combine, lapsed-MOU programs are published inactive."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.hsds_terms import INSURANCE_TAXONOMY, SERVICE_TAXONOMY
from tests.factories import make_program
from tests.hsds.support import get_hsds


def _directory(db):
    food = make_program(db, "Helena Food Share", county="Lewis and Clark", services=("food_nutrition",),
                        insurance=("not_applicable",), telemedicine_counties=("Cascade",))
    food.phone, food.email, food.website = "(406) 555-0101", "intake@food.example", "https://food.example"
    food.address = "1616 Lewis Street, Suite 2, Helena, MT 59601"
    food.description = "Groceries every weekday."
    clinic = make_program(db, "Primary Care", county="Yellowstone", services=("primary_care", "dental"),
                          insurance=("medicaid", "medicare"))
    clinic.address = "somewhere behind the mill"
    lapsed = make_program(db, "Hi-Line Help", county="Hill", services=("housing",), mou_valid=False)
    lapsed.mou_expires_on = datetime.now(timezone.utc).date() - timedelta(days=3)
    second = make_program(db, "Dental Van", agency=clinic.agency, county="Yellowstone", services=("dental",))
    db.commit()
    return food, clinic, lapsed, second


async def test_root_names_the_version_and_the_openapi(client, db):
    body = (await client.get("/hsds/")).json()
    assert body["version"] == "3.0" and body["openapi_url"].endswith("/openapi.json")
    assert body["profile"].startswith("https://")


async def test_services_pages_full_and_minimal_validate(client, db):
    food, clinic, lapsed, second = _directory(db)
    listed = await get_hsds(client, "/hsds/services?per_page=2", "service", page=True)
    assert (listed["total_items"], listed["total_pages"], listed["size"]) == (4, 2, 2)
    assert listed["first_page"] and not listed["last_page"] and not listed["empty"]
    assert "phones" not in listed["contents"][0]  # a list holds one-to-one fields only
    last = await get_hsds(client, "/hsds/services?per_page=2&page=2&full=true", "service", page=True)
    assert last["last_page"] and all("service_areas" in s for s in last["contents"])
    minimal = await get_hsds(client, "/hsds/services?minimal=true&per_page=100", "service", page=True)
    assert set(minimal["contents"][0]) == {"id", "name", "status", "last_modified"}
    status = {s["name"]: s["status"] for s in minimal["contents"]}
    assert status == {"Helena Food Share": "active", "Primary Care": "active", "Dental Van": "active",
                      "Hi-Line Help": "inactive"}  # lapsed MOU: published, inactive


async def test_one_service_is_fully_nested(client, db):
    food, *_ = _directory(db)
    body = await get_hsds(client, f"/hsds/services/{food.hsds_id}", "service")
    assert body["id"] == food.hsds_id and body["organization_id"] == food.agency.hsds_id
    assert body["organization"]["name"] == food.agency.name
    assert body["url"] == "https://food.example" and body["email"] == "intake@food.example"
    assert body["phones"][0]["number"] == "(406) 555-0101"
    areas = {a["name"]: a["description"] for a in body["service_areas"]}
    assert areas == {"Lewis and Clark County, MT": "In person", "Cascade County, MT": "By telemedicine"}
    address = body["service_at_locations"][0]["location"]["addresses"][0]
    assert (address["address_1"], address["address_2"], address["city"], address["state_province"],
            address["postal_code"], address["country"]) == ("1616 Lewis Street", "Suite 2", "Helena", "MT", "59601", "US")
    terms = {(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"]) for a in body["attributes"]}
    assert terms == {("CONNECT services", "food_nutrition"), ("CONNECT insurance types", "not_applicable")}
    assert body["eligibility_description"] == "Insurance accepted: N/A (no insurance needed)."
    again = await get_hsds(client, f"/hsds/services/{food.hsds_id}", "service")
    assert again == body  # every nested id is stable


async def test_an_address_that_does_not_parse_is_published_as_text(client, db):
    _food, clinic, *_ = _directory(db)
    body = await get_hsds(client, f"/hsds/services/{clinic.hsds_id}", "service")
    location = body["service_at_locations"][0]["location"]
    assert "addresses" not in location and location["description"] == "somewhere behind the mill"


async def test_filters_combine(client, db):
    food, clinic, lapsed, second = _directory(db)
    dental = SERVICE_TAXONOMY.term_id("dental")
    both = await get_hsds(client, f"/hsds/services?taxonomy_term_id={dental}", "service", page=True)
    assert {s["name"] for s in both["contents"]} == {"Primary Care", "Dental Van"}
    one = await get_hsds(client, f"/hsds/services?taxonomy_term_id={dental}&search=van", "service", page=True)
    assert [s["name"] for s in one["contents"]] == ["Dental Van"]
    medicaid = INSURANCE_TAXONOMY.term_id("medicaid")
    org = await get_hsds(client, f"/hsds/services?taxonomy_term_id={medicaid}&organization_id={clinic.agency.hsds_id}",
                         "service", page=True)
    assert [s["name"] for s in org["contents"]] == ["Primary Care"]
    none = await get_hsds(client, f"/hsds/services?taxonomy_term_id={medicaid}&organization_id={food.agency.hsds_id}",
                          "service", page=True)
    assert none["empty"] and none["total_items"] == 0 and none["contents"] == []
    unknown = await get_hsds(client, "/hsds/services?taxonomy_id=6f1c1b8e-0000-4000-8000-000000000000", "service", page=True)
    assert unknown["empty"]
    insured = await get_hsds(client, f"/hsds/services?taxonomy_id={INSURANCE_TAXONOMY.id}", "service", page=True)
    assert insured["total_items"] == 4


async def test_modified_after_sees_edits_and_lapses(client, db):
    food, clinic, lapsed, second = _directory(db)
    past = datetime.now(timezone.utc) - timedelta(days=1)
    for p in (food, clinic, second):
        p.updated_at = past - timedelta(days=30)
    lapsed.updated_at = past - timedelta(days=30)  # lapsed 3 days ago: changed in the feed then
    food.updated_at = datetime.now(timezone.utc)
    db.commit()
    since = (past - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%S")
    found = await get_hsds(client, f"/hsds/services?modified_after={since}", "service", page=True)
    assert {s["name"] for s in found["contents"]} == {"Helena Food Share", "Hi-Line Help"}


async def test_postcode_and_proximity_on_service_at_locations(client, db):
    food, clinic, lapsed, second = _directory(db)
    # 59401 is Great Falls (Cascade County): the food share serves it by telemedicine.
    served = await get_hsds(client, "/hsds/service_at_locations?postcode=59401", "service_at_location", page=True)
    assert [s["service_id"] for s in served["contents"]] == [food.hsds_id]
    # Helena's office is about 7 km from the centre of 59602 and 140 km from Great Falls'.
    near = await get_hsds(client, "/hsds/service_at_locations?postcode=59602&proximity=20000&full=true",
                          "service_at_location", page=True)
    assert [s["service_id"] for s in near["contents"]] == [food.hsds_id]
    assert near["contents"][0]["location"]["addresses"][0]["postal_code"] == "59601"
    far = await get_hsds(client, "/hsds/service_at_locations?postcode=59401&proximity=20000", "service_at_location", page=True)
    assert far["empty"]
    r = await client.get("/hsds/service_at_locations?postcode=00000")
    assert r.status_code == 422 and r.json()["field"] == "postcode"
    r = await client.get("/hsds/service_at_locations?proximity=100")
    assert r.status_code == 422 and r.json()["field"] == "proximity"


async def test_service_at_location_by_id(client, db):
    food, *_ = _directory(db)
    listed = await get_hsds(client, f"/hsds/service_at_locations?organization_id={food.agency.hsds_id}",
                            "service_at_location", page=True)
    sal = listed["contents"][0]
    one = await get_hsds(client, f"/hsds/service_at_locations/{sal['id']}", "service_at_location")
    assert one["location"]["id"] == sal["location_id"] == food.hsds_location_id


async def test_organizations_list_full_and_one(client, db):
    food, clinic, lapsed, second = _directory(db)
    listed = await get_hsds(client, "/hsds/organizations", "organization", page=True)
    assert listed["total_items"] == 3 and "services" not in listed["contents"][0]
    full = await get_hsds(client, "/hsds/organizations?full=true&search=hi-line", "organization", page=True)
    assert [o["name"] for o in full["contents"]] == ["Agency of Hi-Line Help"]
    assert full["contents"][0]["services"][0]["status"] == "inactive"
    one = await get_hsds(client, f"/hsds/organizations/{clinic.agency.hsds_id}?full_service=true", "organization")
    assert {s["name"] for s in one["services"]} == {"Primary Care", "Dental Van"}
    assert all("service_areas" in s for s in one["services"])
    assert len(one["locations"]) == 2 and "Dental Van" in one["description"]


async def test_taxonomies_and_terms(client, db):
    taxonomies = await get_hsds(client, "/hsds/taxonomies", "taxonomy", page=True)
    assert {t["name"] for t in taxonomies["contents"]} == {"CONNECT services", "CONNECT insurance types"}
    await get_hsds(client, f"/hsds/taxonomies/{SERVICE_TAXONOMY.id}", "taxonomy")
    terms = await get_hsds(client, f"/hsds/taxonomy_terms?taxonomy_id={SERVICE_TAXONOMY.id}&per_page=100",
                           "taxonomy_term", page=True)
    assert terms["total_items"] == 30 and {t["taxonomy_id"] for t in terms["contents"]} == {SERVICE_TAXONOMY.id}
    housing = await get_hsds(client, "/hsds/taxonomy_terms?search=housing", "taxonomy_term", page=True)
    assert [t["code"] for t in housing["contents"]] == ["housing"]
    one = await get_hsds(client, f"/hsds/taxonomy_terms/{SERVICE_TAXONOMY.term_id('housing')}", "taxonomy_term")
    assert one["taxonomy_detail"]["name"] == "CONNECT services"


async def test_unknown_ids_and_bad_paging_answer_the_error_shape(client, db):
    for path in ["/hsds/services/nope", "/hsds/organizations/12", "/hsds/service_at_locations/x",
                 "/hsds/taxonomies/1", "/hsds/taxonomy_terms/1"]:
        r = await client.get(path)
        assert r.status_code == 404 and r.json()["error"] == "not_found", path
    for path in ["/hsds/services?per_page=0", "/hsds/services?page=-1", "/hsds/services?modified_after=yesterday"]:
        r = await client.get(path)
        assert r.status_code == 422 and r.json()["error"], path
