"""Issue #19: a NUL character in any text input is refused with 422 naming the field, for JSON,
forms and the query string alike, and nothing is written (PostgreSQL would refuse it with a 500)."""

from __future__ import annotations

from sqlalchemy import func, select

from models.clients.tables import Client
from tests.clients.conftest import VALID, page_form


async def test_a_nul_in_a_json_address_is_refused(staff, db):
    r = await staff.api("POST", "/api/v1/clients", json={**VALID, "address": "12 Last\u0000 Chance Gulch"})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "address" and "NUL" in r.json()["detail"]
    nested = await staff.api("POST", "/api/v1/clients",
                             json={**VALID, "phones": [{"number": "406\u00005551234", "label": "mobile"}]})
    assert nested.status_code == 422 and nested.json()["field"] == "phones.0.number"
    assert db.scalar(select(func.count(Client.id))) == 0


async def test_a_nul_in_a_form_field_is_refused(staff, db):
    r = await staff.page("POST", "/clients/new", page_form(address="12 Last Chance\x00 Gulch"))
    assert r.status_code == 422 and "NUL" in r.text
    assert db.scalar(select(func.count(Client.id))) == 0


async def test_a_nul_in_the_query_string_is_refused(staff):
    r = await staff.page("GET", "/clients?q=Alex%00")
    assert r.status_code == 422 and "NUL" in r.text
    api = await staff.api("GET", "/api/v1/clients?q=Alex%00")
    assert api.status_code == 422 and api.json()["field"] == "q"


async def test_ordinary_input_still_passes(staff):
    r = await staff.api("POST", "/api/v1/clients", json=VALID)
    assert r.status_code == 201, r.text
