"""Administration of people: accounts by email, roles, regions, deactivation."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from models.accounts.tables import ApiToken, Membership, PasswordResetToken, RoleInvitation, User, WebSession
from models.audit import AuditEvent
from models.messages.tables import Notification, OutboxMessage
from models.referrals.tables import Referral
from tests.factories import (
    HTML,
    anon_csrf,
    eventually,
    login,
    make_client,
    make_program,
    make_signed_roi,
    make_user,
)

NEW = "Prickly-Pear-Creek-8"


async def as_admin(client, db, regions=(4, 5), state_team=False, email="admin@example.org"):
    admin = make_user(db, email, name="Riley Regional", admin_regions=() if state_team else regions,
                      state_team=state_team)
    db.commit()
    csrf = await login(client, admin.email)
    return admin, {"x-csrf-token": csrf}, csrf


async def test_new_user_gets_a_set_password_link_then_signs_in(client, db, email_outbox):
    program = make_program(db, "Helena Food Share")
    _, headers, _ = await as_admin(client, db)
    made = await client.post("/api/v1/admin/users", headers=headers, json={
        "email": " New.Person@Example.org", "full_name": "New Person",
        "roles": [{"program_id": program.id, "role": "both"}]})
    assert made.status_code == 202, made.text
    [body] = (await client.get("/api/v1/admin/users?q=new.person@example.org", headers=headers)).json()["items"]
    assert body["email"] == "new.person@example.org" and not body["password_set"]
    assert body["roles"][0]["role"] == "both"

    mail = (await eventually(lambda: email_outbox.to("new.person@example.org")))[-1]
    assert mail.subject == "Your CONNECT account" and "Riley Regional" in mail.text
    link = re.search(r"http://testserver(/password/reset/\S+)", mail.text).group(1)
    assert db.scalar(select(PasswordResetToken.purpose)) == "invite"

    client.cookies.clear()
    form = await client.get(link)
    assert "Set your password" in form.text
    done = await client.post(link, data={"new_password": NEW, "confirm_password": NEW,
                                         "csrf_token": anon_csrf(form.text)})
    assert done.status_code == 303
    page = await client.get("/login")
    signed_in = await client.post("/login", data={"email": "new.person@example.org", "password": NEW,
                                                  "csrf_token": anon_csrf(page.text)})
    assert signed_in.headers["location"] == "/mou"  # they chose the password: next is the User MOU


async def test_new_user_with_an_initial_password_must_change_it(client, db, email_outbox):
    program = make_program(db)
    _, _, csrf = await as_admin(client, db)
    made = await client.post("/admin/users/new", headers=HTML, data={
        "csrf_token": csrf, "email": "init@example.org", "full_name": "Ina Initial",
        "program_id": program.id, "role": "provider", "delivery": "password"})
    assert made.status_code == 303, made.text
    mail = (await eventually(lambda: email_outbox.to("init@example.org")))[-1]
    password = re.search(r"Initial password: (\S+)", mail.text).group(1)
    client.cookies.clear()
    page = await client.get("/login")
    signed_in = await client.post("/login", data={"email": "init@example.org", "password": password,
                                                  "csrf_token": anon_csrf(page.text)})
    assert signed_in.headers["location"] == "/password/change"
    outbox = db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "init@example.org"))
    assert outbox.body_after_send is not None and "password" in outbox.body_after_send


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"email": "not an email"}, 422, "valid email"),
        ({"full_name": ""}, 422, "full name"),
        ({"roles": []}, 422, "at least one program"),
        ({"roles": [{"program_id": 999999, "role": "provider"}]}, 422, "no program 999999"),
        ({"roles": "outside"}, 403, "region 1 is not one of them"),
        ({"roles": "twice"}, 422, "one role"),
        ({"admin_regions": [4]}, 403, "Only the state team"),
        ({"state_team": True}, 403, "Only the state team"),
    ],
)
async def test_refused_accounts_store_nothing_and_send_nothing(client, db, body, status, reason):
    program = make_program(db)
    outside = make_program(db, county="Custer")
    make_user(db, "dup@example.org")
    _, headers, _ = await as_admin(client, db)
    if body.get("roles") == "outside":
        body["roles"] = [{"program_id": outside.id, "role": "provider"}]
    if body.get("roles") == "twice":
        body["roles"] = [{"program_id": program.id, "role": "provider"},
                         {"program_id": program.id, "role": "gatekeeper"}]
    payload = {"email": "fresh@example.org", "full_name": "Fresh Person",
               "roles": [{"program_id": program.id, "role": "provider"}], **body}
    answer = await client.post("/api/v1/admin/users", headers=headers, json=payload)
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["detail"]
    assert db.scalar(select(func.count()).select_from(User)) == 2
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.scalar(select(func.count()).select_from(PasswordResetToken)) == 0


async def test_duplicate_email_on_the_page_offers_to_add_the_role(client, app, db):
    import httpx

    program = make_program(db)
    elsewhere = make_program(db, county="Custer")
    existing = make_user(db, "worker@example.org", provider_of=(elsewhere,))
    _, _, csrf = await as_admin(client, db)
    # The worker is in region 1, outside the administrator's regions: they are invited, not added,
    # and the page answers as it does for a new account.
    new = await client.post("/admin/users/new", headers=HTML, data={
        "csrf_token": csrf, "email": "nobody.yet@example.org", "full_name": "Nora New",
        "program_id": program.id, "role": "gatekeeper"})
    page = await client.post("/admin/users/new", headers=HTML, data={
        "csrf_token": csrf, "email": "worker@example.org", "full_name": "Wes Worker",
        "program_id": program.id, "role": "gatekeeper"})
    assert page.status_code == new.status_code == 303
    assert page.headers["location"] == new.headers["location"] == "/admin/users?done=account_offered"
    listing = await client.get(page.headers["location"], headers=HTML)
    assert "they are invited to accept the roles" in listing.text and "worker@example.org" not in listing.text
    assert db.scalar(select(func.count()).select_from(RoleInvitation)) == 1
    # Offering the role by email as well keeps the one invitation.
    added = await client.post("/admin/users/roles-by-email", headers=HTML, data={
        "csrf_token": csrf, "email": "worker@example.org", "program_id": program.id, "role": "gatekeeper"})
    assert added.status_code == 303 and added.headers["location"] == "/admin/users?done=role_offered"
    listing = await client.get(added.headers["location"], headers=HTML)
    assert "invited to accept the role" in listing.text and "worker@example.org" not in listing.text
    db.expire_all()
    assert [m.program_id for m in db.get(User, existing.id).memberships] == [elsewhere.id]

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as them:
        their_csrf = await login(them, existing.email)
        profile = await them.get("/profile", headers=HTML)
        assert 'data-testid="invitations"' in profile.text and program.display_name in profile.text
        invitation = db.scalar(select(RoleInvitation))
        accepted = await them.post(f"/profile/invitations/{invitation.id}/accept", headers=HTML,
                                   data={"csrf_token": their_csrf})
        assert accepted.status_code == 303
    db.expire_all()
    roles = {m.program_id: m.is_gatekeeper for m in db.get(User, existing.id).memberships}
    assert roles == {elsewhere.id: False, program.id: True}
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(existing.id),
                                                        AuditEvent.action.like("user.role%"))).all()
    assert sorted(actions) == ["user.role_accepted", "user.role_offered", "user.role_offered"]


async def _cross_region_target(db):
    """The issue's set-up: an administrator of regions 1-3 and a gatekeeper of region 4."""
    own = make_program(db, "Great Falls Clinic", county="Cascade")  # region 2
    far = make_program(db, "Helena Clinic", county="Lewis and Clark")  # region 4
    target = make_user(db, "far.gk@example.org", name="Farrah Gatekeeper", gatekeeper_of=(far,))
    return own, far, target


