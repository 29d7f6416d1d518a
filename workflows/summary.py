"""Keeps the closed-loop dashboard's monthly summary (models/reports/closed_loop_summary.py).

Started by a Temporal schedule the worker creates (connect/schedules.ensure_summary_schedule), so a
refresh survives restarts and never runs twice at once (overlap: skip). One activity does the work.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.delivery import HEARTBEAT
    from workflows.summary_contracts import ReportActivitiesContract, SummariseClosedLoop


@workflow.defn(name="SummariseClosedLoop")
class SummariseClosedLoopWorkflow:
    @workflow.run
    async def run(self, inp: SummariseClosedLoop) -> int:
        """Rebuilds the summary's missing and changed months; returns how many."""
        workflow.upsert_search_attributes([sa.CONNECT_KIND.value_set("closed-loop-summary")])
        return await workflow.execute_activity_method(
            ReportActivitiesContract.summarise_closed_loop, inp,
            # The first run summarises every month of the network's history.
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=HEARTBEAT,  # a killed worker's run is retried in seconds, not 30 minutes
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5), maximum_attempts=5),
        )
