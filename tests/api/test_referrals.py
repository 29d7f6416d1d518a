"""The referral loop through the API and the real Temporal dev server (user guide Parts 4-7)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from temporalio.client import Client, WorkflowExecutionStatus

from domain.referral_status import ServiceStatus
from models.audit import AuditEvent
from models.messages.tables import Notification
from models.referrals.tables import Referral, ReferralNote, ReferralProgress
from tests.factories import make_signed_roi, montana_today
from tests.referral_network import COMPLETE_FORM, bearer, eventually, make_network
from workflows import search_attributes as sa
from workflows.ids import referral_workflow_id
from workflows.referral import ReferralWorkflow

API = "/api/v1/referrals"


async def _create(client, headers, net, *, send=False, insured=True, form=None, program=None):
    program = program or net.receiving
    if form is None:  # a complete form, of the fields this program defines (others are refused)
        keys = {f.key for f in program.form_fields}
        form = {"reason": COMPLETE_FORM["reason"],
                "fields": {k: v for k, v in COMPLETE_FORM["fields"].items() if k in keys}}
    body = {"client_id": net.client.id, "receiving_program_id": program.id,
            "send": send, "insurance_confirmed": insured, **form}
    return await client.post(API, json=body, headers=headers)


async def _sent(client, db, net):
    answer = await _create(client, bearer(db, net.sender, net.sending), net, send=True)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _emails(outbox, address):
    return [e for e in outbox.sent if e.to == address]


async def test_the_whole_loop(client, db, email_outbox, temporal_client, settings):
    net = make_network(db)
    sender = bearer(db, net.sender, net.sending)
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    provider = bearer(db, net.provider, net.receiving)
    email_outbox.sent.clear()

    cards = (await client.get(f"{API}/cards", params={"client_id": net.client.id}, headers=sender)).json()
    assert [(c["program"]["id"], c["kind"], c["internal"]) for c in cards] == [
        (net.sending.id, "start", True), (net.receiving.id, "start", False)]

    saved = await _create(client, sender, net, form={"reason": "Needs counselling", "fields": {"urgent": "no"}})
    assert saved.status_code == 201, saved.text
    referral = saved.json()
    assert referral["state"] == "pending"
    cards = (await client.get(f"{API}/cards", params={"client_id": net.client.id}, headers=sender)).json()
    assert cards[1]["kind"] == "pending" and cards[1]["label"] == "Pending"

    rid = referral["id"]
    missing = await client.post(f"{API}/{rid}/send", json={"insurance_confirmed": True}, headers=sender)
    assert missing.status_code == 422 and missing.json()["field"] == "member_id", missing.text
    assert "Insurance tab is not complete" in missing.json()["detail"]
    uninsured = await client.post(f"{API}/{rid}/send", json={"insurance_confirmed": False, **COMPLETE_FORM},
                                  headers=sender)
    assert uninsured.status_code == 422 and uninsured.json()["field"] == "insurance_confirmed"
    sent = await client.post(f"{API}/{rid}/send", json={"insurance_confirmed": True, **COMPLETE_FORM},
                             headers=sender)
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "sent" and sent.json()["state_label"] == "Active"
    assert sent.json()["escalation_due_at"] is not None

    # The receiving gatekeeper is emailed with a link; the providers are not (Part 5 A).
    mail = await eventually(lambda: _emails(email_outbox, net.gatekeeper.email))
    assert f"http://testserver/referrals/{rid}" in mail[0].text
    assert "Zelda" not in mail[0].text and "Quartermaine" not in mail[0].text
    assert not _emails(email_outbox, net.provider.email)
    incoming = (await client.get(f"{API}/incoming", headers=gatekeeper)).json()
    assert [r["id"] for r in incoming["items"]] == [rid]
    nothing = await client.get(f"{API}/incoming", headers=provider)
    assert nothing.json()["items"] == [], nothing.text

    people = (await client.get(f"{API}/{rid}/assignable", headers=gatekeeper)).json()
    assert {p["name"] for p in people} == {"Quinn Gatekeeper", "Morgan Therapist", "Casey Counselor"}
    assigned = await client.post(f"{API}/{rid}/assign", json={"provider_id": net.provider.id}, headers=gatekeeper)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"]["name"] == "Morgan Therapist"
    await eventually(lambda: _emails(email_outbox, net.provider.email))
    sender_mail = await eventually(lambda: _emails(email_outbox, net.sender.email))
    assert "Morgan Therapist" in sender_mail[0].text

    for status in (ServiceStatus.ENROLLED_IN_SERVICES, ServiceStatus.ON_WAITING_LIST):
        answer = await client.post(f"{API}/{rid}/status", json={"status": status, "comment": "first visit"},
                                   headers=provider)
        assert answer.status_code == 200 and answer.json()["state"] == "assigned", answer.text
    await client.post(f"{API}/{rid}/progress", json={"text": "Attended week 1 of 6"}, headers=provider)
    note = await client.post(f"{API}/{rid}/notes", headers=provider, json={
        "contacted_at": "2026-01-05T10:30:00", "method": "phone", "outcome": "left_message", "text": "Voicemail"})
    assert note.status_code == 200, note.text
    closed = await client.post(f"{API}/{rid}/status", json={"status": "Closed - Successful completion"},
                               headers=provider)
    assert closed.json()["state"] == "closed"

    # The sender sees status, progress and notes (Part 4 H), and was told on the bell.
    seen = (await client.get(f"{API}/{rid}", headers=sender)).json()
    assert seen["service_status"] == "Closed - Successful completion"
    assert [p["status"] for p in seen["progress"]] == [
        "Enrolled in Services", "On Waiting List", None, "Closed - Successful completion"]
    assert seen["notes"][0]["method_label"] == "Phone call" and seen["notes"][0]["outcome_label"] == "Left a message"
    assert seen["notes"][0]["contacted_at"].startswith("2026-01-05T17:30:00")  # 10:30 in Montana
    bells = db.scalars(select(Notification.kind).where(Notification.user_id == net.sender.id)).all()
    assert {"referral_assign", "referral_update_status", "referral_add_progress", "referral_add_note"} <= set(bells)

    again = await client.post(f"{API}/{rid}/status", json={"status": "Other"}, headers=provider)
    assert again.status_code == 409 and "it is closed" in again.json()["detail"]
    db.expire_all()
    row = db.get(Referral, rid)
    assert (row.state, row.closed_at is not None, row.acknowledged_at is not None) == ("closed", True, True)
    assert db.scalar(select(func.count()).select_from(ReferralProgress).where(ReferralProgress.referral_id == rid)) == 4

    handle = temporal_client.get_workflow_handle(referral_workflow_id(rid))
    await handle.result()  # a closed referral's run ends
    described = await handle.describe()
    assert described.typed_search_attributes.get(sa.REFERRAL_STATUS) == "closed"
    assert described.typed_search_attributes.get(sa.RECEIVING_PROGRAM) == str(net.receiving.id)
    assert described.typed_search_attributes.get(sa.CONNECT_KIND) == "referral"

    # Reopening (a gatekeeper, with a reason) starts a new run from the projection.
    no_reason = await client.post(f"{API}/{rid}/reopen", json={"reason": " "}, headers=gatekeeper)
    assert no_reason.status_code == 422
    by_provider = await client.post(f"{API}/{rid}/reopen", json={"reason": "x"}, headers=provider)
    assert by_provider.status_code == 403
    reopened = await client.post(f"{API}/{rid}/reopen", json={"reason": "Client came back"}, headers=gatekeeper)
    assert reopened.status_code == 200 and reopened.json()["state"] == "assigned", reopened.text
    assert (await handle.query(ReferralWorkflow.state)).state == "assigned"
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING  # waits for the provider again


async def test_a_second_referral_to_the_same_program_is_refused(client, db):
    net = make_network(db)
    at_once = await asyncio.gather(*(_create(client, bearer(db, net.sender, net.sending), net, program=net.sending)
                                     for _ in range(2)))
    assert sorted(a.status_code for a in at_once) == [201, 409]  # an internal referral, twice at once
    first = await _sent(client, db, net)
    again = await _create(client, bearer(db, net.sending_gatekeeper, net.sending), net, send=True)
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"You cannot create a new referral to {net.receiving.display_name}, since the client has an active "
        "and pending referral there.")
    assert db.scalar(select(func.count()).select_from(Referral)) == 2
    cards = (await client.get(f"{API}/cards", params={"client_id": net.client.id},
                              headers=bearer(db, net.sender, net.sending))).json()
    assert cards[1]["kind"] == "active" and cards[1]["referral_id"] == first["id"]


async def test_two_simultaneous_assigns_one_wins(client, db):
    net = make_network(db)
    rid = (await _sent(client, db, net))["id"]
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    answers = await asyncio.gather(
        client.post(f"{API}/{rid}/assign", json={"provider_id": net.provider.id}, headers=gatekeeper),
        client.post(f"{API}/{rid}/assign", json={"provider_id": net.provider2.id}, headers=gatekeeper),
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    won = next(a for a in answers if a.status_code == 200).json()
    lost = next(a for a in answers if a.status_code == 409).json()
    assert lost["error"] == "already_assigned"
    assert lost["assignee_id"] == won["assignee"]["id"]
    assert lost["assignee_name"] == won["assignee"]["name"] and won["assignee"]["name"] in lost["detail"]
    db.expire_all()
    assert db.get(Referral, rid).assigned_provider_id == won["assignee"]["id"]
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "referral.assign")) == 1


async def test_sending_without_a_valid_roi_is_refused_and_leaves_nothing(client, db):
    net = make_network(db)
    sender = bearer(db, net.sender, net.sending)
    cases = []
    no_roi = await _create(client, sender, net, send=True, program=net.outside)
    cases.append((no_roi, "roi_missing", "has not signed a release of information"))

    net.roi.expires_on = montana_today()  # valid up to, not including, this day
    db.commit()
    cases.append((await _create(client, sender, net, send=True), "roi_expired", "expired on"))

    net.roi.expires_on = montana_today() + timedelta(days=30)
    net.roi.state, net.roi.revoked_at = "revoked", datetime.now(timezone.utc)
    db.commit()
    cases.append((await _create(client, sender, net, send=True), "roi_revoked", "revoked"))

    make_signed_roi(db, net.client, net.sending, (net.receiving,), net.sender)
    db.commit()
    incomplete = await _create(client, sender, net, send=True, form={"reason": "", "fields": {}})
    cases.append((incomplete, "form_incomplete", "Personal Info tab is not complete"))
    not_insured = await _create(client, sender, net, send=True, insured=False)
    cases.append((not_insured, "insurance_not_confirmed", "insurance"))
    for answer, code, words in cases:
        assert answer.status_code in (403, 422), answer.text
        assert answer.json()["error"] == code and words in answer.json()["detail"]
    assert db.scalar(select(func.count()).select_from(Referral)) == 0


async def test_decline_with_a_reason_tells_the_sender(client, db, email_outbox):
    net = make_network(db)
    rid = (await _sent(client, db, net))["id"]
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    assert (await client.post(f"{API}/{rid}/decline", json={"reason": ""}, headers=gatekeeper)).status_code == 422
    by_provider = await client.post(f"{API}/{rid}/decline", json={"reason": "full"},
                                    headers=bearer(db, net.provider, net.receiving))
    assert by_provider.status_code == 404  # not assigned to them: they do not see it
    declined = await client.post(f"{API}/{rid}/decline", json={"reason": "Our waiting list is closed"},
                                 headers=gatekeeper)
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    mail = await eventually(lambda: [e for e in email_outbox.sent if e.to == net.sender.email
                                     and "declined" in e.subject])
    assert "Our waiting list is closed" not in mail[0].text  # free text stays in CONNECT, not in email
    seen = (await client.get(f"{API}/{rid}", headers=bearer(db, net.sender, net.sending))).json()
    assert seen["decline_reason"] == "Our waiting list is closed" and seen["declined_at"]
    assign = await client.post(f"{API}/{rid}/assign", json={"provider_id": net.provider.id}, headers=gatekeeper)
    assert assign.status_code == 409
    # A declined referral is no longer open: the sender may refer the client there again.
    assert (await _create(client, bearer(db, net.sender, net.sending), net, send=True)).status_code == 201


async def test_other_programs_see_nothing_and_roles_are_checked(client, db):
    net = make_network(db)
    rid = (await _sent(client, db, net))["id"]
    outsider = bearer(db, net.outsider, net.outside)
    for method, path, body in [("get", f"{API}/{rid}", None),
                               ("post", f"{API}/{rid}/assign", {"provider_id": net.outsider.id}),
                               ("post", f"{API}/{rid}/status", {"status": "Other"}),
                               ("post", f"{API}/{rid}/notes", {"contacted_at": "2026-01-05T10:00:00",
                                                               "method": "phone", "outcome": "reached"})]:
        answer = await client.request(method, path, json=body, headers=outsider)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["detail"] == "That referral was not found."

    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    outside = await client.post(f"{API}/{rid}/assign", json={"provider_id": net.outsider.id}, headers=gatekeeper)
    assert outside.status_code == 422 and outside.json()["field"] == "provider_id"
    await client.post(f"{API}/{rid}/assign", json={"provider_id": net.provider.id}, headers=gatekeeper)
    provider2 = bearer(db, net.provider2, net.receiving)
    assert (await client.post(f"{API}/{rid}/status", json={"status": "Other"}, headers=provider2)).status_code == 404
    provider = bearer(db, net.provider, net.receiving)
    assert (await client.post(f"{API}/{rid}/assign", json={"provider_id": net.provider2.id},
                              headers=provider)).status_code == 403
    # A provider may hand their own referral to a colleague (Part 5 A.X.3).
    passed = await client.post(f"{API}/{rid}/reassign", json={"provider_id": net.provider2.id}, headers=provider)
    assert passed.status_code == 200 and passed.json()["assignee"]["id"] == net.provider2.id
    assert (await client.get(f"{API}/{rid}", headers=provider)).status_code == 404
    assert (await client.post(f"{API}/{rid}/status", json={"status": "Enrolled in Services"},
                              headers=provider2)).status_code == 200


async def test_sent_referrals_filters_and_visibility(client, db):
    net = make_network(db, form_fields=False)
    sender = bearer(db, net.sender, net.sending)
    colleague_gk = bearer(db, net.sending_gatekeeper, net.sending)
    first = await _sent(client, db, net)
    # A second referral by the gatekeeper (to the outside program) and a declined one.
    make_signed_roi(db, net.client, net.sending, (net.outside,), net.sending_gatekeeper)
    db.commit()
    second = await _create(client, colleague_gk, net, send=True, program=net.outside)
    assert second.status_code == 201, second.text
    await client.post(f"{API}/{second.json()['id']}/decline", json={"reason": "Not our service"},
                      headers=bearer(db, make_gk(db, net.outside), net.outside))

    mine = (await client.get(f"{API}/sent", params={"status": "any"}, headers=sender)).json()
    assert [r["id"] for r in mine["items"]] == [first["id"]]  # a provider sees only their own
    everyone = (await client.get(f"{API}/sent", params={"status": "any"}, headers=colleague_gk)).json()
    assert {r["id"] for r in everyone["items"]} == {first["id"], second.json()["id"]}
    default = (await client.get(f"{API}/sent", headers=colleague_gk)).json()
    assert [r["id"] for r in default["items"]] == [first["id"]]  # open ones only
    declined = (await client.get(f"{API}/sent", params={"status": "declined"}, headers=colleague_gk)).json()
    assert [r["id"] for r in declined["items"]] == [second.json()["id"]]
    by_staff = (await client.get(f"{API}/sent", params={"status": "any", "staff_id": net.sender.id},
                                 headers=colleague_gk)).json()
    assert [r["id"] for r in by_staff["items"]] == [first["id"]]
    by_program = (await client.get(f"{API}/sent", params={"status": "any", "program_id": net.outside.id},
                                   headers=colleague_gk)).json()
    assert [r["id"] for r in by_program["items"]] == [second.json()["id"]]
    today = montana_today().isoformat()
    tomorrow = (montana_today() + timedelta(days=2)).isoformat()
    in_range = (await client.get(f"{API}/sent", params={"status": "any", "date_from": today},
                                 headers=colleague_gk)).json()
    assert in_range["total"] == 2
    later = (await client.get(f"{API}/sent", params={"status": "any", "date_from": tomorrow},
                              headers=colleague_gk)).json()
    assert later["total"] == 0
    by_name = (await client.get(f"{API}/sent", params={"status": "any", "q": "quarter"}, headers=colleague_gk)).json()
    assert by_name["total"] == 2
    by_number = (await client.get(f"{API}/sent", params={"status": "any", "q": f"#{first['id']}"},
                                  headers=colleague_gk)).json()
    assert [r["id"] for r in by_number["items"]] == [first["id"]]
    nobody = (await client.get(f"{API}/sent", params={"status": "any", "q": "Smith"}, headers=colleague_gk)).json()
    assert nobody["total"] == 0
    bad = await client.get(f"{API}/sent", params={"status": "nonsense"}, headers=colleague_gk)
    assert bad.status_code == 422
    # The provider's staff filter is ignored: they only ever see their own.
    snoop = (await client.get(f"{API}/sent", params={"status": "any", "staff_id": net.sending_gatekeeper.id},
                              headers=sender)).json()
    assert [r["id"] for r in snoop["items"]] == [first["id"]]


def make_gk(db, program):
    from tests.factories import make_user

    user = make_user(db, gatekeeper_of=(program,))
    db.commit()
    return user


async def test_history_holds_no_client_data(client, db, temporal_client, settings):
    net = make_network(db)
    rid = (await _sent(client, db, net))["id"]
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    await client.post(f"{API}/{rid}/assign", json={"provider_id": net.gatekeeper.id}, headers=gatekeeper)
    await client.post(f"{API}/{rid}/notes", headers=gatekeeper, json={
        "contacted_at": "2026-01-05T10:30:00", "method": "phone", "outcome": "reached",
        "text": "Spoke with Zelda about Xylophonic therapy"})
    raw = await Client.connect(temporal_client.service_client.config.target_host,
                               namespace=settings.temporal_namespace)  # no codec: what the server stores
    dump = (await raw.get_workflow_handle(referral_workflow_id(rid)).fetch_history()).to_json()
    for secret in ("Zelda", "Quartermaine", "Xylophonic", "counselling", "MT-12345"):
        assert secret not in dump
    assert db.scalar(select(ReferralNote.text).where(ReferralNote.referral_id == rid)).endswith("therapy")


async def test_a_revoked_roi_stops_a_pending_referral_and_the_sender_is_told(client, db, temporal_client,
                                                                            session_factory, settings):
    from temporalio.testing import ActivityEnvironment

    from activities.referrals import ReferralActivities
    from workflows.referral_contracts import RoiRevoked

    net = make_network(db)
    sender = bearer(db, net.sender, net.sending)
    rid = (await _create(client, sender, net)).json()["id"]
    net.roi.state, net.roi.revoked_at = "revoked", datetime.now(timezone.utc)
    db.commit()
    # The ROI workflow's revoke step runs this activity.
    tell = ReferralActivities(session_factory, settings).tell_referrals_roi_revoked
    assert await ActivityEnvironment(client=temporal_client).run(tell, RoiRevoked(net.roi.id)) == 1
    bell = await eventually(lambda: db.expire_all() or db.scalar(select(Notification).where(
        Notification.user_id == net.sender.id, Notification.kind == "referral_roi_revoked")))
    assert f"#{rid} cannot be sent" in bell.text and "revoked" in bell.text
    refused = await client.post(f"{API}/{rid}/send", json={"insurance_confirmed": True}, headers=sender)
    assert refused.status_code == 403 and refused.json()["error"] == "roi_revoked"
    db.expire_all()
    assert db.get(Referral, rid).state == "pending"
