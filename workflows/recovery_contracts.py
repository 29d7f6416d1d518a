"""Input and result of the recovery sweep (connect.recovery): work stored while Temporal was
unreachable, passed on once it is back."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

RECOVERY_SCHEDULE_ID = "recovery-sweep"


@dataclass
class RecoverStranded:
    """One pass: at most ``limit`` texts and ``limit`` owed starts."""

    limit: int = 200


@dataclass
class RecoveryReport:
    texts_passed_on: int = 0
    workflows_started: int = 0  # rows that had no running workflow: repaired
    starts_not_needed: int = 0  # the row has moved on (abandoned, sent ...) or is gone: reported

class RecoveryActivitiesContract:
    """The recovery sweep's activity: named by method in the workflow, implemented by
    `activities.recovery.RecoveryActivities` (docs/retries.md)."""

    @activity.defn
    async def recover_stranded(self, request: RecoverStranded) -> RecoveryReport:
        raise NotImplementedError
