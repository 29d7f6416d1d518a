"""The raw ceiling measured in the same run: the journey's Temporal work with empty bodies.

The shape is read, not assumed: after one warm-up journey, the histories of every workflow it
started (ROI, referral, outbox deliveries, ...) are fetched and their starts, updates, signals and
activities counted. The mirror then replays that many operations straight on Temporal: one
`BenchMirror` workflow per original workflow, its updates executed one after another by the
client (each running its share of no-op activities before it answers, as CONNECT's updates do),
then its signals; the remaining activities run when the workflow starts. The ratio of journeys
per second to mirror journeys per second is CONNECT's own overhead (HTTP, database, rendering,
authorisation, audit) on top of the engine.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from bench.stats import Timings, progress


@dataclass(frozen=True)
class Shape:
    """What one workflow of the journey did."""

    kind: str
    updates: int = 0
    signals: int = 0
    activities: int = 0
    completes: bool = False

    @property
    def per_update(self) -> int:
        return self.activities // self.updates if self.updates else 0

    @property
    def at_start(self) -> int:
        return self.activities - self.per_update * self.updates


@dataclass(frozen=True)
class MirrorInput:
    shape: Shape


@activity.defn(name="bench_mirror_noop")
async def noop() -> None:
    return None


@workflow.defn(name="BenchMirror", sandboxed=False)
class MirrorWorkflow:
    @workflow.init
    def __init__(self, arg: MirrorInput) -> None:
        self.shape = arg.shape
        self.updates = 0
        self.signals = 0

    async def _activities(self, count: int) -> None:
        for _ in range(count):
            await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))

    @workflow.run
    async def run(self, arg: MirrorInput) -> None:
        if arg.shape.completes:
            await workflow.wait_condition(
                lambda: self.updates >= self.shape.updates and self.signals >= self.shape.signals)
            await self._activities(arg.shape.at_start)
            await workflow.wait_condition(workflow.all_handlers_finished)
        else:  # like an ROI, it stays open (its expiry is a year away)
            await self._activities(arg.shape.at_start)
            await workflow.wait_condition(lambda: False)

    @workflow.update
    async def step(self) -> None:
        await self._activities(self.shape.per_update)
        self.updates += 1

    @workflow.signal
    def poke(self) -> None:
        self.signals += 1


_COUNTED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "updates",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signals",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activities",
}


async def journey_shapes(client: Client, since: datetime, *, wait: float = 10.0) -> list[Shape]:
    """The workflows started since ``since`` (one journey's), in order of start, with what each
    did. Visibility is eventually consistent, so the list is read until it stops growing."""
    query = f"StartTime >= '{since.isoformat()}'"
    found: list = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        listed = [w async for w in client.list_workflows(query)]
        if listed and len(listed) == len(found):
            break
        found = listed
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)  # let the last activities of completing workflows land in history
    shapes = []
    for info in sorted(found, key=lambda w: w.start_time):
        history = await client.get_workflow_handle(info.id, run_id=info.run_id).fetch_history()
        counts = Counter(_COUNTED[e.event_type] for e in history.events if e.event_type in _COUNTED)
        completed = any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED for e in history.events)
        shapes.append(Shape(info.workflow_type, counts["updates"], counts["signals"], counts["activities"],
                            completed))
    return shapes


def describe(shapes: list[Shape]) -> str:
    totals = Counter()
    for s in shapes:
        totals.update(updates=s.updates, signals=s.signals, activities=s.activities)
    kinds = Counter(s.kind for s in shapes)
    return (f"{len(shapes)} workflow starts ({', '.join(f'{n} {k}' for k, n in kinds.items())}), "
            f"{totals['updates']} updates, {totals['signals']} signals, {totals['activities']} activities")


@dataclass
class MirrorResult:
    runs: int
    seconds: float
    timings: Timings = field(default_factory=Timings)

    @property
    def per_second(self) -> float:
        return self.runs / self.seconds if self.seconds else 0.0


# The yardstick: a simple workflow that starts, takes two signals, runs one activity and
# completes (timed to its completion).
SIMPLE = [Shape("simple", signals=2, activities=1, completes=True)]


async def run_mirror(client: Client, shapes: list[Shape], *, concurrency: int, runs: int,
                     wait: bool = False, label: str = "raw Temporal mirror") -> MirrorResult:
    """``runs`` mirror journeys, ``concurrency`` at a time, on a worker of this process; with
    ``wait``, each journey also waits for its completing workflows to complete."""
    queue = f"bench-mirror-{uuid.uuid4().hex[:6]}"
    timings, done = Timings(), 0
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        nonlocal done
        async with sem:
            t0 = time.perf_counter()
            try:
                for j, shape in enumerate(shapes):
                    handle = await client.start_workflow(MirrorWorkflow.run, MirrorInput(shape),
                                                         id=f"{queue}-{i}-{j}", task_queue=queue)
                    for _ in range(shape.updates):
                        await handle.execute_update(MirrorWorkflow.step)
                    for _ in range(shape.signals):
                        await handle.signal(MirrorWorkflow.poke)
                    if wait and shape.completes:
                        await handle.result()
                timings.add("mirror journey", (time.perf_counter() - t0) * 1000)
            except Exception:  # noqa: BLE001 - counted as an error in the table
                timings.fail("mirror journey")
            done += 1
            progress(label, done, runs)

    async with Worker(client, task_queue=queue, workflows=[MirrorWorkflow], activities=[noop]):
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(runs)))
        elapsed = time.perf_counter() - t0
        for i in range(runs):  # the open ones (ROI-like) would otherwise wait for ever
            for j, shape in enumerate(shapes):
                if not shape.completes:
                    await client.get_workflow_handle(f"{queue}-{i}-{j}").terminate("benchmark done")
    return MirrorResult(runs, elapsed, timings)
