"""With the worker down an update is held by the server without limit: the request waits at most
`update_wait_seconds`, answers 503 saying the change may have been applied, and a retry with the
same Idempotency-Key once the worker is back is applied once and answers like a success."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from api.app import create_app
from models.referrals.tables import ReferralNote
from tests.api.test_form_keys import _form_key
from tests.factories import login
from tests.referral_network import COMPLETE_FORM, bearer, make_network
from workflows.ids import referral_workflow_id

API = "/api/v1/referrals"
NOTE = {"contacted_at": "2026-01-05T10:30:00", "method": "phone", "outcome": "left_message", "text": "Voicemail"}


async def _referral_without_a_run(client, db, temporal_client, settings, session_factory):
    """A sent referral whose run is lost, and an app whose updates land on a queue no worker polls."""
    net = make_network(db)
    body = {"client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
            "insurance_confirmed": True, **COMPLETE_FORM}
    sent = await client.post(API, json=body, headers=bearer(db, net.sender, net.sending))
    assert sent.status_code == 201, sent.text
    rid = sent.json()["id"]
    await temporal_client.get_workflow_handle(referral_workflow_id(rid)).terminate("lost to an outage")
    down = settings.model_copy(update={"temporal_task_queue": f"down-{uuid.uuid4().hex}",
                                       "update_wait_seconds": 1.0})
    return net, rid, create_app(down, session_factory=session_factory, temporal_client=temporal_client)


async def test_a_form_answered_503_keeps_its_key(client, db, settings, session_factory, temporal_client):
    net, rid, app = await _referral_without_a_run(client, db, temporal_client, settings, session_factory)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        csrf = await login(c, net.gatekeeper.email)
        page = await c.get(f"/referrals/{rid}", headers={"accept": "text/html"})
        key = _form_key(page.text, f"/referrals/{rid}/notes")
        answer = await c.post(f"/referrals/{rid}/notes", headers={"accept": "text/html"}, data={
            **NOTE, "contacted_at": "2026-01-05T09:15", "csrf_token": csrf, "idempotency_key": key})
    assert answer.status_code == 503 and "may have been applied" in answer.text, answer.text
    assert _form_key(answer.text, f"/referrals/{rid}/notes") == key


async def test_an_update_with_the_worker_down_answers_503_and_its_retry_applies_once(
        client, db, settings, session_factory, temporal_client, email_outbox, sms_outbox):
    from worker import build_worker

    net, rid, app = await _referral_without_a_run(client, db, temporal_client, settings, session_factory)
    down = app.state.settings
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    key = {"Idempotency-Key": f"note-{uuid.uuid4().hex}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        began = time.monotonic()
        waiting = await c.post(f"{API}/{rid}/notes", json=NOTE, headers={**gatekeeper, **key})
        assert time.monotonic() - began < 30  # bounded, not the server's open-ended wait
        assert waiting.status_code == 503, waiting.text
        assert "may have been applied" in waiting.json()["detail"]
        assert "Idempotency-Key" in waiting.json()["detail"]

        async with build_worker(temporal_client, down, session_factory=session_factory,
                                email=email_outbox, sms=sms_outbox):
            retried = await c.post(f"{API}/{rid}/notes", json=NOTE, headers={**gatekeeper, **key})
            again = await c.post(f"{API}/{rid}/notes", json=NOTE, headers={**gatekeeper, **key})
    assert retried.status_code == 200 and again.status_code == 200, (retried.text, again.text)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ReferralNote).where(ReferralNote.referral_id == rid)) == 1


async def test_a_wait_that_ran_out_leaves_no_failure_unretrieved(settings, temporal_client):
    """A cancelled update-with-start leaves its error in the start operation's handle too, which
    nobody awaits: unless taken, asyncio logs "Future exception was never retrieved" for it (it
    did for every bounded wait that ran out in the chaos runs)."""
    import asyncio
    import gc

    from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

    from connect.workflow_client import mou_run, update
    from workflows.mou import MouRenewalWorkflow
    from workflows.mou_contracts import MouKind, SignMou

    down = settings.model_copy(update={"temporal_task_queue": f"down-{uuid.uuid4().hex}"})
    subject = 10_000 + uuid.uuid4().int % 1_000_000
    run = mou_run(MouKind.USER, subject)
    sign = SignMou(signer_user_id=subject, signed_name="Nico Newuser", version="v", text_sha256="0" * 64,
                   program_id=None)
    loop = asyncio.get_running_loop()
    reported: list[dict] = []
    before = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        with pytest.raises((TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError)):
            await asyncio.wait_for(update(temporal_client, down, run, MouRenewalWorkflow.sign, sign), timeout=1)
        gc.collect()  # an unretrieved exception is reported when its future is collected
        await asyncio.sleep(0)
        assert not [c for c in reported if "never retrieved" in c.get("message", "")], reported
    finally:
        loop.set_exception_handler(before)
        await temporal_client.get_workflow_handle(run.id).terminate()
