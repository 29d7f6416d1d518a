"""Every step of a referral, once, for the JSON API and the pages alike.

Routes stay thin: they parse input and call these. Reads come from the database; each change is
an update on `referral-<id>` (its validator decides), and the row is re-read afterwards, so the
answer shows the projection the update left behind.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.deps import Actor, DbSession, MouActor, Now
from api.errors import Conflict, NotFound
from api.idempotency import created_before, remember_created
from api.schema_types import ID_MAX, PageNumber, PerPage, UpdatedSince, as_utc
from api.updates import bounded_wait, request_key
from connect.workflow_client import ensure_started, referral_run, update
from domain.errors import ValidationFailed
from domain.montana import LOCAL, local_date
from domain.referral_form import check_known_fields, check_ready_to_send, clean_reason, clean_text, clean_values
from domain.referral_permissions import Acting
from domain.referral_status import (
    FINAL_STATES,
    ContactMethod,
    ContactOutcome,
    ReferralAction,
    ReferralState,
    ServiceStatus,
    check_transition,
)
from models import audit
from models.accounts.tables import User
from models.clients.access import can_see_client
from models.clients.records import kept_client
from models.db import release_before_wait
from models.agencies.tables import Program
from models.agencies.directory import require_accepts_referrals
from models.referrals.queries import (
    PAGE_SIZE,
    STATUS_OPEN,
    ReferralFilters,
    client_gaps,
    duplicate_message,
    form_fields,
    member_program_ids,
    require_no_open_referral,
    require_valid_roi,
    status_choices,
    visible_referral,
)
from models.referrals.tables import Referral
from models.workflow_starts import REFERRAL, expect_start, mark_started
from workflows.referral import ReferralWorkflow
from workflows.referral_contracts import (
    AddNote,
    AddProgress,
    AssignReferral,
    DeclineReferral,
    ReferralForm,
    ReopenReferral,
    SaveReferral,
    SendReferral,
    UpdateServiceStatus,
    WithdrawReferral,
)

# The action each workflow update performs, so a final referral's refusal can be given from the
# projection: update-with-start on an ended run would otherwise start a new run only for its
# validator to refuse (each refused request left one more run of `referral-<id>` behind).
_ACTION_OF_UPDATE = {
    ReferralWorkflow.save: ReferralAction.SAVE,
    ReferralWorkflow.send: ReferralAction.SEND,
    ReferralWorkflow.withdraw: ReferralAction.WITHDRAW,
    ReferralWorkflow.assign: ReferralAction.ASSIGN,
    ReferralWorkflow.reassign: ReferralAction.REASSIGN,
    ReferralWorkflow.decline: ReferralAction.DECLINE,
    ReferralWorkflow.update_status: ReferralAction.UPDATE_STATUS,
    ReferralWorkflow.add_progress: ReferralAction.ADD_PROGRESS,
    ReferralWorkflow.add_note: ReferralAction.ADD_NOTE,
    ReferralWorkflow.reopen: ReferralAction.REOPEN,
}


def acting_of(actor: Actor) -> Acting:
    """The facts about the person acting that the referral rules need."""
    assert actor.program is not None
    return Acting(user_id=actor.user.id, program_id=actor.program.id,
                  is_gatekeeper=actor.is_gatekeeper, is_provider=actor.is_provider)


def montana_time(moment: datetime) -> datetime:
    """A time typed without an offset is Montana time."""
    return moment.replace(tzinfo=LOCAL).astimezone(timezone.utc) if moment.tzinfo is None else moment


def find_program(db: Session, program_id: int) -> Program:
    program = db.get(Program, program_id)
    if program is None:
        raise NotFound("That program")
    return program


class ReferralSteps:
    """The referral steps one person can take in one request."""

    def __init__(self, request: Request, db: Session, actor: Actor, now: datetime):
        self.request, self.db, self.actor, self.now = request, db, actor, now
        self.who = acting_of(actor)
        self.today = local_date(now)

    # --- reading ---------------------------------------------------------------------------

    def get(self, referral_id: int) -> Referral:
        """The referral, if this person may see it; 404 otherwise, as if it did not exist."""
        referral = visible_referral(self.db, self.who, referral_id)
        if referral is None:
            raise NotFound("That referral")
        return referral

    def sees_client(self, referral: Referral) -> bool:
        """Whether the acting program may see the referral's client in full (and so the referral's
        reason and form): the one rule, `models.clients.access`."""
        return can_see_client(self.db, self.who.program_id, referral.client_id, self.today)

    def record_client_view(self, referral: Referral, via: str) -> None:
        """A referral's answer shows the client's details to the programs that may see them:
        that read is audited, once per answer."""
        audit.record_client_view(self.db, client_id=referral.client_id, user_id=self.who.user_id,
                                 program_id=self.who.program_id, via=via, referral_id=referral.id)
        self.db.commit()

    # --- the sender ------------------------------------------------------------------------

    async def create(self, client_id: int, program_id: int, form: ReferralForm, *, send: bool,
                     insurance_confirmed: bool = False) -> Referral:
        """Start a referral: save it as Pending, or send it at once. Everything is checked before
        the row is written, so a refusal leaves nothing behind. The retry of a create that
        answered 503 (same Idempotency-Key) finishes the referral that one saved."""
        if (earlier := created_before(self.request).get("referral")) is not None:
            return await self._start(self.db.get(Referral, earlier), send, insurance_confirmed)
        client = kept_client(self.db, client_id)
        program = find_program(self.db, program_id)
        check_transition(None, ReferralAction.SEND if send else ReferralAction.SAVE)
        require_accepts_referrals(program, self.today)
        roi = require_valid_roi(self.db, client_id=client.id, sending_program_id=self.who.program_id,
                                receiving_program_id=program.id, today=self.today)
        require_no_open_referral(self.db, client.id, program)
        fields = form_fields(program)
        check_known_fields(fields, form.fields)
        values, reason = clean_values(fields, form.fields), clean_reason(form.reason)
        if send:
            check_ready_to_send(fields, values, reason, insurance_confirmed=insurance_confirmed,
                                profile_gaps=client_gaps(client))
        referral = Referral(client_id=client.id, roi_id=roi.id, sending_program_id=self.who.program_id,
                            receiving_program_id=program.id, sender_user_id=self.who.user_id,
                            state="pending", reason=reason, form_data=values)
        self.db.add(referral)
        try:
            self.db.flush()
        except IntegrityError:  # a concurrent start for the same client and program
            self.db.rollback()
            raise Conflict(duplicate_message(program), code="referral_already_open") from None
        audit.record(self.db, action="referral.created", entity_type="referral", entity_id=referral.id,
                     user_id=self.who.user_id, program_id=self.who.program_id, client_id=client.id,
                     receiving_program_id=program.id)
        expect_start(self.db, REFERRAL, referral.id)  # kept if Temporal fails us: the sweep starts it
        self.db.commit()
        remember_created(self.request, {"referral": referral.id})
        return await self._start(referral, send, insurance_confirmed)

    async def _start(self, referral: Referral, send: bool, insurance_confirmed: bool) -> Referral:
        """The workflow step of a saved referral: its send, or its workflow started."""
        if send:
            await self._update(referral, ReferralWorkflow.send,
                               SendReferral(self.who, insurance_confirmed=insurance_confirmed))
        else:
            await ensure_started(await self._temporal(), self._settings, referral_run(referral))
        mark_started(self.db, REFERRAL, [referral.id])
        self.db.commit()
        return referral

    async def save(self, referral: Referral, form: ReferralForm) -> Referral:
        self._check_form(referral, form)
        return await self._update(referral, ReferralWorkflow.save, SaveReferral(self.who, form))

    async def send(self, referral: Referral, form: ReferralForm | None, insurance_confirmed: bool) -> Referral:
        if form is not None:
            self._check_form(referral, form)
        return await self._update(referral, ReferralWorkflow.send,
                                  SendReferral(self.who, insurance_confirmed=insurance_confirmed, form=form))

    async def withdraw(self, referral: Referral, reason: str = "") -> Referral:
        _short_enough(reason, "reason")
        return await self._update(referral, ReferralWorkflow.withdraw, WithdrawReferral(self.who, reason))

    # --- the receiving program -------------------------------------------------------------

    async def assign(self, referral: Referral, provider_id: int, *, reassign: bool = False) -> Referral:
        person = self.db.get(User, provider_id)
        if person is None:
            raise ValidationFailed("Choose a provider from the list.", field="provider_id", code="no_provider")
        request = AssignReferral(self.who, person.id, person.full_name, member_program_ids(self.db, person.id))
        update_fn = ReferralWorkflow.reassign if reassign else ReferralWorkflow.assign
        return await self._update(referral, update_fn, request)

    async def decline(self, referral: Referral, reason: str) -> Referral:
        _short_enough(reason, "reason")
        return await self._update(referral, ReferralWorkflow.decline, DeclineReferral(self.who, reason))

    async def update_status(self, referral: Referral, status: ServiceStatus, comment: str = "") -> Referral:
        _short_enough(comment, "comment")
        return await self._update(referral, ReferralWorkflow.update_status,
                                  UpdateServiceStatus(self.who, ServiceStatus(status), comment))

    async def add_progress(self, referral: Referral, text: str) -> Referral:
        _short_enough(text, "text")
        return await self._update(referral, ReferralWorkflow.add_progress, AddProgress(self.who, text))

    async def add_note(self, referral: Referral, contacted_at: datetime, method: ContactMethod,
                       outcome: ContactOutcome, text: str = "") -> Referral:
        _short_enough(text, "text")
        return await self._update(referral, ReferralWorkflow.add_note,
                                  AddNote(self.who, contacted_at, ContactMethod(method), ContactOutcome(outcome), text))

    async def reopen(self, referral: Referral, reason: str) -> Referral:
        _short_enough(reason, "reason")
        return await self._update(referral, ReferralWorkflow.reopen, ReopenReferral(self.who, reason))

    # --- plumbing --------------------------------------------------------------------------

    def _check_form(self, referral: Referral, form: ReferralForm) -> None:
        """What the workflow cannot check (it has no database): every key the request adds is a
        field of the receiving program; and the reason's length, before it goes to Temporal."""
        new_keys = set(form.fields) - set(referral.form_data or {})
        check_known_fields(form_fields(referral.receiving_program), new_keys)
        clean_reason(form.reason)

    @property
    def _settings(self):
        return self.request.app.state.settings

    async def _temporal(self):
        return await self.request.app.state.temporal.get()

    async def _update(self, referral: Referral, update_fn, payload) -> Referral:
        key = await request_key(self.request)
        state = ReferralState(referral.state)
        if state in FINAL_STATES:  # only reopen gets past this, and it alone may start a new run
            check_transition(state, _ACTION_OF_UPDATE[update_fn])
        release_before_wait(self.db)
        await bounded_wait(update(await self._temporal(), self._settings, referral_run(referral), update_fn,
                                  payload, update_id=key), self._settings)
        self.db.commit()  # end the read transaction: the activity committed the projection meanwhile
        self.db.expire(referral)
        return referral


