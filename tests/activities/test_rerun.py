"""Every activity a journey ran, run again with the very input its workflow gave it, changes
nothing: no row written or altered, no email or text sent again. Temporal retries an activity whose
worker died after it committed, so each must recognise work it already did by its key.

The inputs are read back from the workflows' histories (decoded with the payload codec), so the
test covers whatever activities the journeys use, with no hand-built input."""

from __future__ import annotations

import inspect
import typing
from collections import Counter
from datetime import datetime, timezone

import httpx
from sqlalchemy import select
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.testing import ActivityEnvironment

from activities.registry import build_activities
from tests.mou_support import sign_mou
from workflows.ids import mou_workflow_id
from connect.temporal import data_converter
from models.base import Base
from tests.referral_network import make_network, whole_loop
from tests.roi_support import (
    awaiting_yes,
    codes_sent,
    eventually,
    make_scene,
    pdf_bytes,
    signed_by_upload,
    signed_in,
    twilio_yes,
)
from workflows.ids import referral_workflow_id, roi_workflow_id
from workflows.mou_contracts import MOU_VERSION, MouKind, SignMou

PHONE = "+14065551234"


def _snapshot(db) -> dict[str, list[tuple]]:
    db.expire_all()
    return {table.name: sorted((tuple(map(repr, row)) for row in db.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables}


def _input_type(fn) -> type:
    [name] = list(inspect.signature(fn).parameters)
    return typing.get_type_hints(fn)[name]


async def _rerun_every_activity(temporal, workflow_ids, since, settings, session_factory, email,
                                sms) -> Counter:
    """Runs again each activity that completed in every run of these workflows started since
    ``since`` (ids come round again in later tests; earlier tests' runs stay listed); returns how
    many of each kind ran."""
    activities = build_activities(settings, session_factory, email, sms, temporal)
    by_name = {activity._Definition.must_from_callable(fn).name: fn for fn in activities}
    converter = data_converter(settings)
    env = ActivityEnvironment(client=temporal)
    ran: Counter = Counter()
    for workflow_id in workflow_ids:
        async for run in temporal.list_workflows(f'WorkflowId="{workflow_id}"'):
            if run.start_time < since:
                continue
            history = await temporal.get_workflow_handle(workflow_id, run_id=run.run_id).fetch_history()
            completed = {e.activity_task_completed_event_attributes.scheduled_event_id for e in history.events
                         if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED}
            for event in history.events:
                if event.event_id not in completed:
                    continue
                scheduled = event.activity_task_scheduled_event_attributes
                fn = by_name[scheduled.activity_type.name]
                [request] = await converter.decode(scheduled.input.payloads, [_input_type(fn)])
                await env.run(fn, request)
                ran[scheduled.activity_type.name] += 1
    return ran


async def _assert_reruns_change_nothing(db, temporal, workflow_ids, since, settings, session_factory,
                                        email, sms) -> Counter:
    before, mails, texts = _snapshot(db), len(email.sent), len(sms.sent)
    ran = await _rerun_every_activity(temporal, workflow_ids, since, settings, session_factory, email, sms)
    after = _snapshot(db)
    changed = {name: (len(rows), len(after[name])) for name, rows in before.items() if after[name] != rows}
    assert not changed, f"re-run activities changed tables (rows before, after): {changed}"
    assert (len(email.sent), len(sms.sent)) == (mails, texts), "a re-run sent a message again"
    return ran


async def test_roi_and_mou_activities_have_one_effect(twilio_http, twilio_settings, db, temporal_client,
                                                      session_factory, email_outbox, sms_outbox):
    http, settings = twilio_http, twilio_settings
    since = datetime.now(timezone.utc)
    scene = make_scene(db)

    # A text-message signature: YES, a wrong code, the right one; then the client revokes.
    by_text = await awaiting_yes(http, scene)
    headers = await signed_in(http, scene)
    params, signature = twilio_yes(settings, "SM" + "a" * 32)
    async with httpx.AsyncClient(transport=http._transport, base_url=http.base_url) as twilio:  # no session
        assert (await twilio.post("/twilio/sms", data=params, headers=signature)).status_code == 200
    [code] = await eventually(lambda: codes_sent(db, PHONE))
    wrong = "000000" if code != "000000" else "111111"
    await http.post(f"/api/v1/roi/{by_text}/sign/sms/code", json={"code": wrong}, headers=headers)
    signed = await http.post(f"/api/v1/roi/{by_text}/sign/sms/code", json={"code": code}, headers=headers)
    assert signed.json().get("state") == "signed", signed.text
    revoked = await http.post(f"/api/v1/roi/{by_text}/revoke", json={"reason": "Client asked"}, headers=headers)
    assert revoked.status_code == 200, revoked.text

    # An upload: the scan, then deleted (back to awaiting), then the ROI abandoned.
    scan = await signed_by_upload(http, scene, headers, pdf_bytes())
    by_upload = scan.json()["id"]
    gone = await http.delete(f"/api/v1/roi/{by_upload}/attachments/{scan.json()['attachment']['id']}",
                             headers=headers)
    assert gone.status_code == 200, gone.text
    abandoned = await http.post(f"/api/v1/roi/{by_upload}/abandon", json={}, headers=headers)
    assert abandoned.status_code == 200, abandoned.text

    await sign_mou(temporal_client, settings, MouKind.USER, scene.user.id,
                   SignMou(scene.user.id, scene.user.full_name, MOU_VERSION, "text"))

    ids = [roi_workflow_id(by_text), roi_workflow_id(by_upload), mou_workflow_id(MouKind.USER, scene.user.id)]
    await eventually(lambda: not db.expire_all() and _all_sent(db))
    ran = await _assert_reruns_change_nothing(db, temporal_client, ids, since, settings, session_factory,
                                              email_outbox, sms_outbox)
    assert {"record_roi_completion", "record_roi_signature_started", "issue_roi_sms_code",
            "record_roi_code_attempt", "record_roi_signature", "record_roi_revocation",
            "record_roi_attachment_deleted", "record_roi_abandoned", "record_mou_signature",
            "deliver_message"} <= set(ran), ran


async def test_referral_activities_have_one_effect(client, db, temporal_client, settings, session_factory,
                                                   email_outbox, sms_outbox):
    since = datetime.now(timezone.utc)
    rid = await whole_loop(client, db, make_network(db))
    await temporal_client.get_workflow_handle(referral_workflow_id(rid)).result()
    await eventually(lambda: not db.expire_all() and _all_sent(db))
    ran = await _assert_reruns_change_nothing(db, temporal_client, [referral_workflow_id(rid)], since,
                                              settings, session_factory, email_outbox, sms_outbox)
    assert ran["apply_referral_change"] == 7 and ran["deliver_message"] > 0, ran


def _all_sent(db) -> bool:
    from models.messages.tables import OutboxMessage

    return db.scalar(select(OutboxMessage.id).where(OutboxMessage.status.in_(("queued", "sending"))).limit(1)) is None
