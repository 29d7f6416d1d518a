"""The CONNECT worker: every workflow and activity on the task queue. Run more to scale out."""

from __future__ import annotations

import asyncio
import importlib.util
import py_compile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.heartbeats import HeartbeatInterceptor
from activities.registry import build_activities
from connect.mailer import email_sender
from connect.settings import Settings, load_settings
from connect.sms import sms_sender
from connect.schedules import ensure_schedules, trigger_recovery
from connect.temporal import connect_client
from models.db import make_engine, make_session_factory
from workflows.registry import WORKFLOWS

# Pure rule modules are deterministic; passing them through avoids re-importing them per run.
PASSTHROUGH = ("domain", "holidays", "zoneinfo")


def compile_workflow_modules() -> None:
    """Writes the bytecode of the workflow modules if it is missing.

    The sandbox imports a workflow's module afresh for every workflow run it starts (and every
    replay after eviction). Without a ``.pyc`` beside it (``PYTHONDONTWRITEBYTECODE`` set, as in
    many shells and images, or an editable install never imported before) each of those imports
    compiles the source again: 9 % of the worker's CPU in the journey benchmark. Compiling once
    here makes each of them a read. A read-only install simply keeps what it has.
    """
    import workflows

    for source in Path(workflows.__file__).parent.glob("*.py"):
        target = importlib.util.cache_from_source(str(source))
        if not Path(target).exists():
            try:
                py_compile.compile(str(source), cfile=target, doraise=True)
            except (OSError, py_compile.PyCompileError):
                pass


def build_worker(client: Client, settings: Settings, *, session_factory=None, email=None, sms=None,
                 task_queue: str | None = None, webhook_policy=None) -> Worker:
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))
    activities = build_activities(
        settings, session_factory, email or email_sender(settings), sms or sms_sender(settings),
        client, webhook_policy,
    )
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        interceptors=[HeartbeatInterceptor()],
        # Each cached workflow holds its state and sandbox (~110 KB, see the README); beyond
        # this many the least recently used is evicted and replayed from history when needed.
        max_cached_workflows=settings.worker_max_cached_workflows,
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )


# The threads the activities' database work runs on (asyncio.to_thread; see activities.registry
# for why the activities themselves are async): one per concurrent database step, bounded so a
# burst queues here rather than in the database's connection pool.
ACTIVITY_THREADS = 32


async def run_worker(settings: Settings) -> None:
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=ACTIVITY_THREADS, thread_name_prefix="activity"))
    compile_workflow_modules()
    client = await connect_client(settings)
    await ensure_schedules(client, settings)
    await trigger_recovery(client)  # the startup check: picks up what waited while we were down
    worker = build_worker(client, settings)
    await worker.run()


def main() -> None:
    asyncio.run(run_worker(load_settings()))


if __name__ == "__main__":
    main()
