"""The administrators' HSDS page: import a file, see the report, map a term; audited, admins only,
and an import reaching outside an administrator's regions writes nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from domain.montana import region_of
from models.agencies.tables import Program
from models.audit import AuditEvent
from models.hsds import HsdsTermMapping
from tests.factories import HTML, login, make_program, make_user
from tests.hsds.support import hsds_service, zip_package
from directory_import.tabular import write_tables


def _upload(csrf: str, services: list, name: str = "211.json", source: str = "211"):
    content = json.dumps(services).encode() if name.endswith(".json") else zip_package(write_tables(services))
    return {"data": {"csrf_token": csrf, "source": source}, "files": {"file": (name, content)}}


def _programs(db) -> int:
    return db.scalar(select(func.count()).select_from(Program))


async def test_import_map_and_import_again(client, db):
    admin = make_user(db, state_team=True)
    db.commit()
    csrf = await login(client, admin.email)
    first = await client.post("/admin/hsds/import", headers=HTML, **_upload(csrf, [hsds_service(1), hsds_service(2)]))
    assert first.status_code == 200
    assert "0 created, 0 updated, 0 unchanged, 2 skipped" in first.text and "maps to a CONNECT service" in first.text
    assert "BD-1800.2000" in first.text and "Food Pantries" in first.text
    row = db.scalar(select(HsdsTermMapping))
    mapped = await client.post(f"/admin/hsds/terms/{row.id}", headers=HTML,
                               data={"csrf_token": csrf, "service": "food_nutrition"}, follow_redirects=False)
    assert mapped.status_code == 303
    db.expire_all()
    assert db.get(HsdsTermMapping, row.id).service == "food_nutrition"
    again = await client.post("/admin/hsds/import", headers=HTML,
                              **_upload(csrf, [hsds_service(1), hsds_service(2)], name="211.zip"))
    assert again.status_code == 200 and "2 created" in again.text and "Pantry 2" in again.text
    assert _programs(db) == 2
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.user_id == admin.id))]
    assert actions.count("hsds.imported") == 2 and "hsds.term_mapped" in actions
    bad = await client.post(f"/admin/hsds/terms/{row.id}", headers=HTML, data={"csrf_token": csrf, "service": "magic"})
    assert bad.status_code == 422 and "not one of CONNECT" in bad.text


async def test_a_bad_file_shows_why_and_writes_nothing(client, db):
    admin = make_user(db, state_team=True)
    db.commit()
    csrf = await login(client, admin.email)
    broken = hsds_service(1)
    broken["status"] = "open"
    answer = await client.post("/admin/hsds/import", headers=HTML, **_upload(csrf, [broken]))
    assert answer.status_code == 422 and "not valid HSDS 3.0" in answer.text
    assert "status: &#34;open&#34; is not one of" in answer.text
    assert _programs(db) == 0 and db.scalar(select(func.count()).select_from(HsdsTermMapping)) == 0
    missing = await client.post("/admin/hsds/import", headers=HTML, data={"csrf_token": csrf})
    assert missing.status_code == 422 and "Choose the HSDS file" in missing.text


async def test_only_administrators_and_only_in_their_regions(client, db):
    program = make_program(db, "Helena Food Share")
    provider = make_user(db, gatekeeper_of=(program,))
    regional = make_user(db, admin_regions=(region_of("Lewis and Clark"),))
    db.add(HsdsTermMapping(taxonomy="AIRS", code="BD-1800.2000", service="food_nutrition"))
    db.commit()
    csrf = await login(client, provider.email)
    assert (await client.get("/admin/hsds", headers=HTML)).status_code == 403
    refused = await client.post("/admin/hsds/import", headers=HTML, **_upload(csrf, [hsds_service(1)]))
    assert refused.status_code == 403
    client.cookies.clear()
    csrf = await login(client, regional.email)
    assert (await client.get("/admin/hsds", headers=HTML)).status_code == 200
    # Cascade County is not in this administrator's region: nothing of the file is written.
    outside = await client.post("/admin/hsds/import", headers=HTML,
                                **_upload(csrf, [hsds_service(1, county="Lewis and Clark County"), hsds_service(2)]))
    assert outside.status_code == 403 and "region" in outside.text
    assert _programs(db) == 1
    inside = await client.post("/admin/hsds/import", headers=HTML,
                               **_upload(csrf, [hsds_service(1, county="Lewis and Clark County")]))
    assert inside.status_code == 200 and "1 created" in inside.text
