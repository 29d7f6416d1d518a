"""Every duration the workflows wait for, in one object passed in their input.

Production uses the defaults (the guide's figures, as docs/rules.md states them); tests pass shorter ones.
Seconds as integers keep the payloads plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.business_days import ESCALATION_BUSINESS_DAYS, add_business_days, next_business_day_at
from domain.sms_code import SMS_CODE_TTL_SECONDS


@dataclass(frozen=True)
class TimerPolicy:
    sms_code_ttl_seconds: int = SMS_CODE_TTL_SECONDS
    reminder_days_before: tuple[int, ...] = (30, 7)
    roi_reminder_days_before: int = 30
    escalation_business_days: int = ESCALATION_BUSINESS_DAYS
    nudge_local_hour: int = 17
    reminder_local_hour: int = 9
    # How long a person's change waits for its database step (retries included) before it fails
    # and is undone (workflows.delivery.db_step): a database outage answers 503, not a change
    # left pending in the workflow until the database is back.
    db_step_timeout_seconds: int = 120

    def referral_deadlines(self, sent_at: datetime) -> tuple[datetime, datetime]:
        """When a referral sent at ``sent_at`` is nudged (the next business day, at the nudge
        hour) and escalated (after the escalation's business days) if nobody acknowledged it."""
        return (next_business_day_at(sent_at, self.nudge_local_hour),
                add_business_days(sent_at, self.escalation_business_days))


DEFAULT_POLICY = TimerPolicy()
