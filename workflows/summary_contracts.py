"""Input of the workflow that keeps the closed-loop dashboard's monthly summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

SUMMARY_SCHEDULE_ID = "closed-loop-summary"
# How often the summary is rebuilt. A read is exact-fresh whatever this is (changed months are
# computed live); a longer interval only leaves more of them to compute at read time.
SUMMARY_INTERVAL = timedelta(minutes=15)


@dataclass
class SummariseClosedLoop:
    """Rebuild the settled months that are missing or changed (no options yet)."""
