"""The raw ceiling: what the Temporal server alone does on this machine.

Each run is the shape of a CONNECT journey with empty bodies: start a workflow, send it two
signals, it runs one activity and completes. N runs at a time, as many as the journey benchmark
runs, so the ratio of the two is our own overhead.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from bench.stats import Timings, progress


@activity.defn(name="bench_noop")
async def noop(_: str) -> str:
    return ""


@workflow.defn(name="BenchCeiling", sandboxed=False)
class CeilingWorkflow:
    def __init__(self) -> None:
        self.signals = 0

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.signals >= 2)
        await workflow.execute_activity(noop, "", start_to_close_timeout=timedelta(seconds=30))

    @workflow.signal
    async def poke(self) -> None:
        self.signals += 1


@dataclass
class CeilingResult:
    runs: int
    seconds: float
    timings: Timings

    @property
    def per_second(self) -> float:
        return self.runs / self.seconds if self.seconds else 0.0


async def run_ceiling(client: Client, *, concurrency: int, runs: int) -> CeilingResult:
    queue = f"bench-ceiling-{uuid.uuid4().hex[:6]}"
    timings = Timings()
    done = 0
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        nonlocal done
        async with sem:
            t0 = time.perf_counter()
            try:
                handle = await client.start_workflow(CeilingWorkflow.run, id=f"bench-{queue}-{i}", task_queue=queue)
                await handle.signal(CeilingWorkflow.poke)
                await handle.signal(CeilingWorkflow.poke)
                await handle.result()
                timings.add("ceiling run", (time.perf_counter() - t0) * 1000)
            except Exception:
                timings.fail("ceiling run")
            done += 1
            progress("raw Temporal ceiling", done, runs)

    async with Worker(client, task_queue=queue, workflows=[CeilingWorkflow], activities=[noop],
                      max_concurrent_workflow_tasks=200):
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(runs)))
        elapsed = time.perf_counter() - t0
    return CeilingResult(runs, elapsed, timings)
