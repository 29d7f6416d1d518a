"""Dataclasses exchanged with the MOU renewal workflow and its activities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from temporalio import activity

from workflows.policy import TimerPolicy

MOU_VERSION = "2026.1"


class MouKind(StrEnum):
    USER = "user"
    AGENCY = "agency"


@dataclass
class MouInput:
    kind: MouKind
    subject_id: int  # user id for the user MOU, program id for the agency MOU
    expires_on: date | None = None
    policy: TimerPolicy = field(default_factory=TimerPolicy)


@dataclass
class SignMou:
    signer_user_id: int
    signed_name: str
    version: str
    text_sha256: str
    program_id: int | None = None  # the program the signer acts as (audit)


@dataclass
class MouSigned:
    expires_on: date
    signed_at: datetime


@dataclass
class RecordMouSignature:
    kind: MouKind
    subject_id: int
    sign: SignMou
    signed_at: datetime
    expires_on: date
    idempotency_key: str


@dataclass
class MouNotice:
    kind: MouKind
    subject_id: int
    expires_on: date
    event: str  # "reminder" | "lapsed"
    days_left: int = 0


@dataclass
class MouState:
    kind: MouKind
    subject_id: int
    status: str = "missing"  # missing | valid | due_soon | lapsed
    expires_on: date | None = None
    last_signed_at: datetime | None = None
    reminders_sent: list[int] = field(default_factory=list)

class MouActivitiesContract:
    """The MOU renewal workflow's activities: named by method in the workflow, implemented by
    `activities.mou.MouActivities` (docs/retries.md)."""

    @activity.defn
    async def record_mou_signature(self, request: RecordMouSignature) -> None:
        raise NotImplementedError

    @activity.defn
    async def mou_notice(self, notice: MouNotice) -> list[int]:
        raise NotImplementedError
