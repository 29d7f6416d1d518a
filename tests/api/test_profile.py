"""The agency profile: acting as one program, choosing among several, refusing others."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.accounts.tables import WebSession
from models.audit import AuditEvent
from tests.factories import HTML, login, make_program, make_user


async def test_one_program_is_chosen_at_sign_in(client, db):
    program = make_program(db, "Helena Food Share")
    make_user(db, "one@example.org", provider_of=(program,))
    db.commit()
    await login(client, "one@example.org")
    home = await client.get("/", headers=HTML)
    assert home.status_code == 200
    assert 'data-testid="current-program">Agency of Helena Food Share — Helena Food Share<' in home.text
    assert (await client.get("/api/v1/profile")).json()["program"]["id"] == program.id


async def test_several_programs_are_chosen_on_the_profile_page(client, db):
    a = make_program(db, "Primary Care")
    b = make_program(db, "Behavioral Health")
    user = make_user(db, "quinn@example.org", gatekeeper_of=(a,), provider_of=(a, b))
    db.commit()
    csrf = await login(client, user.email)
    home = await client.get("/", headers=HTML)
    assert home.status_code == 303 and home.headers["location"] == "/profile"
    page = await client.get("/profile", headers=HTML)
    assert "Primary Care" in page.text and "Behavioral Health" in page.text
    assert "Gatekeeper and provider" in page.text
    found = await client.get("/profile?q=behav", headers=HTML)
    assert "Behavioral Health" in found.text and "Primary Care" not in found.text

    chosen = await client.post("/profile", headers=HTML, data={"program_id": b.id, "csrf_token": csrf})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/"
    home = await client.get("/", headers=HTML)
    assert "Behavioral Health" in home.text.split('data-testid="current-program"')[1][:200]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.profile_chosen",
                                              AuditEvent.program_id == b.id))
    # and switch at any time
    await client.post("/profile", headers=HTML, data={"program_id": a.id, "csrf_token": csrf})
    assert (await client.get("/api/v1/profile")).json()["program"]["role"] == "both"


@pytest.mark.parametrize("choice", ["other", "999999", "abc", ""])
async def test_a_program_one_does_not_belong_to_is_refused(client, db, choice):
    mine = make_program(db, "Mine")
    other = make_program(db, "Not Mine")
    user = make_user(db, "rae@example.org", provider_of=(mine,))
    db.commit()
    csrf = await login(client, user.email)
    program_id = other.id if choice == "other" else choice
    answer = await client.post("/profile", headers=HTML, data={"program_id": program_id, "csrf_token": csrf})
    assert answer.status_code == 403
    assert "You do not have access to that agency/program" in answer.text
    assert 'data-testid="form-error"' in answer.text
    db.expire_all()
    session = db.scalar(select(WebSession).where(WebSession.user_id == user.id))
    assert session.program_id == mine.id
    api = await client.post("/api/v1/profile", json={"program_id": program_id},
                            headers={"x-csrf-token": csrf})
    assert api.status_code == 403 and api.json()["error"] == "not_a_member"


async def test_an_inactive_program_cannot_be_chosen(client, db):
    a, b = make_program(db), make_program(db)
    b.is_active = False
    user = make_user(db, "sol@example.org", provider_of=(a, b))
    db.commit()
    csrf = await login(client, user.email)
    answer = await client.post("/api/v1/profile", json={"program_id": b.id}, headers={"x-csrf-token": csrf})
    assert answer.status_code == 403 and "no longer uses CONNECT" in answer.json()["detail"]
