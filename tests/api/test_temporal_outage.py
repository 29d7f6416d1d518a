"""Temporal unreachable: an API that started without it answers the same clear 503 a running API
gives; the Twilio webhook still stores a YES and answers 200 (without telling the client anything
false); rows written meanwhile (the YES, a draft ROI, a pending referral) reach their workflows
through the recovery sweep once Temporal is back, each exactly once in effect."""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from api.app import create_app
from models.referrals.tables import Referral
from models.releases.tables import InboundSms, ReleaseOfInformation
from models.workflow_starts import WorkflowStart
from tests.referral_network import COMPLETE_FORM, bearer, make_network
from tests.roi_support import awaiting_yes, codes_sent, eventually, make_scene, twilio_yes
from workflows.ids import referral_workflow_id, roi_workflow_id
from workflows.recovery import RecoverStrandedWorkflow
from workflows.recovery_contracts import RecoverStranded

PHONE = "+14065551234"


def _nowhere() -> str:
    """A loopback address where nothing listens: Temporal, down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def up(twilio_http):
    return twilio_http


@pytest.fixture
async def down(twilio_settings, session_factory, db):
    """The same API, started while Temporal cannot be reached."""
    app = create_app(twilio_settings.model_copy(update={"temporal_address": _nowhere()}),
                     session_factory=session_factory)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def _sweep(temporal_client, settings):
    """One run of the recovery sweep, as its schedule starts it."""
    return await temporal_client.execute_workflow(
        RecoverStrandedWorkflow.run, RecoverStranded(), id=f"recovery-test-{uuid.uuid4().hex[:8]}",
        task_queue=settings.temporal_task_queue)


def _age_owed_starts(db) -> None:
    """Owed starts younger than a minute may still be under way; these are older."""
    for owed in db.scalars(select(WorkflowStart)):
        owed.created_at -= timedelta(minutes=5)
    db.commit()


async def test_an_api_started_without_temporal_answers_503_not_500(down, db):
    net = make_network(db)
    answer = await down.post("/api/v1/referrals", json={"client_id": net.client.id,
                                                       "receiving_program_id": net.receiving.id, "send": True,
                                                       "insurance_confirmed": True, **COMPLETE_FORM},
                             headers=bearer(db, net.sender, net.sending))
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "temporal_unavailable"
    page = await down.get("/api/v1/referrals/sent", headers=bearer(db, net.sender, net.sending))
    assert page.status_code == 200  # reads never need Temporal


async def test_a_yes_texted_while_temporal_is_down_gets_its_code_once_temporal_is_back(
        up, down, db, twilio_settings, temporal_client, settings):
    scene = make_scene(db, phone=PHONE)
    await awaiting_yes(up, scene)
    params, headers = twilio_yes(twilio_settings, "SM" + "d" * 32)

    answer = await down.post("/twilio/sms", data=params, headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
    assert "received your reply" in answer.text and "code will be texted to you shortly" in answer.text
    assert "signed" not in answer.text.lower()
    row = db.scalar(select(InboundSms))
    assert row.outcome == "consent_pending" and codes_sent(db, PHONE) == []
    # Twilio retries while Temporal is still down: the same answer, nothing new stored.
    again = await down.post("/twilio/sms", data=params, headers=headers)
    assert again.status_code == 200 and again.text == answer.text
    assert db.scalar(select(func.count(InboundSms.id))) == 1

    report = await _sweep(temporal_client, settings)  # Temporal is back
    assert report.texts_passed_on == 1
    [code] = await eventually(lambda: codes_sent(db, PHONE))
    db.expire_all()
    assert db.get(InboundSms, row.id).outcome == "consent"
    # Another sweep and another replay change nothing: one code.
    assert (await _sweep(temporal_client, settings)).texts_passed_on == 0
    replay = await up.post("/twilio/sms", data=params, headers=headers)
    assert replay.status_code == 200
    assert codes_sent(db, PHONE) == [code]


async def test_a_replayed_yes_is_passed_on_as_soon_as_temporal_answers(up, down, db, twilio_settings):
    scene = make_scene(db, phone=PHONE)
    await awaiting_yes(up, scene)
    params, headers = twilio_yes(twilio_settings, "SM" + "e" * 32)
    await down.post("/twilio/sms", data=params, headers=headers)
    # Twilio's retry reaches an API that can reach Temporal: no need to wait for the sweep.
    await up.post("/twilio/sms", data=params, headers=headers)
    assert len(await eventually(lambda: codes_sent(db, PHONE))) == 1
    db.expire_all()
    assert db.scalar(select(InboundSms.outcome)) == "consent"


async def test_rows_left_without_a_workflow_are_started_by_the_sweep(up, down, db, temporal_client, settings):
    net = make_network(db)
    started = await down.post("/api/v1/roi", json={"client_id": net.client.id, "program_ids": [net.outside.id]},
                              headers=bearer(db, net.sender, net.sending))
    assert started.status_code == 503 and started.json()["error"] == "temporal_unavailable"
    draft = db.scalar(select(ReleaseOfInformation).where(ReleaseOfInformation.state == "draft"))
    saved = await down.post("/api/v1/referrals", json={"client_id": net.client.id,
                                                      "receiving_program_id": net.receiving.id, "send": False,
                                                      **COMPLETE_FORM}, headers=bearer(db, net.sender, net.sending))
    assert saved.status_code == 503
    [pending] = db.scalars(select(Referral)).all()
    assert pending.state == "pending"

    young = await _sweep(temporal_client, settings)  # the API may still be starting them
    assert young.workflows_started == 0
    _age_owed_starts(db)
    report = await _sweep(temporal_client, settings)
    assert report.workflows_started == 2 and report.starts_not_needed == 0
    for workflow_id in (roi_workflow_id(draft.id), referral_workflow_id(pending.id)):
        assert (await temporal_client.get_workflow_handle(workflow_id).describe()).status.name == "RUNNING"
    assert db.scalar(select(func.count(WorkflowStart.id))) == 0
    assert (await _sweep(temporal_client, settings)).workflows_started == 0


async def test_a_start_that_succeeded_owes_nothing(up, db, temporal_client, settings):
    scene = make_scene(db, phone=PHONE)
    await awaiting_yes(up, scene)
    db.expire_all()
    assert db.scalar(select(func.count(WorkflowStart.id))) == 0