async def test_adding_a_role_by_email_answers_alike_and_hands_over_no_account(client, app, db, email_outbox):
    import httpx

    own, far, target = await _cross_region_target(db)
    _, headers, _ = await as_admin(client, db, regions=(1, 2, 3))
    asked = {"program_id": own.id, "role": "gatekeeper"}
    hidden = await client.post("/api/v1/admin/users/roles", headers=headers,
                               json={**asked, "email": "Far.GK@example.org"})
    nobody = await client.post("/api/v1/admin/users/roles", headers=headers,
                               json={**asked, "email": "nobody@example.org"})
    assert hidden.status_code == nobody.status_code == 202
    assert hidden.json() == nobody.json() and "invited" in hidden.json()["detail"]
    db.expire_all()
    assert [m.program_id for m in db.get(User, target.id).memberships] == [far.id]
    assert (await client.get(f"/api/v1/admin/users/{target.id}")).status_code == 403
    mail = (await eventually(lambda: email_outbox.to("far.gk@example.org")))[-1]
    assert f"invited you to work in {own.display_name} as gatekeeper" in mail.text
    assert "/password/reset/" not in mail.text
    assert db.scalar(select(func.count()).select_from(RoleInvitation)) == 1

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as them:
        csrf = await login(them, target.email)
        invitations = (await them.get("/api/v1/profile")).json()["invitations"]
        assert [(i["program_id"], i["role"]) for i in invitations] == [(own.id, "gatekeeper")]
        declined = await them.post(f"/api/v1/profile/invitations/{invitations[0]['id']}/decline",
                                   headers={"x-csrf-token": csrf})
        assert declined.status_code == 200 and declined.json()["invitations"] == []
        again = await them.post(f"/api/v1/profile/invitations/{invitations[0]['id']}/accept",
                                headers={"x-csrf-token": csrf})
        assert again.status_code == 404
    db.expire_all()
    assert [m.program_id for m in db.get(User, target.id).memberships] == [far.id]


