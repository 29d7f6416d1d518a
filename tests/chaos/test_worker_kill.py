"""The worker killed with SIGKILL at random moments during 30 concurrent journeys (10 at a time),
at least ten times, and started again each time: every journey still ends exactly once."""

from __future__ import annotations

import asyncio
import random

from bench.chaos import chaos_stack, check_exactly_once, journeys_under_kills

JOURNEYS, KILLS = 30, 10


async def test_killing_the_worker_loses_and_repeats_nothing(tmp_path):
    rng = random.Random(21)
    async with chaos_stack(tmp_path, "worker_kill") as chaos:
        async def kill() -> None:  # at a random moment of its work
            chaos.stack.kill("worker-0")
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            await chaos.restart("worker-0")

        referral_ids, kills = await journeys_under_kills(chaos, JOURNEYS, KILLS, (0.2, 2.0), 20, kill)
        assert kills >= KILLS, f"the journeys ended after {kills} kills"
        assert len(referral_ids) == JOURNEYS
        await check_exactly_once(chaos, referral_ids)
