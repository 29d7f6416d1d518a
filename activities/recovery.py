"""The recovery sweep's activity: the Temporal client of the worker passes on what was stored
while Temporal was unreachable (connect.recovery holds the steps, shared with the API)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from connect.recovery import recover
from connect.settings import Settings
from models.base import utcnow
from workflows.recovery_contracts import RecoverStranded, RecoveryActivitiesContract, RecoveryReport


class RecoveryActivities(RecoveryActivitiesContract):
    def __init__(self, session_factory: sessionmaker[Session], settings: Settings):
        self._db = session_factory
        self._settings = settings

    @activity.defn
    async def recover_stranded(self, request: RecoverStranded) -> RecoveryReport:
        # Mostly Temporal calls, with small reads between them; a pass stops early when Temporal
        # goes away again, and the next pass goes on.
        return await recover(self._db, activity.client(), self._settings, utcnow(), request.limit)
