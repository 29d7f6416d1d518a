"""Importing HSDS 3.0: the round trip of the demo directory (JSON and CSV package), matching on a
second run, marking what a source no longer has, taxonomy mapping, and rejection of a bad file
with nothing written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from demo.seed import seed
from domain.montana import region_of
from directory_import.cli import run_import
from directory_import.importer import ImportRejected, import_directory
from directory_import.sources import read_bytes
from directory_import.tabular import write_tables
from models.audit import AuditEvent
from models.hsds import HsdsTermMapping
from models.agencies.tables import Agency, Program
from tests.conftest import _empty_tables
from tests.factories import montana_today
from tests.hsds.support import get_hsds, hsds_service, zip_package

VOLATILE = ("status", "last_modified")  # an imported program has no agency MOU yet: inactive


async def export(client, path: str, kind: str) -> list[dict]:
    """Every item of a paged /hsds list, each checked against the schema."""
    items, page = [], 1
    while True:
        sep = "&" if "?" in path else "?"
        body = await get_hsds(client, f"{path}{sep}per_page=100&page={page}", kind, page=True)
        items += body["contents"]
        if body["last_page"]:
            return items
        page += 1


def _steady(obj):
    """``obj`` without the services' status and last_modified, at any depth."""
    if isinstance(obj, list):
        return [_steady(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _steady(v) for k, v in obj.items() if k not in VOLATILE}
    return obj


async def _snapshot(client) -> dict:
    return {"services": _steady(await export(client, "/hsds/services?full=true", "service")),
            "organizations": _steady(await export(client, "/hsds/organizations?full=true", "organization")),
            "locations": await export(client, "/hsds/service_at_locations?full=true", "service_at_location")}


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("form", ["json", "csv"])
async def test_demo_directory_round_trip(client, db, engine, form):
    seed(db, montana_today())
    db.commit()
    before = await _snapshot(client)
    services = await export(client, "/hsds/services?full=true", "service")
    assert len(services) == 25 and len(before["organizations"]) == 22
    if form == "json":
        data = read_bytes("demo.json", json.dumps({"services": services}).encode())
    else:
        data = read_bytes("demo.zip", zip_package(write_tables(services)))
    _empty_tables(engine)
    db.expire_all()

    report = import_directory(db, data, source="demo")
    db.commit()
    assert report.counts() == {"created": 25, "updated": 0, "unchanged": 0, "skipped": 0, "removed": 0}
    after = await _snapshot(client)
    assert after == before

    again = import_directory(db, data, source="demo")
    db.commit()
    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 25, "skipped": 0, "removed": 0}
    assert await _snapshot(client) == before
    assert _count(db, Program) == 25 and _count(db, Agency) == 22


def _map(db, code: str, service: str) -> None:
    row = db.scalar(select(HsdsTermMapping).where(HsdsTermMapping.code == code))
    row.service = service
    db.commit()


async def test_unmapped_terms_skip_until_an_administrator_maps_them(client, db):
    first = import_directory(db, [hsds_service(1)], source="211")
    db.commit()
    assert first.counts()["skipped"] == 1 and "maps to a CONNECT service" in first.skipped[0].reason
    assert first.unmapped_terms == {("AIRS", "BD-1800.2000")}
    _map(db, "BD-1800.2000", "food_nutrition")
    second = import_directory(db, [hsds_service(1)], source="211")
    db.commit()
    assert second.counts()["created"] == 1 and not second.unmapped_terms
    program = db.scalar(select(Program))
    assert (program.name, program.agency.name, program.phone, program.address, program.region) == (
        "Pantry 1", "Great Falls Food Network", "(406) 555-0101", "1 Central Ave, Great Falls, MT 59401", region_of("Cascade"))
    assert [s.service for s in program.services] == ["food_nutrition"]
    assert program.hsds_id == "00000000-0000-4000-8000-000000000001" and program.mou_expires_on is None
    served = await get_hsds(client, f"/hsds/services/{program.hsds_id}", "service")
    assert served["service_at_locations"][0]["location_id"] == "66666666-0000-4000-8000-000000000001"


async def test_second_run_updates_marks_removed_and_never_duplicates(client, db):
    import_directory(db, [hsds_service(1)], source="211")  # makes the mapping row
    _map(db, "BD-1800.2000", "food_nutrition")
    first = import_directory(db, [hsds_service(1), hsds_service(2), hsds_service(3, county="Atlantis")], source="211")
    db.commit()
    assert first.counts() == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 1, "removed": 0}
    assert "no Montana county" in first.skipped[0].reason and "Atlantis" in first.skipped[0].reason
    other = import_directory(db, [hsds_service(9)], source="other-211")
    db.commit()
    assert other.counts()["created"] == 1

    renamed = hsds_service(1, name="Pantry One", county="Teton County")
    second = import_directory(db, [renamed, renamed], source="211")
    db.commit()
    assert second.counts() == {"created": 0, "updated": 1, "unchanged": 0, "skipped": 1, "removed": 1}
    assert "name" in second.updated[0].reason and "counties" in second.updated[0].reason
    assert second.removed[0].name.endswith("Pantry 2")
    programs = {p.name: p.is_active for p in db.scalars(select(Program))}
    assert programs == {"Pantry One": True, "Pantry 2": False, "Pantry 9": True}  # the other source kept
    actions = {e.action for e in db.scalars(select(AuditEvent))}
    assert {"program.imported", "program.import_updated", "program.import_removed", "hsds.imported"} <= actions
    gone = await get_hsds(client, "/hsds/services?search=pantry&minimal=true", "service", page=True)
    assert {s["name"]: s["status"] for s in gone["contents"]}["Pantry 2"] == "inactive"


async def test_a_bad_file_is_rejected_whole_with_the_reason(db, settings, tmp_path, capsys):
    good = hsds_service(1, term={"id": "9b6a5e0c-0000-4000-8000-000000000000", "code": "x", "name": "x", "description": "x"})
    bad = hsds_service(2)
    del bad["status"]
    bad["phones"][0]["number"] = 4065550102
    path = tmp_path / "directory.json"
    path.write_text(json.dumps([good, bad]))
    assert run_import(settings, path, "211") == 1
    err = capsys.readouterr().err
    assert "not valid HSDS 3.0" in err and "'Pantry 2': (top): \"status\" is a required property" in err
    assert "phones/0/number: 4065550102 is not of type \"string\"" in err
    assert _count(db, Program) == 0 and _count(db, Agency) == 0 and _count(db, HsdsTermMapping) == 0
    with pytest.raises(ImportRejected):
        read_bytes("broken.json", b"{not json")
    with pytest.raises(ImportRejected, match="no services.csv"):
        read_bytes("empty.zip", zip_package({"organizations.csv": "id,name\n"}))


async def test_the_command_imports_and_reports(db, settings, tmp_path, capsys):
    import_directory(db, [hsds_service(1)], source="211")
    _map(db, "BD-1800.2000", "food_nutrition")
    path = tmp_path / "directory.json"
    path.write_text(json.dumps({"contents": [hsds_service(1), hsds_service(2)]}))
    assert run_import(settings, path, "211") == 0
    out = capsys.readouterr().out
    assert "2 services" in out and "2 created, 0 updated, 0 unchanged, 0 skipped, 0 removed" in out
    db.expire_all()
    assert _count(db, Program) == 2
