"""A person's change waits for its database step at most `TimerPolicy.db_step_timeout_seconds`:
with the database down the update fails once that is spent, the workflow undoes its mark, and
the API answers 503 `database_unavailable` (nothing applied); once the database is back the same
change with a new key is applied."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError

from api.errors import from_workflow_failure
from connect.workflow_client import referral_run, update
from domain.referral_permissions import Acting
from models.db import make_engine, make_session_factory
from models.referrals.tables import Referral
from tests.referral_network import make_network
from worker import build_worker
from workflows.policy import TimerPolicy
from workflows.referral import ReferralWorkflow
from workflows.referral_contracts import AssignReferral, SendReferral

# Nothing listens on port 1: every connection is refused at once, as in an outage.
DATABASE_DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/connect"


async def test_a_change_during_a_database_outage_fails_undone_and_answers_503(
        db, temporal_client, settings, session_factory, email_outbox, sms_outbox):
    queue = settings.model_copy(update={"temporal_task_queue": f"outage-{uuid.uuid4().hex}"})
    policy = TimerPolicy(db_step_timeout_seconds=2)
    net = make_network(db)
    row = Referral(client_id=net.client.id, roi_id=net.roi.id, sending_program_id=net.sending.id,
                   receiving_program_id=net.receiving.id, sender_user_id=net.sender.id, state="pending",
                   reason="Needs counselling", form_data={"urgent": "no", "member_id": "A1"})
    db.add(row)
    db.commit()
    sender = Acting(net.sender.id, net.sending.id, False, True)
    gatekeeper = Acting(net.gatekeeper.id, net.receiving.id, True, False)
    assign = AssignReferral(gatekeeper, net.gatekeeper.id, net.gatekeeper.full_name, [net.receiving.id])

    async def change(update_fn, request):
        return await update(temporal_client, queue, referral_run(row, policy), update_fn, request,
                            update_id=str(uuid.uuid4()))

    async with build_worker(temporal_client, queue, session_factory=session_factory, email=email_outbox,
                            sms=sms_outbox):
        await change(ReferralWorkflow.send, SendReferral(sender, True))

    down = make_engine(DATABASE_DOWN)
    try:
        async with build_worker(temporal_client, queue, session_factory=make_session_factory(down),
                                email=email_outbox, sms=sms_outbox):
            with pytest.raises(WorkflowUpdateFailedError) as failed:
                await change(ReferralWorkflow.assign, assign)
    finally:
        down.dispose()
    answer = from_workflow_failure(failed.value)
    assert answer is not None and (answer.status, answer.code) == (503, "database_unavailable")
    assert "not applied" in answer.reason

    async with build_worker(temporal_client, queue, session_factory=session_factory, email=email_outbox,
                            sms=sms_outbox):
        # Undone: had the workflow kept the failed assignment, this would be refused as assigned.
        outcome = await change(ReferralWorkflow.assign, assign)
    assert outcome.assignee_id == net.gatekeeper.id
    db.expire_all()
    assert db.scalar(select(Referral.assigned_provider_id).where(Referral.id == row.id)) == net.gatekeeper.id
