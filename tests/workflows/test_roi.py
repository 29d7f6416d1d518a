"""The ROI workflow on the real dev server: complete, each signing method, revoke, refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from domain.roi import RoiState
from models.releases.tables import ReleaseOfInformation, RoiSmsCode
from tests.roi_support import (
    code_hmac,
    code_texted,
    complete,
    eventually,
    make_scene,
    start_draft,
    texts_to,
)
from workflows import search_attributes as sa
from workflows.roi import RoiWorkflow
from workflows.roi_contracts import (
    ClientSaidYes,
    EnterCode,
    RevokeRoi,
    SignEsign,
    StartSms,
)


async def test_complete_then_esign(db, worker, temporal_client, settings):
    scene = make_scene(db)
    roi, handle = await start_draft(db, temporal_client, settings, scene)
    status = await complete(handle, scene)
    assert status.completed and status.state is RoiState.DRAFT
    db.expire_all()
    row = db.get(ReleaseOfInformation, roi.id)
    assert "Marisol Quintanilla" in row.rendered_text and len(row.text_sha256) == 64

    signed = await handle.execute_update(RoiWorkflow.sign_esign,
                                         SignEsign(scene.actor, "marisol  QUINTANILLA", True))
    assert signed.state is RoiState.SIGNED and signed.expires_on is not None
    db.expire_all()
    row = db.get(ReleaseOfInformation, roi.id)
    assert (row.state, row.signature_method, row.expires_on) == ("signed", "esign", signed.expires_on)
    desc = await handle.describe()
    assert desc.typed_search_attributes.get(sa.ROI_STATUS) == "signed"
    assert desc.typed_search_attributes.get(sa.CONNECT_KIND) == "roi"
    assert desc.typed_search_attributes.get(sa.SENDING_PROGRAM) == str(scene.sender.id)


async def test_esign_by_someone_else_is_refused_before_history(db, worker, temporal_client, settings):
    scene = make_scene(db)
    roi, handle = await start_draft(db, temporal_client, settings, scene)
    await complete(handle, scene)
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(RoiWorkflow.sign_esign, SignEsign(scene.actor, "Someone Else", True))
    assert failure.value.cause.type == "ValidationFailed"
    assert "does not match" in failure.value.cause.message
    history = await handle.fetch_history()
    assert not any(e.HasField("workflow_execution_update_accepted_event_attributes")
                   and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name == "sign_esign"
                   for e in history.events)
    db.expire_all()
    assert db.get(ReleaseOfInformation, roi.id).state == "draft"


async def test_sms_yes_code_signs(db, worker, temporal_client, settings):
    scene = make_scene(db)
    roi, handle = await start_draft(db, temporal_client, settings, scene)
    await complete(handle, scene)
    phone = scene.client.phones[0]
    status = await handle.execute_update(RoiWorkflow.start_sms, StartSms(scene.actor, phone.id))
    assert status.state is RoiState.AWAITING_SIGNATURE and status.sms_stage == "awaiting_yes"
    assert "Reply YES" in texts_to(db, phone.e164)[0]

    await handle.signal(RoiWorkflow.client_said_yes, ClientSaidYes(inbound_sms_id=1))
    code = await code_texted(db, handle, phone.e164)
    wrong_code = "000000" if code != "000000" else "111111"
    with pytest.raises(WorkflowUpdateFailedError) as wrong:
        await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, code_hmac(settings, wrong_code)))
    assert "4 tries left" in wrong.value.cause.message
    signed = await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, code_hmac(settings, code)))
    assert signed.state is RoiState.SIGNED
    db.expire_all()
    row = db.scalar(select(RoiSmsCode).where(RoiSmsCode.roi_id == roi.id))
    assert row.used_at is not None and row.attempts == 1 and row.code_hmac != code


async def test_revoke(db, worker, temporal_client, settings, email_outbox):
    scene = make_scene(db)
    roi, handle = await start_draft(db, temporal_client, settings, scene)
    await complete(handle, scene)
    await handle.execute_update(RoiWorkflow.sign_esign, SignEsign(scene.actor, scene.client.full_name, True))
    status = await handle.execute_update(RoiWorkflow.revoke, RevokeRoi(scene.actor, "Client asked by phone"))
    assert status.state is RoiState.REVOKED
    db.expire_all()
    row = db.get(ReleaseOfInformation, roi.id)
    assert row.state == "revoked" and row.revoke_reason == "Client asked by phone"
    await eventually(lambda: email_outbox.to(scene.receiver_gatekeeper.email))
    assert await handle.result() == "revoked"
