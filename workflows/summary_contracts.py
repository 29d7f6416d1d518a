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

# --- the activities this workflow runs --------------------------------------------------------


class ReportActivitiesContract:
    """The closed-loop summary's activity.

    The workflow names each activity by a method of this class
    (``workflow.execute_activity_method(ReportActivitiesContract.<name>, ...)``), never by a string;
    `activities.reports.ReportActivities` implements each under the same name (tests/activities/
    test_contracts.py checks it), so the workflow never imports the activity code.
    """

    @activity.defn
    async def summarise_closed_loop(self, inp: SummariseClosedLoop) -> int:
        raise NotImplementedError
