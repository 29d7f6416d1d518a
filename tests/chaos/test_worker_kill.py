"""The worker killed with SIGKILL at random moments during 30 concurrent journeys (10 at a time),
at least ten times, and started again each time: every journey still ends exactly once."""

from __future__ import annotations

import asyncio
import random

from bench.chaos import check_exactly_once, open_chaos, run_journeys

JOURNEYS, KILLS = 30, 10


async def test_killing_the_worker_loses_and_repeats_nothing(tmp_path):
    chaos = await asyncio.to_thread(open_chaos, tmp_path, "worker_kill")  # start_stack runs its own loop
    rng = random.Random(20)
    kills = 0
    try:
        await chaos.worker_polling()
        journeys = asyncio.create_task(run_journeys(chaos, JOURNEYS, concurrency=10))
        while not journeys.done() and kills < KILLS:
            await asyncio.sleep(rng.uniform(0.2, 2.0))  # at a random moment of its work
            chaos.stack.kill("worker-0")
            kills += 1
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            await chaos.restart("worker-0")
        referral_ids = await journeys
        assert kills >= KILLS, f"the journeys ended after {kills} kills"
        assert len(referral_ids) == JOURNEYS
        await check_exactly_once(chaos, referral_ids)
    finally:
        chaos.stack.stop()
