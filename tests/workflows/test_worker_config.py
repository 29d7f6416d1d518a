"""How the worker is built for durability: no module imported inside a workflow task (the
deadlock detector), a bounded workflow cache, heartbeating activities with short timeouts."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from activities.heartbeats import HeartbeatInterceptor
from workflows.delivery import DB_ACTIVITY, HEARTBEAT, MESSAGE_ACTIVITY

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from datetime import UTC, datetime

import worker  # everything the worker imports before its first workflow task

before = set(sys.modules)
from domain.business_days import add_business_days, next_business_day_at

add_business_days(datetime(2027, 11, 24, 15, tzinfo=UTC), 5)  # across Thanksgiving
next_business_day_at(datetime(2031, 12, 31, 23, tzinfo=UTC))  # a year never computed before
print(sorted(set(sys.modules) - before))
"""


def test_business_day_deadlines_import_nothing_inside_a_workflow_task():
    """The first `send` after a worker start failed its workflow task with TMPRL1101: computing
    the deadline imported the `holidays` rules of every country (~280 modules) inside the task.
    In a fresh interpreter that has imported what the worker imports, computing deadlines must
    import nothing more."""
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_the_holidays_package_is_pinned():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"holidays==' in text


async def test_the_worker_cache_is_bounded_and_activities_heartbeat(temporal_client, settings, session_factory):
    from worker import build_worker

    # Its own task queue: the client refuses a second worker on the queue the suite's worker polls.
    w = build_worker(temporal_client, settings.model_copy(update={"worker_max_cached_workflows": 123}),
                     session_factory=session_factory, task_queue=f"config-{uuid.uuid4().hex[:8]}")
    config = w.config()
    assert config["max_cached_workflows"] == 123
    assert any(isinstance(i, HeartbeatInterceptor) for i in config["interceptors"])
    for options in (DB_ACTIVITY, MESSAGE_ACTIVITY):
        assert options["heartbeat_timeout"] == HEARTBEAT and HEARTBEAT.total_seconds() <= 10
