"""Races through the API (in process, on the suite's dev server and worker): many people pressing
the same button at once get exactly one winner per record and a 409 for everyone else; the same
signed Twilio YES delivered 200 times texts one code, and 50 different YES texts from the client
text one code too."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.releases.tables import InboundSms
from tests.factories import make_client, make_signed_roi
from tests.referral_network import COMPLETE_FORM, bearer, make_network
from tests.roi_support import COMPLETE_BODY, awaiting_yes, codes_sent, eventually, make_scene, twilio_yes

RECORDS, AT_ONCE = 30, 5
CLOSE = "Closed - Successful completion"


async def _in_batches(calls, size: int) -> list[httpx.Response]:
    """Runs the calls ``size`` at a time (a crowd, not a flood the test machine cannot take)."""
    answers = []
    for i in range(0, len(calls), size):
        answers += await asyncio.gather(*(call() for call in calls[i:i + size]))
    return answers


def _one_winner_each(answers: list[httpx.Response], per: int) -> None:
    for i in range(0, len(answers), per):
        group = sorted(a.status_code for a in answers[i:i + per])
        assert group == [200] + [409] * (per - 1), [a.text[:200] for a in answers[i:i + per]]


def _audited(db, action: str) -> Counter:
    return Counter(db.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == action)))


async def test_concurrent_assigns_status_updates_and_signatures_have_one_winner(client, db):
    net = make_network(db)
    sender = bearer(db, net.sender, net.sending)
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    provider = bearer(db, net.provider, net.receiving)
    clients = [net.client] + [make_client(db, net.sending, net.sender, first_name="Client", last_name=f"Race{i}")
                              for i in range(RECORDS - 1)]
    for c in clients[1:]:
        make_signed_roi(db, c, net.sending, (net.receiving,), net.sender)
    db.commit()
    ids = []
    for c in clients:
        r = await client.post("/api/v1/referrals", json={"client_id": c.id, "receiving_program_id": net.receiving.id,
                                                        "send": True, "insurance_confirmed": True, **COMPLETE_FORM},
                              headers=sender)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])

    # Five gatekeepers' clicks per referral, to two different providers: one assignment each.
    people = [net.provider.id, net.provider2.id]
    answers = await _in_batches([
        (lambda rid=rid, k=k: client.post(f"/api/v1/referrals/{rid}/assign",
                                          json={"provider_id": people[k % 2]}, headers=gatekeeper))
        for rid in ids for k in range(AT_ONCE)], 3 * AT_ONCE)
    _one_winner_each(answers, AT_ONCE)
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"already_assigned"}
    db.expire_all()
    assert _audited(db, "referral.assign") == Counter({str(rid): 1 for rid in ids})

    # Whoever won, the provider assigned closes it; five closes at once per referral: one closes.
    closers = {}
    for a in answers:
        if a.status_code == 200:
            body = a.json()
            closers[body["id"]] = provider if body["assignee"]["id"] == net.provider.id else \
                bearer(db, net.provider2, net.receiving)
    answers = await _in_batches([
        (lambda rid=rid: client.post(f"/api/v1/referrals/{rid}/status", json={"status": CLOSE, "comment": "done"},
                                     headers=closers[rid]))
        for rid in ids for _ in range(AT_ONCE)], 3 * AT_ONCE)
    _one_winner_each(answers, AT_ONCE)
    db.expire_all()
    assert _audited(db, "referral.update_status") == Counter({str(rid): 1 for rid in ids})


async def test_concurrent_signatures_of_one_roi_have_one_winner(client, db):
    net = make_network(db)
    sender = bearer(db, net.sender, net.sending)
    rois = []
    for i in range(RECORDS):
        c = make_client(db, net.sending, net.sender, first_name="Signer", last_name=f"Roi{i}")
        db.commit()
        r = await client.post("/api/v1/roi", json={"client_id": c.id, "program_ids": [net.receiving.id]},
                              headers=sender)
        roi_id = r.json()["rois"][0]["id"]
        assert (await client.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY,
                                  headers=sender)).status_code == 200
        rois.append((roi_id, c.full_name))
    answers = await _in_batches([
        (lambda roi_id=roi_id, name=name: client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                                                      json={"typed_name": name, "confirmed": True}, headers=sender))
        for roi_id, name in rois for _ in range(AT_ONCE)], 3 * AT_ONCE)
    _one_winner_each(answers, AT_ONCE)
    db.expire_all()
    signed = Counter(db.scalars(select(AuditEvent.entity_id).where(AuditEvent.entity_type == "roi",
                                                                   AuditEvent.action.like("%sign%"))))
    assert signed == Counter({str(roi_id): 1 for roi_id, _ in rois}), signed


PHONE = "+14065551234"


async def test_one_signed_yes_replayed_200_times_texts_one_code(twilio_http, twilio_settings, db):
    scene = make_scene(db, phone=PHONE)
    await awaiting_yes(twilio_http, scene)
    params, headers = twilio_yes(twilio_settings, "SM" + "7" * 32)
    answers = await _in_batches([lambda: twilio_http.post("/twilio/sms", data=params, headers=headers)] * 200, 20)
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1  # the first answer, repeated
    assert db.scalar(select(func.count(InboundSms.id))) == 1
    await eventually(lambda: codes_sent(db, PHONE))
    await asyncio.sleep(1)  # a second code, if any, would come now
    assert len(codes_sent(db, PHONE)) == 1


async def test_fifty_different_yes_texts_text_one_code(twilio_http, twilio_settings, db):
    """The defined answer: the first YES asks for the code; every later one (even one that arrives
    before the code went out) changes nothing and is told the code was already texted, or gets
    the same empty answer as the first. One code, never a storm."""
    scene = make_scene(db, phone=PHONE)
    await awaiting_yes(twilio_http, scene)
    texts = [twilio_yes(twilio_settings, f"SM{i:032d}", "yes" if i % 2 else "YES") for i in range(50)]
    answers = await _in_batches([(lambda p=p, h=h: twilio_http.post("/twilio/sms", data=p, headers=h))
                                 for p, h in texts], 10)
    assert {a.status_code for a in answers} == {200}
    assert all("<Message>" not in a.text or "already texted" in a.text for a in answers), \
        {a.text for a in answers}
    assert db.scalar(select(func.count(InboundSms.id))) == 50
    await eventually(lambda: codes_sent(db, PHONE))
    await asyncio.sleep(1)
    assert len(codes_sent(db, PHONE)) == 1