async def test_email_and_password_links_need_every_region_the_person_works_in(client, db):
    own, far, target = await _cross_region_target(db)
    target.memberships.append(Membership(program=own, is_gatekeeper=True, is_provider=False))
    _, headers, csrf = await as_admin(client, db, regions=(1, 2, 3))
    assert (await client.get(f"/api/v1/admin/users/{target.id}")).status_code == 200  # one shared region

    moved = await client.patch(f"/api/v1/admin/users/{target.id}", headers=headers,
                               json={"email": "attacker@example.org", "full_name": target.full_name})
    assert moved.status_code == 403 and "only the state team can change the email" in moved.json()["detail"]
    invited = await client.post(f"/api/v1/admin/users/{target.id}/invite", headers=headers)
    assert invited.status_code == 403 and "password link" in invited.json()["detail"]
    # The pages go through the same rule.
    page = await client.post(f"/admin/users/{target.id}", headers=HTML, data={
        "csrf_token": csrf, "full_name": target.full_name, "email": "attacker@example.org"})
    assert page.status_code == 403 and "only the state team can change the email" in page.text
    link_page = await client.post(f"/admin/users/{target.id}/invite", headers=HTML, data={"csrf_token": csrf})
    assert link_page.status_code == 403
    # A new name needs no more than the shared region.
    renamed = await client.patch(f"/api/v1/admin/users/{target.id}", headers=headers,
                                 json={"email": target.email, "full_name": "Farrah G. Keeper"})
    assert renamed.status_code == 200, renamed.text
    db.expire_all()
    assert db.get(User, target.id).email == "far.gk@example.org"
    assert db.scalar(select(func.count()).select_from(PasswordResetToken)) == 0
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_an_email_change_is_told_to_the_old_address(client, db, email_outbox):
    program = make_program(db, county="Cascade")
    user = make_user(db, "old.address@example.org", name="Olive Mover", provider_of=(program,))
    db.add(PasswordResetToken(user_id=user.id, token_hash="x" * 64, created_at=datetime.now(timezone.utc),
                              expires_at=datetime.now(timezone.utc).replace(year=2100)))
    _, headers, _ = await as_admin(client, db, regions=(2,))
    moved = await client.patch(f"/api/v1/admin/users/{user.id}", headers=headers,
                               json={"email": "new.address@example.org", "full_name": "Olive Mover"})
    assert moved.status_code == 200 and moved.json()["email"] == "new.address@example.org"
    mail = (await eventually(lambda: email_outbox.to("old.address@example.org")))[-1]
    assert mail.subject == "The email of your CONNECT account was changed"
    assert "new.address@example.org" in mail.text and "Riley Regional" in mail.text
    db.expire_all()
    assert db.scalar(select(PasswordResetToken.used_at)) is not None  # links already sent stop working


