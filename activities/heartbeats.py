"""Every activity heartbeats while it runs, so a killed worker's activity is retried within the
heartbeat timeout (seconds) instead of its start-to-close timeout (up to a minute).

The server cannot tell a slow activity from one whose worker died until a timeout passes. The
activities themselves are short database writes or one hand-over to a mail server or Twilio,
most of it spent in a thread (``asyncio.to_thread``), so rather than sprinkling heartbeats
through each of them the worker beats for them from the event loop (the SDK batches the beats
and sends at most one per 80 % of the heartbeat timeout). A worker whose process is gone stops
beating, and the activity is retried elsewhere, or by the same worker once it is back.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

BEAT_EVERY_SECONDS = 1.0


class _Beating(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if not activity.info().heartbeat_timeout:
            return await super().execute_activity(input)

        async def beat() -> None:
            while True:
                activity.heartbeat()
                await asyncio.sleep(BEAT_EVERY_SECONDS)

        beating = asyncio.create_task(beat())
        try:
            return await super().execute_activity(input)
        finally:
            beating.cancel()


class HeartbeatInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Beating(next)
