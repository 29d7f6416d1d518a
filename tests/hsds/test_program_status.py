"""Capacity and freshness: a gatekeeper sets the capacity and confirms the details (audited),
the directory shows both when choosing programs, and both APIs publish them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api.program_status.display import directory_status
from domain.program_status import needs_verification
from models.audit import AuditEvent
from tests.factories import HTML, login, make_program, make_user, montana_today
from tests.hsds.support import get_hsds
from tests.roi_support import make_scene, signed_in


@pytest.mark.parametrize(("days_ago", "stale"), [(None, True), (0, False), (364, False), (365, True), (800, True)])
def test_a_year_without_confirmation_needs_verification(days_ago, stale):
    today = montana_today()
    assert needs_verification(None if days_ago is None else today - timedelta(days=days_ago), today) is stale


async def test_gatekeeper_sets_capacity_published_in_both_apis(client, db):
    scene = make_scene(db)
    other = make_user(db, gatekeeper_of=(scene.sender,))
    db.commit()
    csrf = await login(client, scene.receiver_gatekeeper.email)
    headers = {"x-csrf-token": csrf}
    path = f"/api/v1/agency/programs/{scene.receiver.id}/capacity"
    saved = await client.post(path, headers=headers, json={"capacity": "waitlist"})
    assert saved.status_code == 200 and saved.json()["capacity_label"] == "Waitlist"
    bad = await client.post(path, headers=headers, json={"capacity": "full"})
    assert bad.status_code == 422
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "program.capacity_set"))
    assert event.user_id == scene.receiver_gatekeeper.id and event.entity_id == str(scene.receiver.id)
    db.refresh(scene.receiver)
    published = await get_hsds(client, f"/hsds/services/{scene.receiver.hsds_id}", "service")
    assert published["connect_capacity"] == "waitlist"
    client.cookies.clear()
    headers = await signed_in(client, scene)
    found = (await client.get("/api/v1/roi/directory?service=substance_use", headers=headers)).json()
    assert found["items"][0]["capacity"] == "waitlist"
    page = await client.get(f"/clients/{scene.client.id}/roi/new?service=substance_use", headers=HTML)
    assert 'data-testid="capacity">Waitlist<' in page.text and "Never verified" in page.text
    # A provider, or a gatekeeper of another program, may not.
    assert (await client.post(path, headers=headers, json={"capacity": "accepting"})).status_code == 403
    client.cookies.clear()
    csrf = await login(client, other.email)
    refused = await client.post(path, headers={"x-csrf-token": csrf}, json={"capacity": "accepting"})
    assert refused.status_code == 403 and refused.json()["error"] == "not_gatekeeper"
    assert (await client.get(f"/agency/programs/{scene.receiver.id}", headers=HTML)).status_code == 403


async def test_one_click_confirmation_from_the_mou_renewal(client, db):
    program = make_program(db, "Hi-Line Help", county="Hill")
    program.assured_on = montana_today() - timedelta(days=400)
    gatekeeper = make_user(db, name="Harper Hiline", gatekeeper_of=(program,))
    db.commit()
    assert directory_status(program, montana_today()).stale.startswith("Not verified since")
    csrf = await login(client, gatekeeper.email)
    mou = await client.get(f"/agency/mou/{program.id}", headers=HTML)
    assert 'data-testid="confirm-details"' in mou.text and "last verified on" in mou.text
    done = await client.post(f"/agency/programs/{program.id}/confirm", headers=HTML,
                             data={"csrf_token": csrf, "back": f"/agency/mou/{program.id}"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/agency/mou/{program.id}?done=confirmed"
    db.refresh(program)
    assert program.assured_on == montana_today() and program.assured_by_id == gatekeeper.id
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "program.details_confirmed"))
    assert event.user_id == gatekeeper.id
    published = await get_hsds(client, f"/hsds/services/{program.hsds_id}", "service")
    assert published["assured_date"] == montana_today().isoformat()
    assert published["assurer_email"] == gatekeeper.email
    status = (await client.get(f"/api/v1/agency/programs/{program.id}/status")).json()
    assert status["needs_verification"] is False and status["assured_by"] == "Harper Hiline"
    page = await client.get(f"/agency/programs/{program.id}", headers=HTML)
    assert "by Harper Hiline" in page.text
    # Elsewhere than the MOU page, the confirmation returns to the program's page.
    again = await client.post(f"/agency/programs/{program.id}/confirm", headers=HTML,
                              data={"csrf_token": csrf, "back": "https://evil.example/"}, follow_redirects=False)
    assert again.headers["location"] == f"/agency/programs/{program.id}?done=confirmed"
    via_api = await client.post(f"/api/v1/agency/programs/{program.id}/assurance", headers={"x-csrf-token": csrf})
    assert via_api.status_code == 200 and via_api.json()["assured_on"] == montana_today().isoformat()


async def test_administrators_list_programs_not_verified_for_a_year_oldest_first(client, db):
    today = montana_today()
    fresh = make_program(db, "Fresh Program")
    fresh.assured_on = today - timedelta(days=10)
    old = make_program(db, "Old Program")
    old.assured_on = today - timedelta(days=700)
    older = make_program(db, "Older Program")
    older.assured_on = today - timedelta(days=900)
    make_program(db, "Never Program")
    admin = make_user(db, state_team=True)
    db.commit()
    await login(client, admin.email)
    page = await client.get("/admin/programs?unverified=true", headers=HTML)
    names = [n for n in ("Never Program", "Older Program", "Old Program", "Fresh Program") if n in page.text]
    assert names == ["Never Program", "Older Program", "Old Program"]
    assert page.text.index("Never Program") < page.text.index("Older Program") < page.text.index("Old Program")
    everything = await client.get("/admin/programs", headers=HTML)
    assert "Fresh Program" in everything.text and 'data-testid="verified">never<' in everything.text