async def test_roles_in_several_programs_of_several_agencies(client, db):
    a1 = make_program(db, "A1")
    a2 = make_program(db, "A2", agency=a1.agency)
    b = make_program(db, "B")
    user = make_user(db, "multi@example.org", provider_of=(a1,))
    admin, headers, _ = await as_admin(client, db)
    for program, role in ((a2, "gatekeeper"), (b, "both"), (a1, "gatekeeper")):
        answer = await client.put(f"/api/v1/admin/users/{user.id}/roles/{program.id}", headers=headers,
                                  json={"role": role})
        assert answer.status_code == 200, answer.text
    roles = {r["program_id"]: r["role"] for r in answer.json()["roles"]}
    assert roles == {a1.id: "gatekeeper", a2.id: "gatekeeper", b.id: "both"}
    removed = await client.delete(f"/api/v1/admin/users/{user.id}/roles/{b.id}", headers=headers)
    assert {r["program_id"] for r in removed.json()["roles"]} == {a1.id, a2.id}
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(user.id),
                                                        AuditEvent.user_id == admin.id)).all()
    assert sorted(actions) == ["user.role_removed"] + ["user.role_set"] * 3


async def test_removing_the_last_role_is_refused(client, db):
    program = make_program(db)
    user = make_user(db, "solo@example.org", provider_of=(program,))
    _, headers, _ = await as_admin(client, db)
    answer = await client.delete(f"/api/v1/admin/users/{user.id}/roles/{program.id}", headers=headers)
    assert answer.status_code == 422 and "at least one program" in answer.json()["detail"]
    assert db.scalar(select(func.count()).select_from(Membership)) == 1


async def test_removing_a_role_sends_its_sessions_back_to_the_profile(client, app, db):
    import httpx

    a, b = make_program(db), make_program(db)
    user = make_user(db, "two@example.org", provider_of=(a, b))
    db.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as worker:
        csrf = await login(worker, user.email)
        await worker.post("/api/v1/profile", json={"program_id": b.id}, headers={"x-csrf-token": csrf})
        _, headers, _ = await as_admin(client, db)
        await client.delete(f"/api/v1/admin/users/{user.id}/roles/{b.id}", headers=headers)
        profile = (await worker.get("/api/v1/profile")).json()
        assert profile["program"] is None and [m["program_id"] for m in profile["memberships"]] == [a.id]


def assigned_referral(db, program, provider):
    sender_program = make_program(db, "Sender")
    sender = make_user(db, "sender@example.org", provider_of=(sender_program,))
    client_row = make_client(db, sender_program, sender)
    roi = make_signed_roi(db, client_row, sender_program, (program,), sender)
    referral = Referral(client_id=client_row.id, roi_id=roi.id, sending_program_id=sender_program.id,
                        receiving_program_id=program.id, sender_user_id=sender.id, state="assigned",
                        assigned_provider_id=provider.id, sent_at=datetime.now(timezone.utc))
    db.add(referral)
    db.flush()
    return referral


async def test_deactivation_ends_access_at_once_and_keeps_everything(client, app, db):
    import httpx

    program = make_program(db, "Helena Food Share")
    gk = make_user(db, "gina@example.org", gatekeeper_of=(program,))
    leaver = make_user(db, "leaver@example.org", name="Lee Leaver", provider_of=(program,))
    referral = assigned_referral(db, program, leaver)
    db.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as them:
        csrf = await login(them, leaver.email)
        made = await them.post("/api/v1/tokens", json={"name": "script"}, headers={"x-csrf-token": csrf})
        bearer = {"authorization": f"Bearer {made.json()['token']}"}
        probe = await them.get("/api/v1/profile", headers=bearer)
        assert probe.status_code == 200, (made.json(), probe.json())

        _, _, admin_csrf = await as_admin(client, db)
        confirm = await client.get(f"/admin/users/{leaver.id}/deactivate", headers=HTML)
        assert 'data-testid="open-assignments"' in confirm.text and "1 open referral" in confirm.text
        done = await client.post(f"/admin/users/{leaver.id}/deactivate", headers=HTML,
                                 data={"csrf_token": admin_csrf})
        assert done.status_code == 303, done.text

        assert (await them.get("/api/v1/profile")).status_code == 401
        assert (await them.get("/api/v1/profile", headers=bearer)).status_code == 401
    db.expire_all()
    gone = db.get(User, leaver.id)
    assert not gone.is_active and gone.deactivated_at is not None
    assert [m.program_id for m in gone.memberships] == [program.id]  # nothing deleted
    assert db.scalar(select(WebSession).where(WebSession.user_id == leaver.id,
                                              WebSession.ended_at.is_(None))) is None
    assert db.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == leaver.id)) is not None
    kept = db.get(Referral, referral.id)
    assert (kept.state, kept.assigned_provider_id, kept.receiving_program_id) == ("assigned", leaver.id, program.id)
    note = db.scalar(select(Notification).where(Notification.user_id == gk.id))
    assert "Lee Leaver no longer uses CONNECT" in note.text and "1 open referral" in note.text
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivated"))
    assert event.detail["open_assignments"] == 1

    page = await client.get("/login")
    refused = await client.post("/login", data={"email": leaver.email, "password": "Glacier-Trail-42!",
                                                "csrf_token": anon_csrf(page.text)})
    assert refused.status_code == 401


