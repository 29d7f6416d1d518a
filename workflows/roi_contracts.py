"""Dataclasses exchanged with the ROI workflow (`roi-<id>`) and its activities.

Inputs carry ids. What the client or their representative typed (the authoriser's name, the
typed signature, the purpose) travels only inside updates, which the payload codec encrypts;
the SMS security code never enters Temporal: an activity generates it, texts it, and stores
only its HMAC, which is what the workflow compares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from temporalio import activity

from domain.roi import RoiState, SignatureMethod
from workflows.policy import TimerPolicy

ROI_WORKFLOW = "ReleaseOfInformation"


class SmsStage:
    """Where a text-message signature is: consent asked, then a code sent after the YES."""

    AWAITING_YES = "awaiting_yes"
    CODE_SENT = "code_sent"


@dataclass
class RoiInput:
    roi_id: int
    sending_program_id: int
    policy: TimerPolicy = field(default_factory=TimerPolicy)


@dataclass
class RoiActor:
    """The person acting and the program they act as (for the audit trail and the checks)."""

    user_id: int
    program_id: int


# --- updates and signals ---------------------------------------------------------------------


@dataclass
class ChoosePrograms:
    actor: RoiActor
    program_ids: list[int]  # receiving programs; the sending program is always added


@dataclass
class CompleteRoi:
    actor: RoiActor
    information_types: list[str]
    sensitive_consent: list[str]  # the sensitive types the client explicitly consented to
    purpose: str
    authorizer_kind: str  # domain.roi.AuthorizerKind
    authorizer_name: str  # for the client themselves, the client's name (filled by the API)
    authorizer_relationship: str = ""


@dataclass
class SignEsign:
    actor: RoiActor
    typed_name: str
    confirmed: bool


@dataclass
class StartSms:
    actor: RoiActor
    phone_id: int  # a ClientPhone of the ROI's client


@dataclass
class ClientSaidYes:
    inbound_sms_id: int


@dataclass
class EnterCode:
    actor: RoiActor
    code_hmac: str  # keyed_hash(secret_key, code): the code itself never reaches Temporal


@dataclass
class ResendCode:
    actor: RoiActor


@dataclass
class MarkUploadPending:
    actor: RoiActor


@dataclass
class AttachUpload:
    actor: RoiActor
    storage_key: str  # path under settings.uploads_dir
    sha256: str
    size_bytes: int


@dataclass
class DeleteAttachment:
    actor: RoiActor
    attachment_id: int


@dataclass
class RevokeRoi:
    actor: RoiActor
    reason: str


@dataclass
class AbandonRoi:
    actor: RoiActor


@dataclass
class RoiStatus:
    """What the `state` query and every update return: no client data."""

    roi_id: int
    state: RoiState
    completed: bool
    method: SignatureMethod | None
    sms_stage: str
    code_expires_at: datetime | None
    code_attempts_left: int
    signed_at: datetime | None
    expires_on: date | None
    revoked_at: datetime | None
    attachment_id: int | None
    reminder_sent: bool


# --- activity inputs -------------------------------------------------------------------------


@dataclass
class RecordPrograms:
    roi_id: int
    key: str
    actor: RoiActor
    program_ids: list[int]


@dataclass
class RecordCompletion:
    roi_id: int
    key: str
    complete: CompleteRoi


@dataclass
class RecordSignatureStarted:
    roi_id: int
    key: str
    actor: RoiActor
    method: SignatureMethod
    phone_id: int | None = None


@dataclass
class IssueSmsCode:
    roi_id: int
    key: str
    sent_at: datetime
    expires_at: datetime


@dataclass
class SmsCodeIssued:
    code_id: int
    code_hmac: str
    outbox_ids: list[int]


@dataclass
class RecordCodeAttempt:
    roi_id: int
    key: str
    code_id: int
    attempts: int


@dataclass
class RecordSignature:
    roi_id: int
    key: str
    actor: RoiActor
    method: SignatureMethod
    signed_at: datetime
    expires_on: date
    signature_name: str = ""
    code_id: int | None = None
    upload: AttachUpload | None = None


@dataclass
class RecordAttachment:
    roi_id: int
    key: str
    upload: AttachUpload


@dataclass
class RecordAttachmentDeleted:
    roi_id: int
    key: str
    actor: RoiActor
    attachment_id: int
    at: datetime


@dataclass
class RecordRevocation:
    roi_id: int
    key: str
    actor: RoiActor
    reason: str
    revoked_at: datetime


@dataclass
class RecordAbandoned:
    roi_id: int
    key: str
    actor: RoiActor
    at: datetime


@dataclass
class RoiNotice:
    roi_id: int
    event: str  # "expiring" | "expired"
    expires_on: date

class RoiActivitiesContract:
    """The ROI workflow's activities: named by method in the workflow, implemented by
    `activities.roi.RoiActivities` (docs/retries.md)."""

    @activity.defn
    async def record_roi_programs(self, r: RecordPrograms) -> None:
        raise NotImplementedError

    @activity.defn
    async def record_roi_completion(self, r: RecordCompletion) -> str:
        raise NotImplementedError

    @activity.defn
    async def record_roi_signature_started(self, r: RecordSignatureStarted) -> list[int]:
        raise NotImplementedError

    @activity.defn
    async def issue_roi_sms_code(self, r: IssueSmsCode) -> SmsCodeIssued:
        raise NotImplementedError

    @activity.defn
    async def record_roi_code_attempt(self, r: RecordCodeAttempt) -> None:
        raise NotImplementedError

    @activity.defn
    async def record_roi_signature(self, r: RecordSignature) -> int | None:
        raise NotImplementedError

    @activity.defn
    async def record_roi_attachment(self, r: RecordAttachment) -> int:
        raise NotImplementedError

    @activity.defn
    async def record_roi_attachment_deleted(self, r: RecordAttachmentDeleted) -> None:
        raise NotImplementedError

    @activity.defn
    async def record_roi_revocation(self, r: RecordRevocation) -> list[int]:
        raise NotImplementedError

    @activity.defn
    async def record_roi_abandoned(self, r: RecordAbandoned) -> None:
        raise NotImplementedError

    @activity.defn
    async def roi_notice(self, n: RoiNotice) -> list[int]:
        raise NotImplementedError
