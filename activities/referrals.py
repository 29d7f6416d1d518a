"""The database side of the referral workflow: each change written to the projection with its
audit event and its notifications in one transaction, idempotent on the update id.

Who is told what follows docs/rules.md ("Who is told what"). Emails and bell entries name the
referral by number and the programs by name, never the client: an email is not a safe place for
client data, and the link leads to CONNECT, where access is checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.mou import gatekeeper_ids, region_admin_ids
from connect.workflow_client import tell_referral_roi_revoked
from models.messages.notices import notify_users
from connect.settings import Settings
from domain.business_days import ESCALATION_BUSINESS_DAYS
from domain.errors import DomainError, InvalidTransition
from domain.montana import local_date
from domain.referral_form import check_ready_to_send, clean_reason, clean_values
from domain.referral_permissions import check_assignee
from domain.referral_status import ReferralAction, ReferralState, ServiceStatus
from domain.wording import business_days
from domain.webhooks import REFERRAL_ACTION_EVENTS, WebhookEvent
from models import audit
from models.accounts.tables import User
from models.audit import AuditEvent
from models.base import utcnow
from models.db import transaction
from models.messages.tables import OutboxMessage
from models.agencies.tables import Program
from models.agencies.directory import require_accepts_referrals
from models.referrals.queries import (
    alternative_programs,
    client_gaps,
    form_fields,
    member_program_ids,
    programs_named,
    require_valid_roi,
)
from models.referrals.tables import Escalation, Referral, ReferralNote, ReferralProgress
from models.releases.tables import ReleaseOfInformation
from models.webhooks import referral_event
from workflows.failures import business_failure
from workflows.referral_contracts import (
    ReferralActivitiesContract,
    ReferralChange,
    ReferralDeadlines,
    ReferralDeadlinesRequest,
    ReferralRoiRevoked,
    ReferralTimerFired,
    RoiRevoked,
    TimerKind,
)

A, S = ReferralAction, ReferralState
EMAIL_TEMPLATE = "referral_notice"


async def _nothing() -> None:
    return None


def state_team_ids(db: Session) -> list[int]:
    return list(db.scalars(select(User.id).where(User.is_state_team)))


class ReferralActivities(ReferralActivitiesContract):
    def __init__(self, session_factory: sessionmaker[Session], settings: Settings,
                 after_commit: Callable[[], Awaitable[None]] | None = None):
        self._db = session_factory
        self._settings = settings
        # Starts the webhook deliveries a change queued in its transaction (activities.webhooks).
        self._after_commit = after_commit or _nothing

    # --- a person's action -----------------------------------------------------------------

    @activity.defn
    async def apply_referral_change(self, change: ReferralChange) -> list[int]:
        """Writes the change, its audit event, its notices and its webhook events; returns the
        emails to deliver."""
        outbox = await asyncio.to_thread(self._apply, change)
        await self._after_commit()
        return outbox

    def _apply(self, c: ReferralChange) -> list[int]:
        try:
            with transaction(self._db) as db:
                if db.scalar(select(AuditEvent.id).where(AuditEvent.idempotency_key == c.idempotency_key)):
                    return _still_queued(db, c.idempotency_key)
                referral = db.scalar(select(Referral).where(Referral.id == c.referral_id).with_for_update())
                if referral is None or referral.state != c.state_before.value:
                    raise InvalidTransition(
                        "This referral changed in the meantime. Reload the page and try again.",
                        code="referral_stale")
                detail = _WRITERS[c.action](self, db, referral, c)
                referral.state = c.state_after.value
                audit.record(db, action=f"referral.{c.action.value}", entity_type="referral",
                             entity_id=referral.id, user_id=c.acting.user_id, program_id=c.acting.program_id,
                             idempotency_key=c.idempotency_key, client_id=referral.client_id,
                             state=c.state_after.value, **detail)
                if c.action in REFERRAL_ACTION_EVENTS:
                    referral_event(db, referral, REFERRAL_ACTION_EVENTS[c.action], c.idempotency_key, c.at)
                db.flush()
                return self._tell(db, referral, c)
        except DomainError as err:
            raise business_failure(err) from None

    def _write_form(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        if c.form is not None:
            program = db.get(Program, referral.receiving_program_id)
            referral.reason = clean_reason(c.form.reason)
            referral.form_data = clean_values(form_fields(program), c.form.fields)
        return {"fields": sorted(referral.form_data)}

    def _send(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        detail = self._write_form(db, referral, c)
        today = local_date(c.at)
        program = db.get(Program, referral.receiving_program_id)
        require_accepts_referrals(program, today)
        roi = require_valid_roi(db, client_id=referral.client_id, sending_program_id=referral.sending_program_id,
                                receiving_program_id=program.id, today=today)
        check_ready_to_send(form_fields(program), referral.form_data, referral.reason,
                            insurance_confirmed=c.insurance_confirmed, profile_gaps=client_gaps(referral.client))
        referral.roi_id = roi.id
        referral.insurance_confirmed = True
        referral.sent_at = c.at
        referral.nudge_due_at, referral.escalation_due_at = c.nudge_at, c.escalate_at
        return {**detail, "roi_id": roi.id}

    def _withdraw(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        return {"reason": c.text} if c.text else {}

    def _assign(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        program = db.get(Program, referral.receiving_program_id)
        check_assignee(program.id, member_program_ids(db, c.provider_id), program.display_name)
        previous = referral.assigned_provider_id
        referral.assigned_provider_id = c.provider_id
        referral.assigned_by_user_id = c.acting.user_id
        referral.acknowledged_at = referral.acknowledged_at or c.at
        return {"provider_id": c.provider_id, "previous_provider_id": previous}

    def _decline(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        referral.decline_reason = c.text
        referral.declined_at = c.at
        return {}

    def _status(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        status = ServiceStatus(c.status)
        referral.service_status = status.value
        db.add(ReferralProgress(referral_id=referral.id, at=c.at, user_id=c.acting.user_id, status=status.value,
                                text=c.text, idempotency_key=c.idempotency_key))
        if status is ServiceStatus.ENROLLED_IN_SERVICES and referral.enrolled_at is None:
            referral.enrolled_at = c.at
        if c.state_after is S.CLOSED:
            referral.closed_at = c.at
        return {"status": status.value}

    def _progress(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        db.add(ReferralProgress(referral_id=referral.id, at=c.at, user_id=c.acting.user_id, text=c.text,
                                idempotency_key=c.idempotency_key))
        return {}

    def _note(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        db.add(ReferralNote(referral_id=referral.id, at=c.at, contacted_at=c.contacted_at,
                            user_id=c.acting.user_id, method=c.method.value, outcome=c.outcome.value,
                            text=c.text, idempotency_key=c.idempotency_key))
        if referral.first_contact_at is None or c.contacted_at < referral.first_contact_at:
            referral.first_contact_at = c.contacted_at
        return {"method": c.method.value, "outcome": c.outcome.value}

    def _reopen(self, db: Session, referral: Referral, c: ReferralChange) -> dict:
        referral.closed_at = None
        db.add(ReferralProgress(referral_id=referral.id, at=c.at, user_id=c.acting.user_id,
                                text=f"Reopened: {c.text}", idempotency_key=c.idempotency_key))
        return {"reason": c.text}

    # --- who is told what ------------------------------------------------------------------

    def _tell(self, db: Session, referral: Referral, c: ReferralChange) -> list[int]:
        number = f"#{referral.id}"
        sending, receiving = referral.sending_program.display_name, referral.receiving_program.display_name
        actor = db.get(User, c.acting.user_id)
        who = actor.full_name if actor else "Someone"
        link = f"/referrals/{referral.id}"
        messages: list[tuple[Iterable[int], str, str, bool]] = []  # recipients, subject, text, email?
        if c.action is A.SEND:
            messages.append((gatekeeper_ids(db, referral.receiving_program_id),
                             f"New referral {number} for {receiving}",
                             f"{sending} sent referral {number} to {receiving}. Assign it to a provider.", True))
        elif c.action in (A.ASSIGN, A.REASSIGN):
            provider = db.get(User, c.provider_id)
            verb = "reassigned" if c.action is A.REASSIGN else "assigned"
            messages.append(([c.provider_id], f"Referral {number} was {verb} to you",
                             f"{who} {verb} referral {number} from {sending} to you.", True))
            messages.append(([referral.sender_user_id], f"Your referral {number} was {verb}",
                             f"{receiving} {verb} your referral {number} to {provider.full_name}.", True))
        elif c.action is A.DECLINE:
            messages.append(([referral.sender_user_id], f"Your referral {number} was declined",
                             f"{receiving} declined your referral {number}. Open it in CONNECT to see why.", True))
        elif c.action is A.WITHDRAW and c.state_before is S.SENT:
            messages.append((gatekeeper_ids(db, referral.receiving_program_id), "",
                             f"{sending} withdrew referral {number}.", False))
        elif c.action is A.UPDATE_STATUS:
            messages.append(([referral.sender_user_id], "",
                             f"{receiving} updated your referral {number}: {c.status.value}.", False))
        elif c.action is A.ADD_PROGRESS:
            messages.append(([referral.sender_user_id], "",
                             f"{receiving} added progress to your referral {number}.", False))
        elif c.action is A.ADD_NOTE:
            messages.append(([referral.sender_user_id], "",
                             f"{receiving} added a note to your referral {number}.", False))
        elif c.action is A.REOPEN:
            messages.append(([referral.sender_user_id, referral.assigned_provider_id or 0], "",
                             f"{receiving} reopened referral {number}.", False))
        outbox: list[int] = []
        for index, (recipients, subject, text, email) in enumerate(messages):
            outbox += notify_users(
                db, recipients, kind=f"referral_{c.action.value}", text=text, link=link, actor_id=c.acting.user_id,
                key=f"{c.idempotency_key}:{index}", email_template=EMAIL_TEMPLATE if email else None,
                context={"subject": subject, "suggestions": []}, public_url=self._settings.public_url,
                from_address=self._settings.email_from)
        return outbox

    # --- external events -------------------------------------------------------------------

    @activity.defn
    async def referral_roi_revoked(self, event: ReferralRoiRevoked) -> list[int]:
        """Tells the sender of a pending referral that it can no longer be sent, unless another
        signed ROI still covers the program."""
        return await asyncio.to_thread(self._roi_revoked, event)

    def _roi_revoked(self, e: ReferralRoiRevoked) -> list[int]:
        with transaction(self._db) as db:
            referral = db.get(Referral, e.referral_id)
            if referral is None or referral.state != S.PENDING.value:
                return []
            try:
                require_valid_roi(db, client_id=referral.client_id, sending_program_id=referral.sending_program_id,
                                  receiving_program_id=referral.receiving_program_id, today=local_date(utcnow()))
                return []
            except DomainError as refusal:
                reason = refusal.reason
            return notify_users(
                db, [referral.sender_user_id], kind="referral_roi_revoked", link=f"/referrals/{referral.id}",
                actor_id=db.scalar(select(ReleaseOfInformation.revoked_by_user_id)
                                   .where(ReleaseOfInformation.id == e.roi_id)),
                text=f"Pending referral #{referral.id} cannot be sent: {reason}", key=e.idempotency_key)

    # --- the timers ------------------------------------------------------------------------

    @activity.defn
    async def referral_deadlines(self, request: ReferralDeadlinesRequest) -> ReferralDeadlines:
        """The nudge and the escalation of a referral sent at ``sent_at`` (a local activity of
        the send): business days and Montana's holidays are computed here, outside the workflow
        sandbox, and recorded in the history, so a new release of `holidays` cannot move the
        deadlines of a running referral on replay."""
        return ReferralDeadlines(*request.policy.referral_deadlines(request.sent_at))

    @activity.defn
    async def referral_timer_fired(self, event: ReferralTimerFired) -> list[int]:
        """The nudge or the escalation: recorded once, people told once."""
        outbox = await asyncio.to_thread(self._timer, event)
        await self._after_commit()
        return outbox

    def _timer(self, t: ReferralTimerFired) -> list[int]:
        with transaction(self._db) as db:
            if db.scalar(select(AuditEvent.id).where(AuditEvent.idempotency_key == t.idempotency_key)):
                return _still_queued(db, t.idempotency_key)
            referral = db.scalar(select(Referral).where(Referral.id == t.referral_id).with_for_update())
            if referral is None or referral.state != S.SENT.value:
                return []
            if t.kind is TimerKind.NUDGE:
                referral.nudged_at = t.at
                outbox = self._nudge(db, referral, t)
            else:
                referral.escalated_at = t.at
                outbox = self._escalate(db, referral, t)
                referral_event(db, referral, WebhookEvent.REFERRAL_ESCALATED, t.idempotency_key, t.at)
            audit.record(db, action=f"referral.{t.kind.value}", entity_type="referral", entity_id=referral.id,
                         idempotency_key=t.idempotency_key, client_id=referral.client_id)
            return outbox

    def _common(self) -> dict:
        return dict(public_url=self._settings.public_url, from_address=self._settings.email_from,
                    email_template=EMAIL_TEMPLATE)

    def _nudge(self, db: Session, referral: Referral, t: ReferralTimerFired) -> list[int]:
        receiving = referral.receiving_program.display_name
        subject = f"Referral #{referral.id} is not acknowledged yet"
        text = (f"{receiving} has not acknowledged your referral #{referral.id} yet. You may reach out to "
                "the program and ask about it; if it is not accepted soon, consider referring the client "
                "elsewhere.")
        return notify_users(db, [referral.sender_user_id], kind="referral_nudge", text=text, actor_id=None,
                            link=f"/referrals/{referral.id}", key=t.idempotency_key,
                            context={"subject": subject, "suggestions": []}, **self._common())

    def _escalate(self, db: Session, referral: Referral, t: ReferralTimerFired) -> list[int]:
        program = referral.receiving_program
        suggestions = alternative_programs(db, referral, local_date(t.at))
        escalation = db.scalar(select(Escalation).where(Escalation.referral_id == referral.id))
        if escalation is None:
            escalation = Escalation(referral_id=referral.id, region=program.region, raised_at=t.at,
                                    suggestions=suggestions)
            db.add(escalation)
            db.flush()
        number, name, wait = f"#{referral.id}", program.display_name, business_days(ESCALATION_BUSINESS_DAYS)
        sender_text = (f"{name} has not acknowledged your referral {number} within {wait}. "
                       "Escalation staff have been alerted. Consider referring the client elsewhere.")
        names = [p.display_name for p in programs_named(db, suggestions)]
        outbox = notify_users(
            db, set(state_team_ids(db)) | set(region_admin_ids(db, program.region)), kind="referral_escalation",
            text=f"Referral {number} to {name} has not been acknowledged within {wait}.",
            link=f"/escalations/{escalation.id}", key=f"{t.idempotency_key}:staff", actor_id=None,
            context={"subject": f"Escalation: referral {number} to {name} is unacknowledged",
                     "suggestions": []}, **self._common())
        outbox += notify_users(
            db, [referral.sender_user_id], kind="referral_escalation", text=sender_text,
            link=f"/referrals/{referral.id}", key=f"{t.idempotency_key}:sender", actor_id=None,
            context={"subject": f"Your referral {number} was escalated", "suggestions": names},
            **self._common())
        outbox += notify_users(
            db, gatekeeper_ids(db, program.id), kind="referral_escalation",
            text=(f"Referral {number} to {name} has waited {wait} without being assigned; "
                  "escalation staff have been alerted. Assign it to a provider or decline it."),
            link=f"/referrals/{referral.id}", key=f"{t.idempotency_key}:gatekeepers", actor_id=None,
            context={"subject": f"Referral {number} escalated: please assign it", "suggestions": []},
            **self._common())
        return outbox

    @activity.defn
    async def tell_referrals_roi_revoked(self, event: RoiRevoked) -> int:
        """Signals each pending referral saved under a revoked ROI (the ROI workflow's revoke
        step), so none of them can be sent. Signals are idempotent in effect, so a retry is safe."""

        def pending() -> list[int]:
            with self._db() as db:
                return list(db.scalars(select(Referral.id).where(
                    Referral.roi_id == event.roi_id, Referral.state == ReferralState.PENDING.value)))

        ids = await asyncio.to_thread(pending)
        client = activity.client()
        told = 0
        for referral_id in ids:
            # No running workflow: nothing to tell. Sending re-checks the ROI in the database.
            told += await tell_referral_roi_revoked(client, referral_id, event)
        return told


_WRITERS = {
    A.SAVE: ReferralActivities._write_form,
    A.SEND: ReferralActivities._send,
    A.WITHDRAW: ReferralActivities._withdraw,
    A.ASSIGN: ReferralActivities._assign,
    A.REASSIGN: ReferralActivities._assign,
    A.DECLINE: ReferralActivities._decline,
    A.UPDATE_STATUS: ReferralActivities._status,
    A.ADD_PROGRESS: ReferralActivities._progress,
    A.ADD_NOTE: ReferralActivities._note,
    A.REOPEN: ReferralActivities._reopen,
}


def _still_queued(db: Session, key: str) -> list[int]:
    """On a retry after the first attempt committed: the emails it queued that are not sent yet."""
    return list(db.scalars(select(OutboxMessage.id).where(
        OutboxMessage.idempotency_key.like(f"email:{key}:%"), OutboxMessage.status == "queued")))
