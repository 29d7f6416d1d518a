"""Records ROI workflow histories for tests/workflows/test_replay.py, which replays every file in
tests/histories with today's code. Re-record only after a deliberate change guarded by
`workflow.patched`: `RECORD_HISTORIES=1 pytest tests/workflows/test_roi_record.py`."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError

from tests.roi_support import (
    code_hmac,
    code_texted,
    codes_sent,
    complete,
    eventually,
    make_scene,
    start_draft,
)
from workflows.roi import RoiWorkflow
from workflows.roi_contracts import (
    AttachUpload,
    ClientSaidYes,
    DeleteAttachment,
    EnterCode,
    MarkUploadPending,
    ResendCode,
    RevokeRoi,
    StartSms,
)

HISTORIES = Path(__file__).parent.parent / "histories"
pytestmark = pytest.mark.skipif(os.environ.get("RECORD_HISTORIES") != "1", reason="records only on request")


async def _save(handle, name: str) -> None:
    history = await handle.fetch_history()
    (HISTORIES / f"roi__{name}.json").write_text(history.to_json())


async def test_record_sms_signature_then_revocation(db, worker, temporal_client, settings):
    scene = make_scene(db)
    roi, handle = await start_draft(db, temporal_client, settings, scene)
    await complete(handle, scene)
    phone = scene.client.phones[0]
    await handle.execute_update(RoiWorkflow.start_sms, StartSms(scene.actor, phone.id))
    await handle.signal(RoiWorkflow.client_said_yes, ClientSaidYes(inbound_sms_id=1))
    await code_texted(db, handle, phone.e164)
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, code_hmac(settings, "x")))
    await handle.execute_update(RoiWorkflow.resend_code, ResendCode(scene.actor))
    codes = await eventually(lambda: len(codes_sent(db, phone.e164)) == 2 and codes_sent(db, phone.e164))
    await handle.execute_update(RoiWorkflow.enter_code, EnterCode(scene.actor, code_hmac(settings, codes[1])))
    await handle.execute_update(RoiWorkflow.revoke, RevokeRoi(scene.actor, "Client asked"))
    assert await handle.result() == "revoked"
    await _save(handle, "sms-wrong-resend-signed-revoked")


async def test_record_upload_withdrawn_reuploaded_expired(db, year_skipping_env, settings):
    """On a time-skipping server of its own, so the year of validity passes."""
    scene = make_scene(db)
    roi, handle = await start_draft(db, year_skipping_env.client, settings, scene)
    await complete(handle, scene)
    await handle.execute_update(RoiWorkflow.mark_upload_pending, MarkUploadPending(scene.actor))
    first = await handle.execute_update(RoiWorkflow.attach_upload,
                                        AttachUpload(scene.actor, f"roi/{roi.id}/{'a' * 64}.pdf", "a" * 64, 1000))
    await handle.execute_update(RoiWorkflow.delete_attachment, DeleteAttachment(scene.actor, first.attachment_id))
    await handle.execute_update(RoiWorkflow.attach_upload,
                                AttachUpload(scene.actor, f"roi/{roi.id}/{'b' * 64}.pdf", "b" * 64, 2000))
    await year_skipping_env.sleep(timedelta(days=367))
    assert await handle.result() == "expired"
    await _save(handle, "upload-withdrawn-reuploaded-expired")
