"""Texts from clients, whether Twilio's webhook brought them or someone typed them in the dev
outbox: one function stores, classifies, answers and passes them on.

The message is stored first (once per MessageSid, so Twilio's retries change nothing), then the
ROIs waiting for this number's YES get a signal; the answer is a short text (or none) that the
webhook returns as TwiML. If Temporal cannot be reached the YES is kept as ``consent_pending``,
the client is told their reply was received and the code will follow, and the recovery sweep
(connect.recovery) passes it on once Temporal is back; a retry by Twilio tries again at once. Keyword handling, given that Twilio reads STOP, START, YES and HELP too:

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

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from temporalio.client import Client as TemporalClient

from connect.recovery import signal_yes
from domain.errors import ValidationFailed
from domain.phones import normalize_phone
from domain.sms_replies import SmsKeyword, classify_reply
from models.messages.tables import OutboxMessage, program_of_texts
from models.releases.tables import InboundSms, ReleaseOfInformation
from models.releases.queries import CONSENT_PENDING, rois_awaiting_yes, rois_with_code_sent, store_inbound_sms

REPLIES: dict[str, str | None] = {
    "consent": None,  # the security code text follows
    # Stored, not yet passed on (Temporal unreachable): true, and nothing more; the code follows.
    CONSENT_PENDING: "CONNECT: we received your reply. Your security code will be texted to you shortly.",
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


async def _pass_on(temporal: TemporalClient | None, row: InboundSms, roi_ids: list[int]) -> bool:
    """Signals the waiting ROIs; if Temporal cannot be reached the text is marked pending, and
    the recovery sweep (connect.recovery) passes it on once Temporal is back."""
    if temporal is not None and await signal_yes(temporal, row.id, roi_ids):
        row.outcome = "consent"
        return True
    row.outcome = CONSENT_PENDING
    return False


async def handle_inbound_sms(
    db: Session,
    temporal: TemporalClient | None,
    *,
    message_sid: str,
    from_number: str,
    to_number: str,
    body: str,
    now: datetime,
) -> InboundResult:
    """Stores one inbound text, answers it and signals the ROIs it consents to (once per sid).

    ``temporal`` is None while Temporal cannot be reached: the text is stored all the same and
    the answer says the code will follow, which it does once the sweep passes the YES on."""
    try:
        phone: str | None = normalize_phone(from_number)
    except ValidationFailed:
        phone = None  # not a US number: never one we texted
    row, new = store_inbound_sms(db, message_sid=message_sid, from_number=(phone or from_number)[:16],
                                 body=body, now=now)
    if not new:
        if row.outcome == CONSENT_PENDING:  # Twilio's retry is a chance to pass it on now
            await _pass_on(temporal, row, [roi.id for roi in rois_awaiting_yes(db, row.from_number)])
        db.commit()
        return InboundResult(row.outcome, REPLIES.get(row.outcome), True, [])
    outcome, roi_ids = _outcome(db, phone, classify_reply(body))
    row.outcome = outcome
    row.roi_id = roi_ids[0] if roi_ids else None
    # The conversation belongs to the program whose ROI the text answers, else to the program that
    # last texted this number (the dev outbox shows a program its own conversations only).
    program_id = (db.get(ReleaseOfInformation, roi_ids[0]).sending_program_id if roi_ids
                  else program_of_texts(db, row.from_number))
    db.add(OutboxMessage(channel="sms", direction="in", to_address=to_number[:254], from_address=row.from_number,
                         body=body[:1600], status="received", provider_id=message_sid[:64], created_at=now,
                         program_id=program_id))
    db.commit()  # stored before Temporal is called: an outage cannot lose it
    if roi_ids and not await _pass_on(temporal, row, roi_ids):
        outcome = row.outcome
    reply = REPLIES.get(outcome)
    if reply:
        db.add(OutboxMessage(channel="sms", direction="out", to_address=row.from_number, from_address=to_number[:254],
                             body=reply, status="replied", created_at=now, program_id=program_id,
                             idempotency_key=f"sms-reply:{message_sid}"[:160]))
    db.commit()
    return InboundResult(outcome, reply, False, roi_ids)
