"""Dataclasses exchanged with the referral workflow (`referral-<id>`) and its activities.

Ids, states and deadlines only in the workflow's input and state. What a person types about the
client (a decline reason, a progress entry, a call-log note, the referral form) rides in an
update's payload, which the codec encrypts, straight through to the activity that stores it:
the workflow never keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from temporalio import activity

from domain.referral_permissions import Acting, Parties
from domain.referral_status import ContactMethod, ContactOutcome, ReferralAction, ReferralState, ServiceStatus
from workflows.policy import TimerPolicy

__all__ = [
    "Acting",
    "AddNote",
    "AddProgress",
    "AssignReferral",
    "DeclineReferral",
    "ReferralChange",
    "ReferralForm",
    "ReferralInput",
    "ReferralOutcome",
    "ReferralRoiRevoked",
    "ReferralTimerFired",
    "ReferralWorkflowState",
    "ReopenReferral",
    "RoiRevoked",
    "SaveReferral",
    "SendReferral",
    "TimerKind",
    "UpdateServiceStatus",
    "WithdrawReferral",
]


@dataclass
class ReferralWorkflowState:
    """Everything the workflow knows; also what the `state` query returns."""

    referral_id: int
    sending_program_id: int
    receiving_program_id: int
    receiving_region: int
    sender_user_id: int
    state: ReferralState = ReferralState.PENDING
    service_status: ServiceStatus | None = None
    assignee_id: int | None = None
    assignee_name: str = ""  # a staff member's name, for the "already assigned to" refusal
    sent_at: datetime | None = None
    # Computed once, when the referral is sent (business days, Montana holidays).
    nudge_at: datetime | None = None
    escalate_at: datetime | None = None
    nudged: bool = False
    escalated: bool = False

    @property
    def parties(self) -> Parties:
        return Parties(self.sending_program_id, self.receiving_program_id, self.sender_user_id,
                       self.assignee_id)


@dataclass
class ReferralInput:
    state: ReferralWorkflowState
    policy: TimerPolicy = field(default_factory=TimerPolicy)


@dataclass
class ReferralForm:
    """The sender's form: the reason for referral and the program's own fields."""

    reason: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class SaveReferral:
    acting: Acting
    form: ReferralForm


@dataclass
class SendReferral:
    acting: Acting
    insurance_confirmed: bool  # "insurance won't be a barrier" (Part 4 F.II)
    form: ReferralForm | None = None  # None: send what was saved


@dataclass
class WithdrawReferral:
    acting: Acting
    reason: str = ""


@dataclass
class AssignReferral:
    """Assign (or reassign) to one person of the receiving program."""

    acting: Acting
    provider_id: int
    provider_name: str
    provider_program_ids: list[int]  # the programs the person may be assigned referrals in


@dataclass
class DeclineReferral:
    acting: Acting
    reason: str


@dataclass
class UpdateServiceStatus:
    acting: Acting
    status: ServiceStatus
    comment: str = ""


@dataclass
class AddProgress:
    acting: Acting
    text: str


@dataclass
class AddNote:
    """A call-log entry: one attempt to reach the client."""

    acting: Acting
    contacted_at: datetime
    method: ContactMethod
    outcome: ContactOutcome
    text: str = ""


@dataclass
class ReopenReferral:
    acting: Acting
    reason: str


@dataclass
class RoiRevoked:
    """Signal: the client revoked the ROI this referral was saved under."""

    roi_id: int


@dataclass
class ReferralOutcome:
    """What an update returns: the referral as it is now."""

    referral_id: int
    state: ReferralState
    service_status: ServiceStatus | None
    assignee_id: int | None


@dataclass
class ReferralChange:
    """Activity input: write one person's action to the projection, audit it, tell people."""

    referral_id: int
    action: ReferralAction
    acting: Acting
    at: datetime
    idempotency_key: str
    state_before: ReferralState
    state_after: ReferralState
    form: ReferralForm | None = None
    insurance_confirmed: bool = False
    provider_id: int | None = None
    status: ServiceStatus | None = None
    text: str = ""
    contacted_at: datetime | None = None
    method: ContactMethod | None = None
    outcome: ContactOutcome | None = None
    nudge_at: datetime | None = None
    escalate_at: datetime | None = None


@dataclass
class ReferralRoiRevoked:
    referral_id: int
    roi_id: int
    idempotency_key: str


class TimerKind(StrEnum):
    NUDGE = "nudge"
    ESCALATION = "escalation"


@dataclass
class ReferralTimerFired:
    referral_id: int
    kind: TimerKind
    at: datetime
    idempotency_key: str


@dataclass
class ReferralDeadlinesRequest:
    sent_at: datetime
    policy: TimerPolicy


@dataclass
class ReferralDeadlines:
    """When a sent referral is nudged and escalated if nobody acknowledges it."""

    nudge_at: datetime
    escalate_at: datetime

class ReferralActivitiesContract:
    """The referral workflow's activities: named by method in the workflow, implemented by
    `activities.referrals.ReferralActivities` (docs/retries.md)."""

    @activity.defn
    async def apply_referral_change(self, change: ReferralChange) -> list[int]:
        raise NotImplementedError

    @activity.defn
    async def referral_timer_fired(self, event: ReferralTimerFired) -> list[int]:
        raise NotImplementedError

    @activity.defn
    async def referral_roi_revoked(self, event: ReferralRoiRevoked) -> list[int]:
        raise NotImplementedError

    @activity.defn
    async def tell_referrals_roi_revoked(self, event: RoiRevoked) -> int:
        raise NotImplementedError

    @activity.defn
    async def referral_deadlines(self, request: ReferralDeadlinesRequest) -> ReferralDeadlines:
        raise NotImplementedError
