"""The workflow that keeps the closed-loop dashboard's monthly summary, on the real dev server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models.reports.closed_loop_summary import ClosedLoopSummarised
from tests.factories import make_program, make_referral, make_user
from workflows.summary import SummariseClosedLoopWorkflow
from workflows.summary_contracts import SummariseClosedLoop


async def test_the_workflow_summarises_the_settled_months(db, worker, temporal_client, settings):
    program = make_program(db)
    sender = make_user(db, provider_of=(program,))
    sent = datetime.now(UTC) - timedelta(days=75)  # two or three months ago
    make_referral(db, program, program, sender, sent_at=sent, acknowledged_at=sent + timedelta(hours=5))
    db.commit()
    months = await temporal_client.execute_workflow(
        SummariseClosedLoopWorkflow.run, SummariseClosedLoop(), id=f"summary-test-{uuid.uuid4().hex[:8]}",
        task_queue=settings.temporal_task_queue)
    db.expire_all()
    summarised = list(db.scalars(select(ClosedLoopSummarised.month)))
    assert months == len(summarised) >= 2
