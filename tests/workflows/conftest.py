"""Workflow fixtures: the time-skipping test server with its own worker, for timers that wait
days (the referral's nudge and escalation)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

import connect.temporal
from workflows import search_attributes as sa


@pytest.fixture(scope="session")
async def time_skipping_env(settings, session_factory, email_outbox, sms_outbox) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping Temporal server (time moves only when the test sleeps or awaits a result)
    and a worker on it with every workflow and activity, on the settings' task queue."""
    from worker import build_worker

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=connect.temporal.data_converter(settings),
    )
    await env.client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=env.client.namespace,
        search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in sa.ALL}))
    worker = build_worker(env.client, settings, session_factory=session_factory, email=email_outbox,
                          sms=sms_outbox)
    async with worker:
        yield env
    await env.shutdown()
