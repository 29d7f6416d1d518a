"""The closed-loop dashboard's monthly summary: the database side of its schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from models.reports.closed_loop_summary import refresh
from workflows.summary_contracts import ReportActivitiesContract, SummariseClosedLoop


class ReportActivities(ReportActivitiesContract):
    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    @activity.defn
    async def summarise_closed_loop(self, inp: SummariseClosedLoop) -> int:
        """Rebuilds the settled months that are missing or changed; returns how many."""
        return await asyncio.to_thread(self._summarise)

    def _summarise(self) -> int:
        with self.session_factory() as db:
            return len(refresh(db, datetime.now(UTC)))
