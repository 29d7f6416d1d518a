"""The ROI's clocks on the time-skipping test server: the SMS code's 12 hours and the ROI's year."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from domain.roi import RoiState, roi_expires_on
from models.messages.tables import Notification
from models.releases.tables import ReleaseOfInformation, RoiSmsCode
from tests.factories import advance
from tests.roi_support import (
    all_delivered,
    code_hmac,
    code_texted,
    codes_sent,
    complete,
    eventually,
    make_scene,
    start_draft,
)
from workflows import search_attributes as sa
from workflows.clock import local_date
from workflows.roi import RoiWorkflow
from workflows.roi_contracts import (
    ClientSaidYes,
    EnterCode,
    ResendCode,
    SignEsign,
    StartSms,
)


async def _code_sent(db, skipping_client, skipping_settings, scene):
    roi, handle = await start_draft(db, skipping_client, skipping_settings, scene)
    await complete(handle, scene)
    phone = scene.client.phones[0]
    await handle.execute_update(RoiWorkflow.start_sms, StartSms(scene.actor, phone.id))
    await handle.signal(RoiWorkflow.client_said_yes, ClientSaidYes(inbound_sms_id=7))
    code = await code_texted(db, handle, phone.e164)
    return roi, handle, code


async def test_code_is_valid_for_twelve_hours(db, skipping_env, skipping_client, skipping_worker, skipping_settings,
                                              settings):
    scene = make_scene(db)
    roi, handle, code = await _code_sent(db, skipping_client, skipping_settings, scene)
    await skipping_env.sleep(timedelta(hours=12, minutes=1))
    with pytest.raises(WorkflowUpdateFailedError) as expired:
        await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, code_hmac(settings, code)))
    assert expired.value.cause.type == "ValidationFailed"
    assert "expired" in expired.value.cause.message and "12 hours" in expired.value.cause.message
    assert (await handle.query(RoiWorkflow.state)).state is RoiState.AWAITING_SIGNATURE

    # Resend: a new code, valid for another 12 hours; the old one is refused as replaced.
    await handle.execute_update(RoiWorkflow.resend_code, ResendCode(scene.actor))
    codes = await eventually(lambda: len(codes_sent(db, scene.client.phones[0].e164)) == 2
                             and codes_sent(db, scene.client.phones[0].e164))
    fresh = codes[1]
    if fresh != code:
        with pytest.raises(WorkflowUpdateFailedError) as replaced:
            await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, code_hmac(settings, code)))
        assert "replaced by a newer one" in replaced.value.cause.message
    await skipping_env.sleep(timedelta(hours=11, minutes=50))
    signed = await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, code_hmac(settings, fresh)))
    assert signed.state is RoiState.SIGNED
    db.expire_all()
    rows = db.scalars(select(RoiSmsCode).where(RoiSmsCode.roi_id == roi.id).order_by(RoiSmsCode.id)).all()
    assert rows[0].superseded_at is not None and rows[0].used_at is None
    assert rows[1].used_at is not None and rows[1].expires_at - rows[1].sent_at == timedelta(hours=12)


async def test_five_wrong_codes_lock_until_resend(db, skipping_client, skipping_worker, skipping_settings, settings):
    scene = make_scene(db)
    roi, handle, code = await _code_sent(db, skipping_client, skipping_settings, scene)
    wrong = code_hmac(settings, "999999" if code != "999999" else "888888")
    for attempt in range(1, 6):
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, wrong))
        assert failure.value.cause.type == "ValidationFailed"
    assert "locked" in failure.value.cause.message
    # Even the right code is refused now, by the validator (nothing reaches history).
    with pytest.raises(WorkflowUpdateFailedError) as locked:
        await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, code_hmac(settings, code)))
    assert locked.value.cause.type == "InvalidTransition" and "locked" in locked.value.cause.message
    db.expire_all()
    assert db.scalar(select(RoiSmsCode.attempts).where(RoiSmsCode.roi_id == roi.id)) == 5
    status = await handle.execute_update(RoiWorkflow.resend_code, ResendCode(scene.actor))
    assert status.code_attempts_left == 5
    # Let the text go out before the test ends: terminating the workflow with a delivery in
    # flight leaves the test server's clock locked for the next test.
    await eventually(lambda: all_delivered(db))


async def test_roi_reminds_then_expires_after_one_calendar_year(db, skipping_env, skipping_client, skipping_worker,
                                                                skipping_settings):
    scene = make_scene(db)
    roi, handle = await start_draft(db, skipping_client, skipping_settings, scene)
    await complete(handle, scene)
    signed = await handle.execute_update(RoiWorkflow.sign_esign, SignEsign(scene.actor, scene.client.full_name, True))
    assert signed.expires_on == roi_expires_on(local_date(signed.signed_at))

    def bells():
        db.expire_all()
        return [n.text for n in db.scalars(select(Notification).where(Notification.user_id == scene.user.id))]

    await advance(skipping_env, signed.expires_on - signed.signed_at.date() - timedelta(days=29))
    texts = await eventually(lambda: any("expires on" in t for t in bells()) and bells())
    assert (await handle.query(RoiWorkflow.state)).state is RoiState.SIGNED
    await advance(skipping_env, timedelta(days=30))
    assert await handle.result() == "expired"
    db.expire_all()
    assert db.get(ReleaseOfInformation, roi.id).state == "expired"
    assert any("expired on" in t for t in bells())
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(sa.ROI_STATUS) == "expired"
    assert not any("expired" in t for t in texts)
