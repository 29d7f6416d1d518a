"""JSON shapes of the referral API (they are also its OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schema_types import FormValues, Id, LongText
from domain.referral_permissions import Acting, Parties, may
from domain.referral_status import (
    ContactMethod,
    ContactOutcome,
    ReferralAction,
    ReferralState,
    ServiceStatus,
    allowed_actions,
)
from models.paging import Page
from models.referrals.queries import ReferralCard
from models.referrals.tables import Referral


class FormIn(BaseModel):
    reason: LongText = Field("", description="Reason for referral, in the sender's words.")
    fields: FormValues = Field(default_factory=dict)


class NewReferralIn(FormIn):
    client_id: Id
    receiving_program_id: Id
    send: bool = Field(False, description="Send now; false saves it as Pending.")
    insurance_confirmed: bool = Field(False, description="Insurance will not be a barrier (required to send).")


class SendIn(BaseModel):
    insurance_confirmed: bool = Field(description="Insurance will not be a barrier for the client (Part 4 F.II).")
    reason: LongText | None = Field(None, description="Replaces the saved reason; omitted: keep it.")
    fields: FormValues | None = Field(None, description="Replaces the saved fields; omitted: keep them.")


class AssignIn(BaseModel):
    provider_id: Id


class ReasonIn(BaseModel):
    reason: LongText = ""


class StatusIn(BaseModel):
    status: ServiceStatus
    comment: LongText = ""


class ProgressIn(BaseModel):
    text: LongText


class NoteIn(BaseModel):
    contacted_at: datetime = Field(description="When the contact was attempted (ISO 8601; without an offset, Montana time).")
    method: ContactMethod
    outcome: ContactOutcome
    text: LongText = ""


class Named(BaseModel):
    id: int
    name: str


class ProgressOut(BaseModel):
    at: datetime
    by: str
    status: str | None
    text: str


class NoteOut(BaseModel):
    contacted_at: datetime
    by: str
    method: str
    method_label: str
    outcome: str
    outcome_label: str
    text: str


class ClientOut(BaseModel):
    id: int
    name: str
    dob: date | None = None
    phones: list[str] = []
    email: str = ""
    address: str = ""
    best_way_to_reach: str = ""


class ReferralSummary(BaseModel):
    id: int
    state: ReferralState
    state_label: str
    service_status: ServiceStatus | None
    client: Named
    sending_program: Named
    receiving_program: Named
    sender: Named
    assignee: Named | None
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime
    escalated: bool


class ReferralOut(ReferralSummary):
    client_details: ClientOut | None = Field(None, description="Only for the sending and receiving programs.")
    reason: str | None
    fields: dict[str, str] | None
    decline_reason: str
    acknowledged_at: datetime | None
    closed_at: datetime | None
    declined_at: datetime | None
    nudge_due_at: datetime | None
    escalation_due_at: datetime | None
    progress: list[ProgressOut]
    notes: list[NoteOut]
    allowed_actions: list[ReferralAction] = Field(description="What the person asking may do now.")


class ReferralPage(BaseModel):
    items: list[ReferralSummary]
    total: int
    page: int
    per_page: int
    pages: int


class CardOut(BaseModel):
    program: Named
    kind: str = Field(description="start (green), pending (blue), active (grey), closed (not receiving)")
    label: str
    referral_id: Id | None
    internal: bool
    note: str


class FormFieldOut(BaseModel):
    key: str = Field(description="The key to send in `fields`.")
    label: str
    kind: str = Field(description="text, choice, date (YYYY-MM-DD) or yesno (yes/no)")
    required: bool
    choices: list[str]


class FormTabOut(BaseModel):
    name: str
    complete: bool
    missing: list[str] = Field(description="Labels of the required fields still empty.")
    fields: list[FormFieldOut]


class FormOut(BaseModel):
    program: Named
    tabs: list[FormTabOut]


class StatusOut(BaseModel):
    status: ServiceStatus
    help_text: str
    closes: bool
    fhir_task_status: str


def _named(obj, name: str) -> Named:
    return Named(id=obj.id, name=name)


def summary(r: Referral) -> dict:
    return dict(
        id=r.id, state=ReferralState(r.state), state_label=ReferralState(r.state).label,
        service_status=r.service_status, client=_named(r.client, r.client.full_name),
        sending_program=_named(r.sending_program, r.sending_program.display_name),
        receiving_program=_named(r.receiving_program, r.receiving_program.display_name),
        sender=_named(r.sender, r.sender.full_name),
        assignee=_named(r.assignee, r.assignee.full_name) if r.assignee else None,
        created_at=r.created_at, sent_at=r.sent_at, updated_at=r.updated_at, escalated=r.escalated_at is not None)


def actions_for(who: Acting, r: Referral) -> list[ReferralAction]:
    """The actions the person may take now: the transition is possible and their role allows it."""
    parties = Parties(r.sending_program_id, r.receiving_program_id, r.sender_user_id, r.assigned_provider_id)
    return [a for a in ReferralAction if a in allowed_actions(ReferralState(r.state)) and may(a, who, parties)]


def detail(who: Acting, r: Referral, full: bool) -> ReferralOut:
    """The referral as ``who`` reads it; ``full``: their program may see the client
    (`models.clients.access`), so the client's details, the reason and the form are shown."""
    client = r.client
    details = ClientOut(id=client.id, name=client.full_name, dob=client.dob, phones=[p.e164 for p in client.phones],
                        email=client.email, address=", ".join(x for x in (client.address, client.city, client.zip) if x),
                        best_way_to_reach=client.best_way_to_reach) if full else None
    return ReferralOut(
        **summary(r), client_details=details, reason=r.reason if full else None,
        fields=dict(r.form_data) if full else None, decline_reason=r.decline_reason,
        acknowledged_at=r.acknowledged_at, closed_at=r.closed_at, declined_at=r.declined_at,
        nudge_due_at=r.nudge_due_at, escalation_due_at=r.escalation_due_at,
        progress=[ProgressOut(at=p.at, by=p.user.full_name, status=p.status, text=p.text)
                  for p in r.progress] if full else [],
        notes=[NoteOut(contacted_at=n.contacted_at, by=n.user.full_name, method=n.method,
                       method_label=ContactMethod(n.method).label, outcome=n.outcome,
                       outcome_label=ContactOutcome(n.outcome).label, text=n.text)
               for n in r.notes] if full else [],
        allowed_actions=actions_for(who, r))


def page_out(page: Page) -> ReferralPage:
    return ReferralPage(items=[ReferralSummary(**summary(r)) for r in page.items], total=page.total,
                        page=page.number, per_page=page.per_page, pages=page.pages)


def card_out(card: ReferralCard) -> CardOut:
    return CardOut(program=_named(card.program, card.program.display_name), kind=card.kind, label=card.label,
                   referral_id=card.referral_id if card.can_open else None, internal=card.internal, note=card.note)
