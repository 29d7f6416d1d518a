"""Input of the workflow that keeps the closed-loop dashboard's monthly summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity

SUMMARY_SCHEDULE_ID = "closed-loop-summary"
# How often the summary is rebuilt. A read is exact-fresh whatever this is (changed months are
# computed live); a longer interval only leaves more of them to compute at read time.
SUMMARY_INTERVAL = timedelta(minutes=15)


@dataclass
class SummariseClosedLoop:
    """Rebuild the settled months that are missing or changed (no options yet)."""

class ReportActivitiesContract:
    """The closed-loop summary's activity: named by method in the workflow, implemented by
    `activities.reports.ReportActivities` (docs/retries.md)."""

    @activity.defn
    async def summarise_closed_loop(self, inp: SummariseClosedLoop) -> int:
        raise NotImplementedError
