"""Texts from clients, whether Twilio's webhook brought them or someone typed them in the dev
outbox: one function stores, classifies, answers and passes them on.

The message is stored first (once per MessageSid, so Twilio's retries change nothing), then the
ROIs waiting for this number's YES get a signal; the answer is a short text (or none) that the
webhook returns as TwiML. Keyword handling, given that Twilio reads STOP, START, YES and HELP too:

- STOP (and Twilio's other opt-out words): recorded; CONNECT texts that number no more until it
  sends START or YES. No reply from us: Twilio confirms the opt-out itself.
- START: recorded as an opt-in. No reply from us: Twilio confirms it.
- YES: Twilio treats YES as an opt-in word and, with its default keyword handling, sends its own
  "re-subscribed" confirmation. We therefore add no reply when the YES answers a request: the next
  text the client gets is the security code. A YES from an unknown number, or one with no request
  waiting, gets a polite reply and changes nothing. (In Twilio's Advanced Opt-Out settings the
  opt-in confirmation can be edited or turned off; we recommend turning it off for YES.)
- HELP: our own short help text (Twilio may send its default help text as well).
- Anything else: a short reply saying which words we understand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from temporalio.client import Client as TemporalClient

from domain.errors import ValidationFailed
from domain.phones import normalize_phone
from domain.sms_replies import SmsKeyword, classify_reply
from models.messages import OutboxMessage, program_of_texts
from models.roi import ReleaseOfInformation
from models.releases import rois_awaiting_yes, rois_with_code_sent, store_inbound_sms
from workflows.ids import roi_workflow_id
from workflows.roi import RoiWorkflow
from workflows.roi_contracts import ClientSaidYes

log = logging.getLogger(__name__)

REPLIES: dict[str, str | None] = {
    "consent": None,  # the security code text follows
    "opted_out": None,  # Twilio confirms STOP itself
    "opted_in": None,  # Twilio confirms START itself
    "code_already_sent": "CONNECT: your security code was already texted to you. If it has expired, "
                         "ask the program to send a new one.",
    "no_pending": "CONNECT: thank you, but there is no request waiting for an answer from this number. "
                  "If a program asked you to sign a release, please contact them.",
    "help": "CONNECT (Montana's referral network) texts you only when a program asks you to sign a release "
            "of information. Reply YES to sign a request, STOP to stop texts, START to allow them again. "
            "Questions: contact the program, or CONNECT@mt.gov.",
    "other": "CONNECT cannot read this message. Reply YES to sign a request, HELP for help or STOP to stop "
             "texts, and give any security code to the program in person or by phone.",
}


@dataclass
class InboundResult:
    outcome: str
    reply: str | None
    duplicate: bool
    signalled_roi_ids: list[int]


def _outcome(db: Session, phone: str | None, keyword: SmsKeyword) -> tuple[str, list[int]]:
    if keyword is SmsKeyword.STOP:
        return "opted_out", []
    if keyword is SmsKeyword.START:
        return "opted_in", []
    if keyword is SmsKeyword.HELP:
        return "help", []
    if keyword is SmsKeyword.OTHER:
        return "other", []
    if phone is None:
        return "no_pending", []
    waiting = [roi.id for roi in rois_awaiting_yes(db, phone)]
    if waiting:
        return "consent", waiting
    if rois_with_code_sent(db, phone):
        return "code_already_sent", []
    return "no_pending", []


async def handle_inbound_sms(
    db: Session,
    temporal: TemporalClient,
    *,
    message_sid: str,
    from_number: str,
    to_number: str,
    body: str,
    now: datetime,
) -> InboundResult:
    """Stores one inbound text, answers it and signals the ROIs it consents to (once per sid)."""
    try:
        phone: str | None = normalize_phone(from_number)
    except ValidationFailed:
        phone = None  # not a US number: never one we texted
    row, new = store_inbound_sms(db, message_sid=message_sid, from_number=(phone or from_number)[:16],
                                 body=body, now=now)
    if not new:
        db.commit()
        return InboundResult(row.outcome, REPLIES.get(row.outcome), True, [])
    outcome, roi_ids = _outcome(db, phone, classify_reply(body))
    row.outcome = outcome
    row.roi_id = roi_ids[0] if roi_ids else None
    reply = REPLIES.get(outcome)
    # The conversation belongs to the program whose ROI the text answers, else to the program that
    # last texted this number (the dev outbox shows a program its own conversations only).
    program_id = (db.get(ReleaseOfInformation, roi_ids[0]).sending_program_id if roi_ids
                  else program_of_texts(db, row.from_number))
    db.add(OutboxMessage(channel="sms", direction="in", to_address=to_number[:254], from_address=row.from_number,
                         body=body[:1600], status="received", provider_id=message_sid[:64], created_at=now,
                         program_id=program_id))
    if reply:
        db.add(OutboxMessage(channel="sms", direction="out", to_address=row.from_number, from_address=to_number[:254],
                             body=reply, status="replied", created_at=now, program_id=program_id,
                             idempotency_key=f"sms-reply:{message_sid}"[:160]))
    db.commit()
    for roi_id in roi_ids:
        try:
            await temporal.get_workflow_handle(roi_workflow_id(roi_id)).signal(
                RoiWorkflow.client_said_yes, ClientSaidYes(row.id))
        except Exception:  # stored already: a supervisor can replay it; never fail Twilio's request
            log.exception("could not pass inbound text %s to roi-%s", row.id, roi_id)
            row.outcome = "signal_failed"
            db.commit()
    return InboundResult(outcome, reply, False, roi_ids)