async def test_deactivation_refusals(client, db):
    west = make_program(db, county="Missoula")
    east = make_program(db, county="Custer")
    both = make_user(db, "both@example.org", provider_of=(west, east))
    admin, headers, _ = await as_admin(client, db, regions=(5,))
    other_admin = make_user(db, "admin2@example.org", admin_regions=(5,), provider_of=(west,))
    db.commit()
    spans = await client.post(f"/api/v1/admin/users/{both.id}/deactivate", headers=headers)
    assert spans.status_code == 403 and "regions you do not manage" in spans.json()["detail"]
    peer = await client.post(f"/api/v1/admin/users/{other_admin.id}/deactivate", headers=headers)
    assert peer.status_code == 403 and "state team" in peer.json()["detail"]
    db.expire_all()
    assert db.get(User, both.id).is_active and db.get(User, other_admin.id).is_active


async def test_state_team_deactivates_and_reactivates(client, db, email_outbox):
    program = make_program(db)
    user = make_user(db, "back@example.org", provider_of=(program,))
    admin, headers, _ = await as_admin(client, db, state_team=True)
    assert (await client.post(f"/api/v1/admin/users/{admin.id}/deactivate", headers=headers)).status_code == 403
    assert (await client.post(f"/api/v1/admin/users/{user.id}/deactivate", headers=headers)).status_code == 200
    again = await client.post(f"/api/v1/admin/users/{user.id}/deactivate", headers=headers)
    assert again.status_code == 422 and "already" in again.json()["detail"]
    back = await client.post(f"/api/v1/admin/users/{user.id}/reactivate", headers=headers)
    assert back.status_code == 200 and back.json()["is_active"]
    mail = (await eventually(lambda: email_outbox.to("back@example.org")))[-1]
    assert "/password/reset/" in mail.text


async def test_user_lists_are_scoped_paged_and_searchable(client, db):
    west = make_program(db, "West", county="Missoula")
    east = make_program(db, "East", county="Custer")
    for i in range(30):
        make_user(db, f"w{i:02}@example.org", name=f"West Worker {i:02}", provider_of=(west,))
    stranger = make_user(db, "east@example.org", name="East Person", provider_of=(east,))
    _, _, _ = await as_admin(client, db, regions=(5,))
    first = (await client.get("/api/v1/admin/users")).json()
    assert first["total"] == 30 and first["pages"] == 2
    found = (await client.get("/api/v1/admin/users?q=worker 07")).json()
    assert [u["email"] for u in found["items"]] == ["w07@example.org"]
    assert (await client.get(f"/api/v1/admin/users/{stranger.id}")).status_code == 403
    page = await client.get("/admin/users?q=west&page=2", headers=HTML)
    assert "Page 2 of 2" in page.text and "East Person" not in page.text


async def test_state_team_grants_admin_regions(client, db):
    program = make_program(db)
    user = make_user(db, "future.admin@example.org", provider_of=(program,))
    _, headers, _ = await as_admin(client, db, state_team=True)
    answer = await client.put(f"/api/v1/admin/users/{user.id}/admin-roles", headers=headers,
                              json={"state_team": False, "admin_regions": [2, 3]})
    assert answer.status_code == 200 and answer.json()["admin_regions"] == [2, 3]
    bad = await client.put(f"/api/v1/admin/users/{user.id}/admin-roles", headers=headers,
                           json={"admin_regions": [9]})
    assert bad.status_code == 422 and "no region 9" in bad.json()["detail"]


async def test_user_page_shows_roles_and_refuses_bad_edits(client, db):
    program = make_program(db, "Helena Food Share")
    user = make_user(db, "page@example.org", name="Paige Person", provider_of=(program,))
    make_user(db, "taken@example.org")
    _, _, csrf = await as_admin(client, db)
    page = await client.get(f"/admin/users/{user.id}", headers=HTML)
    assert "Paige Person" in page.text and "Helena Food Share" in page.text
    bad = await client.post(f"/admin/users/{user.id}", headers=HTML, data={
        "csrf_token": csrf, "full_name": "Paige Person", "email": "taken@example.org"})
    assert bad.status_code == 422 and 'data-testid="error-email"' in bad.text
    db.expire_all()
    assert db.get(User, user.id).email == "page@example.org"