def _short_enough(text: str, field: str) -> None:
    """The length limit of free text, checked before the text is encrypted and sent to Temporal
    (the pages' forms reach here without the API's schema); the workflow checks the rest."""
    clean_text(text, label="This text", field=field, required=False)


def referral_steps(request: Request, db: DbSession, actor: MouActor, moment: Now) -> ReferralSteps:
    return ReferralSteps(request, db, actor, moment)


Steps = Annotated[ReferralSteps, Depends(referral_steps)]


def _optional_int(value: str, name: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= ID_MAX:
        raise ValidationFailed(f"{name} must be an id (a whole number from 1).", field=name, code="not_a_number")
    return int(value)


def _optional_date(value: str, name: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{name}: enter a date as YYYY-MM-DD.", field=name, code="not_a_date") from None


def _described(text: str):
    return Query(description=text)


def parse_filters(
    status: Annotated[str, _described(
        "open (the default), any, or one state: " + ", ".join(s.value for s in ReferralState))] = STATUS_OPEN,
    date_from: Annotated[str, _described("Sent (or started) on or after this day, YYYY-MM-DD")] = "",
    date_to: Annotated[str, _described("Sent (or started) on or before this day, YYYY-MM-DD")] = "",
    program_id: Annotated[str, _described("The program at the other end (receiving for sent, sending "
                                          "for incoming)")] = "",
    staff_id: Annotated[str, _described("Gatekeepers only: the sender (sent) or the assignee (incoming)")] = "",
    q: Annotated[str, _described("A referral number (#12), or the start of the client's first or last name")] = "",
    page: PageNumber = 1, per_page: PerPage = PAGE_SIZE, updated_since: UpdatedSince = None,
) -> ReferralFilters:
    """The list filters of Parts 5 and 7, from the query string (blank means "any"); a page
    number, size or time that is not one is refused (422 naming it), never silently clamped."""
    allowed = {value for value, _label in status_choices()}
    if status not in allowed:
        raise ValidationFailed(f"Status must be one of: {', '.join(sorted(allowed))}.", field="status",
                               code="unknown_status")
    f = ReferralFilters(status=status, date_from=_optional_date(date_from, "date_from"),
                        date_to=_optional_date(date_to, "date_to"),
                        program_id=_optional_int(program_id, "program_id"),
                        staff_id=_optional_int(staff_id, "staff_id"), q=q[:100], page=page,
                        per_page=per_page, updated_since=as_utc(updated_since))
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValidationFailed("The start of the date range is after its end.", field="date_from",
                               code="bad_range")
    return f


Filters = Annotated[ReferralFilters, Depends(parse_filters)]
