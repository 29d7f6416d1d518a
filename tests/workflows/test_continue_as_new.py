"""Continue-as-new, forced: a dev server of its own suggests it after a few dozen history events,
so a referral and an MOU cross several runs in one test. Each new run starts from the state the
last one handed over: the same deadlines, assignee and expiry, every change applied exactly once."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from tests.mou_support import sign_mou
from workflows.ids import mou_workflow_id
from connect.temporal import data_converter
from models.accounts.tables import User, UserMou
from models.audit import AuditEvent
from models.referrals.tables import Referral, ReferralNote
from tests.factories import make_user
from tests.referral_network import COMPLETE_FORM, bearer, make_network
from workflows import search_attributes as sa
from workflows.ids import referral_workflow_id
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MOU_VERSION, MouKind, SignMou
from workflows.referral import ReferralWorkflow

SUGGEST_AFTER_EVENTS = 40


@pytest.fixture
async def short_history(settings, session_factory, email_outbox, sms_outbox, db):
    """A Temporal dev server that suggests continue-as-new early, with a worker and the app on it."""
    from worker import build_worker

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=sa.ALL, data_converter=data_converter(settings), dev_server_log_level="error",
        dev_server_extra_args=["--dynamic-config-value",
                               f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER_EVENTS}"])
    worker = build_worker(env.client, settings, session_factory=session_factory, email=email_outbox, sms=sms_outbox)
    app = create_app(settings, session_factory=session_factory, temporal_client=env.client)
    try:
        async with worker, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                             base_url="http://testserver") as http:
            yield env.client, http
    finally:
        await env.shutdown()


async def _runs(client, workflow_id: str) -> list:
    return [w async for w in client.list_workflows(f'WorkflowId="{workflow_id}"')]


async def test_a_referral_crosses_runs_and_keeps_its_deadlines_and_changes(short_history, db):
    temporal, http = short_history
    net = make_network(db)
    sender, gatekeeper = bearer(db, net.sender, net.sending), bearer(db, net.gatekeeper, net.receiving)
    created = await http.post("/api/v1/referrals", headers=sender, json={
        "client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
        "insurance_confirmed": True, **COMPLETE_FORM})
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    handle = temporal.get_workflow_handle(referral_workflow_id(rid))
    first = await handle.query(ReferralWorkflow.state)
    assert first.escalate_at is not None

    calls = 12
    for n in range(calls):  # a gatekeeper may log calls before assigning (the referral stays sent)
        answer = await http.post(f"/api/v1/referrals/{rid}/notes", headers=gatekeeper, json={
            "contacted_at": "2026-01-05T10:30:00", "method": "phone", "outcome": "left_message",
            "text": f"call {n}"})
        assert answer.status_code == 200, answer.text
    assigned = await http.post(f"/api/v1/referrals/{rid}/assign", headers=gatekeeper,
                               json={"provider_id": net.provider.id})
    assert assigned.status_code == 200, assigned.text

    runs = await _runs(temporal, referral_workflow_id(rid))
    assert len(runs) >= 3, f"expected several runs, got {len(runs)}"
    assert sum(1 for r in runs if r.status.name == "RUNNING") == 1
    now = await handle.query(ReferralWorkflow.state)  # the latest run
    assert (now.state.value, now.assignee_id) == ("assigned", net.provider.id)
    assert (now.sent_at, now.nudge_at, now.escalate_at) == (first.sent_at, first.nudge_at, first.escalate_at)

    db.expire_all()
    row = db.get(Referral, rid)
    assert (row.state, row.assigned_provider_id, row.escalation_due_at) == ("assigned", net.provider.id,
                                                                             first.escalate_at)
    texts = db.scalars(select(ReferralNote.text).where(ReferralNote.referral_id == rid)).all()
    assert sorted(texts) == sorted(f"call {n}" for n in range(calls))
    audited = db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "referral", AuditEvent.entity_id == str(rid), AuditEvent.action == "referral.add_note"))
    assert audited == calls


async def test_an_mou_crosses_runs_and_keeps_its_year(short_history, db, settings):
    temporal, _ = short_history
    user = make_user(db, mou_signed=False)
    db.commit()
    signatures = 10
    for n in range(signatures):
        signed = await sign_mou(temporal, settings, MouKind.USER, user.id,
                                SignMou(user.id, user.full_name, MOU_VERSION, f"text-{n}"))
    handle = temporal.get_workflow_handle(mou_workflow_id(MouKind.USER, user.id))
    runs = await _runs(temporal, mou_workflow_id(MouKind.USER, user.id))
    assert len(runs) >= 2, f"expected several runs, got {len(runs)}"
    state = await handle.query(MouRenewalWorkflow.state)
    assert (state.status, state.expires_on) == ("valid", signed.expires_on)
    db.expire_all()
    assert db.get(User, user.id).mou_expires_on == signed.expires_on
    assert db.scalar(select(func.count()).select_from(UserMou).where(UserMou.user_id == user.id)) == signatures
