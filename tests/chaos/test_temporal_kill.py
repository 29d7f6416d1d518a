"""The Temporal server (a dev server persisted to a file) killed with SIGKILL mid-load three
times and started again: while it is down a change answers 503 temporal_unavailable within
seconds and reads keep working; afterwards every journey has ended exactly once."""

from __future__ import annotations

import time

import httpx

from bench.chaos import chaos_stack, check_exactly_once, journeys_under_kills

JOURNEYS, KILLS = 30, 3


async def _answer_while_down(chaos) -> tuple[int, str, float]:
    pair = chaos.pairs[0]
    async with httpx.AsyncClient(base_url=chaos.stack.api_url, timeout=60) as http:
        t0 = time.monotonic()
        r = await http.post("/api/v1/roi", json={"client_id": 1, "program_ids": [pair.receiving_program_id]},
                            headers=pair.sender.headers)
        elapsed = time.monotonic() - t0
        read = await http.get("/api/v1/referrals/sent", headers=pair.sender.headers)
        assert read.status_code == 200, read.text
    return r.status_code, r.json().get("error", ""), elapsed


async def test_killing_temporal_loses_and_repeats_nothing(tmp_path):
    async with chaos_stack(tmp_path, "temporal_kill") as chaos:
        async def kill() -> None:
            chaos.stack.kill("temporal")
            status, error, elapsed = await _answer_while_down(chaos)
            assert (status, error) == (503, "temporal_unavailable") and elapsed < 15, (status, error, elapsed)
            await chaos.restart("temporal")
            if chaos.stack.procs["worker-0"].poll() is not None:  # a supervisor would restart it
                chaos.stack.start("worker-0")

        referral_ids, kills = await journeys_under_kills(chaos, JOURNEYS, KILLS, (2.0, 5.0), 3, kill)
        assert kills == KILLS, f"the journeys ended after {kills} kills"
        assert len(referral_ids) == JOURNEYS
        await check_exactly_once(chaos, referral_ids)
