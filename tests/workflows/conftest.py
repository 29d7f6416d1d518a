"""The time-skipping test server, for timers measured in hours, days and years (the SMS code's 12
hours, the referral's nudge and five-business-day escalation, the ROI's calendar year), with workers
on the same database and message fakes. Time moves only while a test sleeps or awaits a result."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from connect.settings import Settings
from connect.temporal import data_converter
from workflows import search_attributes as sa


async def _start_skipping(settings: Settings) -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=data_converter(settings),
    )
    await env.client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=env.client.namespace,
        search_attributes={k.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for k in sa.ALL},
    ))
    return env


@pytest.fixture(scope="session")
async def skipping_env(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    env = await _start_skipping(settings)
    yield env
    await env.shutdown()


@pytest.fixture
async def year_skipping_env(settings, session_factory, email_outbox,
                            sms_outbox) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own, with a worker on the main settings' task queue,
    for a test that moves its clock by a year: the shared one's clock would stay a year ahead of
    the MOUs and ROIs the next tests make."""
    from worker import build_worker

    env = await _start_skipping(settings)
    try:
        async with build_worker(env.client, settings, session_factory=session_factory,
                                email=email_outbox, sms=sms_outbox):
            yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def skipping_client(skipping_env: WorkflowEnvironment) -> Client:
    return skipping_env.client


@pytest.fixture(scope="session")
def skipping_settings(settings: Settings) -> Settings:
    """The same settings on a task queue of the time-skipping server's own."""
    return settings.model_copy(update={"temporal_task_queue": f"connect-skip-{uuid.uuid4().hex[:8]}"})


@pytest.fixture(scope="session")
async def skipping_worker(skipping_client, skipping_settings, session_factory, email_outbox, sms_outbox):
    from worker import build_worker

    w = build_worker(skipping_client, skipping_settings, session_factory=session_factory,
                     email=email_outbox, sms=sms_outbox)
    async with w:
        yield w


@pytest.fixture(scope="session")
async def time_skipping_env(skipping_env, settings, session_factory, email_outbox, sms_outbox):
    """The time-skipping server with a worker on the main settings' task queue."""
    from worker import build_worker

    async with build_worker(skipping_env.client, settings, session_factory=session_factory,
                            email=email_outbox, sms=sms_outbox):
        yield skipping_env
