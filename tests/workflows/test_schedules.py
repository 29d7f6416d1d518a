"""An email the API queued while Temporal was unreachable is held, and the outbox sweep (a
Temporal schedule) delivers it once Temporal is back; two sweeps never deliver a message twice.
The worker creates its schedules (the sweep, the dashboard summary) once, whoever starts first."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from api.accounts.messages import deliver
from connect.schedules import ensure_outbox_sweep, ensure_schedules
from models.messages.tables import HELD, OutboxMessage, claim_held_messages
from tests.factories import eventually
from tests.fakes import UnreachableTemporal, queue_test_email
from workflows.outbox import SweepHeldOutboxWorkflow
from workflows.outbox_contracts import OUTBOX_SWEEP_SCHEDULE_ID, SweepOutbox
from workflows.recovery_contracts import RECOVERY_SCHEDULE_ID
from workflows.summary_contracts import SUMMARY_INTERVAL, SUMMARY_SCHEDULE_ID


async def test_a_message_whose_delivery_cannot_start_is_held(db, session_factory, settings):
    outbox_id = queue_test_email(db, "ada@example.org")
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        temporal=UnreachableTemporal(), settings=settings, session_factory=session_factory)))
    await deliver(request, [outbox_id])  # never fails the request
    db.expire_all()
    assert db.get(OutboxMessage, outbox_id).status == HELD


def test_a_claim_takes_each_held_message_once(db):
    ids = [queue_test_email(db, f"p{i}@example.org") for i in range(3)]
    for row in db.scalars(select(OutboxMessage)):
        row.status = HELD
    db.commit()
    assert claim_held_messages(db, limit=2) == ids[:2]
    assert claim_held_messages(db, limit=5) == ids[2:]
    assert claim_held_messages(db, limit=5) == []
    db.commit()
    assert {r.status for r in db.scalars(select(OutboxMessage))} == {"queued"}


async def test_the_sweep_delivers_held_messages(db, temporal_client, worker, settings, email_outbox):
    held = queue_test_email(db, "held@example.org")
    db.get(OutboxMessage, held).status = HELD
    db.commit()
    delivered = await temporal_client.execute_workflow(
        SweepHeldOutboxWorkflow.run, SweepOutbox(), id=f"sweep-test-{uuid.uuid4().hex[:8]}",
        task_queue=settings.temporal_task_queue)
    assert delivered == 1
    db.expire_all()
    assert db.get(OutboxMessage, held).status in {"sent", "delivered"}
    assert any(e.to == "held@example.org" for e in email_outbox.sent)


async def test_the_worker_creates_its_schedules_once(temporal_client, settings, db, worker):
    await ensure_schedules(temporal_client, settings)
    summary = temporal_client.get_schedule_handle(SUMMARY_SCHEDULE_ID)
    try:
        described = await summary.describe()
        assert described.schedule.action.workflow == "SummariseClosedLoop"
        assert described.schedule.spec.intervals[0].every == SUMMARY_INTERVAL
        # It runs once at once (the summary of an empty network): let it end before the tables go.
        for _ in range(100):
            if (described := await summary.describe()).info.recent_actions:
                break
            await asyncio.sleep(0.05)
        [first] = described.info.recent_actions
        assert await temporal_client.get_workflow_handle(first.action.workflow_id).result() is not None
    finally:
        await summary.delete()
        # Left running it would sweep other tests' rows every minute.
        await temporal_client.get_schedule_handle(RECOVERY_SCHEDULE_ID).delete()
    handle = temporal_client.get_schedule_handle(OUTBOX_SWEEP_SCHEDULE_ID)
    await handle.delete()
    await ensure_outbox_sweep(temporal_client, settings, every=timedelta(hours=1))
    await ensure_outbox_sweep(temporal_client, settings, every=timedelta(hours=1))  # already there: fine
    try:
        described = await handle.describe()
        assert described.schedule.action.workflow == "SweepHeldOutbox"
        assert described.schedule.spec.intervals[0].every == timedelta(hours=1)
        held = queue_test_email(db, "scheduled@example.org")
        db.get(OutboxMessage, held).status = HELD
        db.commit()
        await handle.trigger()

        def sent() -> bool:
            db.expire_all()
            return db.get(OutboxMessage, held).status in {"sent", "delivered"}

        await eventually(sent)
    finally:
        await handle.delete()