async def test_a_new_gatekeeper_is_asked_to_sign_a_missing_agency_mou(client, db):
    unsigned = make_program(db, "Unsigned", mou_valid=False)
    signed = make_program(db, "Signed")
    user = make_user(db, "gate@example.org", provider_of=(signed,))
    _, headers, _ = await as_admin(client, db)
    await client.put(f"/api/v1/admin/users/{user.id}/roles/{signed.id}", headers=headers, json={"role": "gatekeeper"})
    await client.put(f"/api/v1/admin/users/{user.id}/roles/{unsigned.id}", headers=headers, json={"role": "both"})
    notes = db.scalars(select(Notification).where(Notification.user_id == user.id)).all()
    assert [n.link for n in notes] == [f"/agency/mou/{unsigned.id}"]
    assert "whose agency MOU is not signed" in notes[0].text


async def test_role_form_without_a_program_is_marked(client, db):
    user = make_user(db, "form@example.org", provider_of=(make_program(db),))
    _, _, csrf = await as_admin(client, db)
    answer = await client.post(f"/admin/users/{user.id}/roles", headers=HTML,
                               data={"csrf_token": csrf, "program_id": "", "role": "gatekeeper"})
    assert answer.status_code == 422 and "Choose the agency — program." in answer.text
    bad = await client.post(f"/admin/users/{user.id}/roles", headers=HTML,
                            data={"csrf_token": csrf, "program_id": "x1", "role": "boss"})
    assert bad.status_code == 422 and 'data-testid="form-error"' in bad.text


async def test_accepting_a_gatekeeper_invitation_asks_for_a_missing_agency_mou(client, db, app):
    import httpx

    unsigned = make_program(db, "Unsigned", mou_valid=False)
    worker = make_user(db, "far@example.org", provider_of=(make_program(db, county="Custer"),))
    _, headers, _ = await as_admin(client, db)
    r = await client.post("/api/v1/admin/users/roles", headers=headers,
                          json={"email": worker.email, "program_id": unsigned.id, "role": "gatekeeper"})
    assert r.status_code == 202, r.text
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as them:
        their_headers = {"x-csrf-token": await login(them, worker.email)}
        [invitation] = (await them.get("/api/v1/profile")).json()["invitations"]
        accepted = await them.post(f"/api/v1/profile/invitations/{invitation['id']}/accept", headers=their_headers)
        assert accepted.status_code == 200, accepted.text
        bell = (await them.get("/notifications", headers=HTML)).text
        assert unsigned.display_name in bell and "whose agency MOU is not signed" in bell
    db.expire_all()
    notes = db.scalars(select(Notification).where(Notification.user_id == worker.id,
                                                  Notification.kind == "agency_mou")).all()
    assert [n.link for n in notes] == [f"/agency/mou/{unsigned.id}"]
    assert "whose agency MOU is not signed" in notes[0].text


async def test_creating_an_account_answers_alike_whether_or_not_the_email_is_in_use(client, db, email_outbox):
    own, far, target = await _cross_region_target(db)
    _, headers, _ = await as_admin(client, db, regions=(1, 2, 3))
    body = {"full_name": "Someone", "roles": [{"program_id": own.id, "role": "gatekeeper"}]}
    fresh = await client.post("/api/v1/admin/users", headers=headers, json={**body, "email": "fresh@example.org"})
    taken = await client.post("/api/v1/admin/users", headers=headers, json={**body, "email": " FAR.GK@example.org"})
    assert fresh.status_code == taken.status_code == 202, taken.text
    assert fresh.json() == taken.json() and "already" not in taken.text.replace("already has an account", "")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(User).where(User.email.like("%far.gk%"))) == 1
    assert [m.program_id for m in db.get(User, target.id).memberships] == [far.id]
    invitation = db.scalar(select(RoleInvitation).where(RoleInvitation.user_id == target.id))
    assert invitation.program_id == own.id and invitation.is_gatekeeper
    mail = (await eventually(lambda: email_outbox.to("far.gk@example.org")))[-1]
    assert own.display_name in mail.text
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_offered",
                                              AuditEvent.entity_id == str(target.id)))
