"""The escalation queue (state team: every region; a designated administrator: their regions)
and the bell (unread count, list, open marks read)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.audit import AuditEvent
from models.messages.tables import Notification
from models.referrals.tables import Escalation, Referral
from tests.factories import make_program, make_user
from tests.referral_network import bearer, make_network

HTML = {"accept": "text/html"}


def _escalated(db, net, program=None) -> Escalation:
    program = program or net.receiving
    sent = datetime.now(timezone.utc) - timedelta(days=9)
    referral = Referral(client_id=net.client.id, roi_id=net.roi.id, sending_program_id=net.sending.id,
                        receiving_program_id=program.id, sender_user_id=net.sender.id, state="sent",
                        sent_at=sent, escalated_at=sent + timedelta(days=8))
    db.add(referral)
    db.flush()
    escalation = Escalation(referral_id=referral.id, region=program.region, raised_at=referral.escalated_at,
                            suggestions=[net.outside.id])
    db.add(escalation)
    db.commit()
    return escalation


async def test_the_queue_is_scoped_to_regions_and_worked_by_claim_comment_resolve(client, db):
    net = make_network(db)
    far = make_program(db, "Far Away Clinic", county="Dawson")  # another region
    here = _escalated(db, net)
    there = _escalated(db, net, far)
    state = make_user(db, "state@example.org", name="Sam State", state_team=True)
    local = make_user(db, "local@example.org", name="Riley Region", admin_regions=(net.receiving.region,))
    other = make_user(db, "other@example.org", name="Avery Other", admin_regions=(far.region,))
    db.commit()
    as_state, as_local, as_other = (bearer(db, u, None) for u in (state, local, other))
    # Admins hold no program: their token works without one.
    everyone = (await client.get("/api/v1/escalations", headers=as_state)).json()
    assert {e["id"] for e in everyone["items"]} == {here.id, there.id}
    mine = (await client.get("/api/v1/escalations", headers=as_local)).json()
    assert [e["id"] for e in mine["items"]] == [here.id]
    assert (await client.get(f"/api/v1/escalations/{here.id}", headers=as_other)).status_code == 404
    provider = bearer(db, net.provider, net.receiving)
    assert (await client.get("/api/v1/escalations", headers=provider)).status_code == 403

    shown = (await client.get(f"/api/v1/escalations/{here.id}", headers=as_local)).json()
    assert shown["suggestions"] == [net.outside.display_name]
    assert shown["receiving_program"] == net.receiving.display_name
    assert "Zelda" not in str(shown)

    claimed = await client.post(f"/api/v1/escalations/{here.id}/claim", headers=as_local)
    assert claimed.json()["claimed_by"] == "Riley Region"
    taken = await client.post(f"/api/v1/escalations/{here.id}/claim", headers=as_state)
    assert taken.status_code == 409 and "Riley Region already claimed" in taken.json()["detail"]
    await client.post(f"/api/v1/escalations/{here.id}/comments", json={"text": "Called the program"},
                      headers=as_state)
    empty = await client.post(f"/api/v1/escalations/{here.id}/resolve", json={"text": ""}, headers=as_local)
    assert empty.status_code == 422
    done = (await client.post(f"/api/v1/escalations/{here.id}/resolve", json={"text": "Assigned today"},
                              headers=as_local)).json()
    assert done["resolved_at"] and done["comments"][0]["text"] == "Called the program"
    assert (await client.get("/api/v1/escalations", headers=as_local)).json()["items"] == []
    resolved = (await client.get("/api/v1/escalations", params={"show": "resolved"}, headers=as_local)).json()
    assert [e["id"] for e in resolved["items"]] == [here.id]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "escalation")).all()
    assert sorted(actions) == ["escalation.claimed", "escalation.commented", "escalation.resolved"]


async def test_queue_pages(client, db):
    from tests.factories import login

    net = make_network(db)
    escalation = _escalated(db, net)
    make_user(db, "state@example.org", state_team=True)
    db.commit()
    csrf = await login(client, "state@example.org")
    listing = await client.get("/escalations", headers=HTML)
    assert f'data-escalation="{escalation.id}"' in listing.text and "Still unacknowledged" in listing.text
    page = await client.get(f"/escalations/{escalation.id}", headers=HTML)
    assert net.outside.display_name in page.text and "Claim" in page.text
    assert (await client.post(f"/escalations/{escalation.id}/claim", data={"csrf_token": csrf})).status_code == 303
    refused = await client.post(f"/escalations/{escalation.id}/resolve", data={"csrf_token": csrf, "text": ""},
                                headers=HTML)
    assert refused.status_code == 422 and "cannot be empty" in refused.text
    await client.post(f"/escalations/{escalation.id}/resolve", data={"csrf_token": csrf, "text": "Program called back"})
    page = await client.get(f"/escalations/{escalation.id}", headers=HTML)
    assert "Program called back" in page.text


async def test_the_bell(client, db):
    from tests.factories import login

    net = make_network(db)
    for i in range(3):
        db.add(Notification(user_id=net.sender.id, kind="referral_assign", text=f"Referral #{i} was assigned",
                            link=f"/referrals/{i}"))
    db.add(Notification(user_id=net.gatekeeper.id, kind="referral_send", text="Not yours", link="/"))
    db.commit()
    await login(client, net.sender.email)
    count = await client.get("/notifications/count", headers=HTML)
    assert 'data-testid="bell-count">3<' in count.text and 'hx-get="/notifications/count"' in count.text
    mine = db.scalars(select(Notification).where(Notification.user_id == net.sender.id)).all()
    opened = await client.get(f"/notifications/{mine[0].id}/open")
    assert opened.status_code == 303 and opened.headers["location"] == mine[0].link
    assert 'data-testid="bell-count">2<' in (await client.get("/notifications/count")).text
    theirs = db.scalar(select(Notification.id).where(Notification.user_id == net.gatekeeper.id))
    assert (await client.get(f"/notifications/{theirs}/open", headers=HTML)).status_code == 404

    token = bearer(db, net.sender, net.sending)
    listed = (await client.get("/api/v1/notifications", headers=token)).json()
    assert listed["unread"] == 2 and listed["total"] == 3
    assert (await client.post("/api/v1/notifications/read-all", headers=token)).json() == {"marked": 2}
    assert (await client.get("/api/v1/notifications", params={"unread": True}, headers=token)).json()["items"] == []
