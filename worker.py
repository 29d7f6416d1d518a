"""The CONNECT worker: every workflow and activity on the task queue. Run more to scale out."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.registry import build_activities
from connect.mailer import email_sender
from connect.settings import Settings, load_settings
from connect.sms import sms_sender
from connect.starters import ensure_summary_schedule
from connect.temporal import connect_client
from models.db import make_engine, make_session_factory
from workflows.registry import WORKFLOWS

# Pure rule modules are deterministic; passing them through avoids re-importing them per run.
PASSTHROUGH = ("domain", "holidays", "zoneinfo")


def build_worker(client: Client, settings: Settings, *, session_factory=None, email=None, sms=None,
                 task_queue: str | None = None) -> Worker:
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))
    activities = build_activities(
        settings, session_factory, email or email_sender(settings), sms or sms_sender(settings)
    )
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        activity_executor=ThreadPoolExecutor(max_workers=32),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )


async def run_worker(settings: Settings) -> None:
    client = await connect_client(settings)
    worker = build_worker(client, settings)
    await ensure_summary_schedule(client, settings)
    await worker.run()


def main() -> None:
    asyncio.run(run_worker(load_settings()))


if __name__ == "__main__":
    main()
