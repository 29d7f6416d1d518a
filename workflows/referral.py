"""The referral workflow (`referral-<id>`): one per referral, from the first save to its end.

It waits on people (the sender sends, a gatekeeper assigns, the provider updates the status)
and keeps time (the acknowledgement nudge on the next business day, the escalation after five
business days). Every action is an update whose validator refuses a wrong transition, a person
without the right role, or a closed referral before anything reaches the history. A handler
marks the new state *before* it awaits the activity that writes the projection, so the
validator of a concurrent update already sees it: of two simultaneous assigns exactly one wins.

The run ends when the referral is closed, declined or withdrawn. A gatekeeper reopening a closed
referral starts a new run of the same id from the database projection (see
connect.workflow_client), so every update goes through the same validators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.errors import Conflict, ValidationFailed
    from domain.referral_form import clean_text
    from domain.referral_permissions import Acting, check_assignee, check_permission
    from domain.referral_status import (
        FINAL_STATES,
        ReferralAction,
        ReferralState,
        ServiceStatus,
        check_transition,
    )
    from workflows import search_attributes as sa
    from workflows.clock import until
    from workflows.delivery import DB_ACTIVITY, db_step, deliver_all
    from workflows.failures import business_failure, domain_rules, reraise_business
    from workflows.referral_contracts import (
        AddNote,
        AddProgress,
        AssignReferral,
        DeclineReferral,
        ReferralActivitiesContract,
        ReferralChange,
        ReferralDeadlinesRequest,
        ReferralInput,
        ReferralOutcome,
        ReferralRoiRevoked,
        ReferralTimerFired,
        ReferralWorkflowState,
        ReopenReferral,
        RoiRevoked,
        SaveReferral,
        SendReferral,
        TimerKind,
        UpdateServiceStatus,
        WithdrawReferral,
    )

A, S = ReferralAction, ReferralState

# Runs sent before this patch computed the send's deadlines inside the workflow.
DEADLINES_BY_ACTIVITY = "referral-deadlines-by-activity"


@workflow.defn(name="Referral")
class ReferralWorkflow:
    @workflow.init
    def __init__(self, inp: ReferralInput) -> None:
        self._s: ReferralWorkflowState = inp.state
        self._policy = inp.policy
        self._version = 0  # bumped on every mark, commit and rollback: the run loop wakes on it
        self._in_flight = 0  # changes marked whose activity has not finished
        self._lock = asyncio.Lock()  # projection writes happen in the order changes were marked
        self._deliveries: list[asyncio.Task] = []
        self._search: dict[str, str] = {}

    # --- the run: timers while the referral waits for acknowledgement ----------------------

    @workflow.run
    async def run(self, inp: ReferralInput) -> ReferralWorkflowState:
        self._sync_search_attributes()
        while True:
            await self._until_final()
            await self._settle()
            if self._in_flight == 0 and self._s.state in FINAL_STATES:  # not reopened meanwhile
                return self._s

    async def _until_final(self) -> None:
        """Waits for people and keeps the timers until the referral is closed, declined or withdrawn."""
        while not (self._in_flight == 0 and self._s.state in FINAL_STATES):
            seen = self._version
            due = self._next_timer()
            if due is None:
                await workflow.wait_condition(lambda: self._version != seen)
            else:
                moment, kind = due
                try:
                    if moment > workflow.now():
                        await workflow.wait_condition(lambda: self._version != seen,
                                                      timeout=until(workflow.now(), moment))
                    else:
                        raise asyncio.TimeoutError
                except asyncio.TimeoutError:
                    await self._fire(kind)
            if workflow.info().is_continue_as_new_suggested() and self._in_flight == 0:
                await self._settle()
                workflow.continue_as_new(ReferralInput(self._s, self._policy))

    def _next_timer(self) -> tuple[datetime, TimerKind] | None:
        """The next deadline to wait for: only while sent and not yet acknowledged."""
        s = self._s
        if s.state is not S.SENT:
            return None
        timers = []
        if not s.nudged and s.nudge_at is not None:
            timers.append((s.nudge_at, TimerKind.NUDGE))
        if not s.escalated and s.escalate_at is not None:
            timers.append((s.escalate_at, TimerKind.ESCALATION))
        return min(timers) if timers else None

    async def _fire(self, kind: TimerKind) -> None:
        if self._s.state is not S.SENT:  # acknowledged in the same instant: nothing to say
            return
        if kind is TimerKind.NUDGE:
            self._s.nudged = True
        else:
            self._s.escalated = self._s.nudged = True  # no nudge after an escalation
        self._version += 1
        moment = self._s.nudge_at if kind is TimerKind.NUDGE else self._s.escalate_at
        key = f"{workflow.info().workflow_id}:{kind.value}:{moment.isoformat() if moment else ''}"
        async with self._lock:
            outbox_ids = await workflow.execute_activity_method(
                ReferralActivitiesContract.referral_timer_fired,
                ReferralTimerFired(self._s.referral_id, kind, workflow.now(), key),
                **DB_ACTIVITY)
        self._sync_search_attributes()
        self._deliver(outbox_ids)

    async def _settle(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._deliveries:
            await asyncio.gather(*self._deliveries)
            self._deliveries = []

    # --- one change: mark, write the projection, then tell people ----------------------------

    async def _change(self, action: ReferralAction, acting: Acting, mark: dict, **change) -> ReferralOutcome:
        """Marks ``mark`` and the state the transition table gives on the state at once (so
        concurrent validators see it), writes the projection through the activity, and undoes the
        mark if the activity refuses."""
        state_before = self._s.state
        with domain_rules():
            mark = {"state": check_transition(state_before, action, change.get("status")), **mark}
        before = {name: getattr(self._s, name) for name in mark}
        for name, value in mark.items():
            setattr(self._s, name, value)
        self._version += 1
        self._in_flight += 1
        update_id = workflow.current_update_info().id
        request = ReferralChange(
            referral_id=self._s.referral_id, action=action, acting=acting, at=workflow.now(),
            idempotency_key=f"{workflow.info().workflow_id}:{update_id}",
            state_before=state_before, state_after=self._s.state, **change)
        try:
            async with self._lock:
                outbox_ids = await reraise_business(workflow.execute_activity_method(
                    ReferralActivitiesContract.apply_referral_change, request, **db_step(self._policy)))
        except Exception:
            for name, value in mark.items():
                if getattr(self._s, name) == value:
                    setattr(self._s, name, before[name])
            raise
        finally:
            self._in_flight -= 1
            self._version += 1
        self._sync_search_attributes()
        self._deliver(outbox_ids)
        return ReferralOutcome(self._s.referral_id, self._s.state, self._s.service_status, self._s.assignee_id)

    def _deliver(self, outbox_ids: list[int]) -> None:
        if outbox_ids:
            self._deliveries.append(asyncio.create_task(_quietly(deliver_all(outbox_ids))))

    def _check(self, action: ReferralAction, acting: Acting, status: ServiceStatus | None = None) -> None:
        """The validators' common part: the person's role, then the transition."""
        with domain_rules():
            check_permission(action, acting, self._s.parties)
            if action is A.ASSIGN and self._s.state is S.ASSIGNED:
                raise Conflict(
                    f"This referral is already assigned to {self._s.assignee_name or 'a provider'}. "
                    "Reassign it if someone else should take it.", code="already_assigned",
                    extra={"assignee_id": self._s.assignee_id, "assignee_name": self._s.assignee_name})
            check_transition(self._s.state, action, status)

    @staticmethod
    def _text(value: str, *, label: str, field: str, required: bool = True) -> None:
        with domain_rules():
            clean_text(value, label=label, field=field, required=required)

    # --- the sender ---------------------------------------------------------------------------

    @workflow.update
    async def save(self, request: SaveReferral) -> ReferralOutcome:
        return await self._change(A.SAVE, request.acting, {}, form=request.form)

    @save.validator
    def _validate_save(self, request: SaveReferral) -> None:
        self._check(A.SAVE, request.acting)

    async def _deadlines(self, sent_at: datetime) -> tuple[datetime, datetime]:
        """The nudge and the escalation, computed once, when the referral is sent, by a local
        activity: the result is recorded in the history, so replay never recomputes it (a newer
        `holidays` release cannot move a running referral's deadlines)."""
        if workflow.patched(DEADLINES_BY_ACTIVITY):
            found = await workflow.execute_local_activity_method(
                ReferralActivitiesContract.referral_deadlines, ReferralDeadlinesRequest(sent_at, self._policy),
                start_to_close_timeout=timedelta(seconds=10))
            return found.nudge_at, found.escalate_at
        # Runs sent before the patch computed them here, and replay so (`holidays` is pinned).
        with workflow.unsafe.sandbox_unrestricted():  # `holidays` reads translations through gettext
            return self._policy.referral_deadlines(sent_at)

    @workflow.update
    async def send(self, request: SendReferral) -> ReferralOutcome:
        now = workflow.now()
        nudge_at, escalate_at = await self._deadlines(now)
        mark = dict(sent_at=now, nudged=False, escalated=False, nudge_at=nudge_at, escalate_at=escalate_at)
        return await self._change(A.SEND, request.acting, mark, form=request.form,
                                  insurance_confirmed=request.insurance_confirmed,
                                  nudge_at=mark["nudge_at"], escalate_at=mark["escalate_at"])

    @send.validator
    def _validate_send(self, request: SendReferral) -> None:
        self._check(A.SEND, request.acting)
        if not request.insurance_confirmed:
            raise business_failure(ValidationFailed(
                "Confirm that insurance will not be a barrier for the client to receive services at "
                "this program before you send.", field="insurance_confirmed",
                code="insurance_not_confirmed"))

    @workflow.update
    async def withdraw(self, request: WithdrawReferral) -> ReferralOutcome:
        return await self._change(A.WITHDRAW, request.acting, {}, text=request.reason)

    @withdraw.validator
    def _validate_withdraw(self, request: WithdrawReferral) -> None:
        self._check(A.WITHDRAW, request.acting)
        self._text(request.reason, label="Reason", field="reason", required=False)

    # --- the receiving program ----------------------------------------------------------------

    @workflow.update
    async def assign(self, request: AssignReferral) -> ReferralOutcome:
        return await self._assign(A.ASSIGN, request)

    @assign.validator
    def _validate_assign(self, request: AssignReferral) -> None:
        self._check(A.ASSIGN, request.acting)
        self._check_assignee(request)

    @workflow.update
    async def reassign(self, request: AssignReferral) -> ReferralOutcome:
        return await self._assign(A.REASSIGN, request)

    @reassign.validator
    def _validate_reassign(self, request: AssignReferral) -> None:
        self._check(A.REASSIGN, request.acting)
        self._check_assignee(request)
        if request.provider_id == self._s.assignee_id:
            raise business_failure(ValidationFailed(
                f"This referral is already assigned to {request.provider_name}. Choose someone else.",
                field="provider_id", code="same_assignee"))

    def _check_assignee(self, request: AssignReferral) -> None:
        with domain_rules():
            check_assignee(self._s.receiving_program_id, request.provider_program_ids)

    async def _assign(self, action: ReferralAction, request: AssignReferral) -> ReferralOutcome:
        mark = dict(assignee_id=request.provider_id, assignee_name=request.provider_name)
        return await self._change(action, request.acting, mark, provider_id=request.provider_id)

    @workflow.update
    async def decline(self, request: DeclineReferral) -> ReferralOutcome:
        return await self._change(A.DECLINE, request.acting, {}, text=request.reason)

    @decline.validator
    def _validate_decline(self, request: DeclineReferral) -> None:
        self._check(A.DECLINE, request.acting)
        self._text(request.reason, label="Reason for declining", field="reason")

    @workflow.update
    async def update_status(self, request: UpdateServiceStatus) -> ReferralOutcome:
        return await self._change(A.UPDATE_STATUS, request.acting, dict(service_status=request.status),
                                  status=request.status, text=request.comment)

    @update_status.validator
    def _validate_update_status(self, request: UpdateServiceStatus) -> None:
        self._check(A.UPDATE_STATUS, request.acting, request.status)
        self._text(request.comment, label="Comment", field="comment", required=False)

    @workflow.update
    async def add_progress(self, request: AddProgress) -> ReferralOutcome:
        return await self._change(A.ADD_PROGRESS, request.acting, {}, text=request.text)

    @add_progress.validator
    def _validate_add_progress(self, request: AddProgress) -> None:
        self._check(A.ADD_PROGRESS, request.acting)
        self._text(request.text, label="Progress", field="text")

    @workflow.update
    async def add_note(self, request: AddNote) -> ReferralOutcome:
        return await self._change(A.ADD_NOTE, request.acting, {}, text=request.text,
                                  contacted_at=request.contacted_at, method=request.method,
                                  outcome=request.outcome)

    @add_note.validator
    def _validate_add_note(self, request: AddNote) -> None:
        self._check(A.ADD_NOTE, request.acting)
        self._text(request.text, label="Note", field="text", required=False)
        if request.contacted_at > workflow.now() + _GRACE:
            raise business_failure(ValidationFailed("The date of contact cannot be in the future.",
                                           field="contacted_at", code="contact_in_future"))

    @workflow.update
    async def reopen(self, request: ReopenReferral) -> ReferralOutcome:
        return await self._change(A.REOPEN, request.acting, {}, text=request.reason)

    @reopen.validator
    def _validate_reopen(self, request: ReopenReferral) -> None:
        self._check(A.REOPEN, request.acting)
        self._text(request.reason, label="Reason for reopening", field="reason")

    # --- external events and supervision ------------------------------------------------------

    @workflow.signal
    async def roi_revoked(self, event: RoiRevoked) -> None:
        """The client revoked an ROI. Sending stays refused by the send activity unless another
        valid ROI covers the program; here the sender of a pending referral is told at once."""
        if self._s.state is not S.PENDING:
            return
        key = f"{workflow.info().workflow_id}:roi-revoked:{event.roi_id}"
        outbox_ids = await workflow.execute_activity_method(
            ReferralActivitiesContract.referral_roi_revoked, ReferralRoiRevoked(self._s.referral_id, event.roi_id, key),
            **DB_ACTIVITY)
        self._deliver(outbox_ids)

    @workflow.query
    def state(self) -> ReferralWorkflowState:
        return self._s

    def _sync_search_attributes(self) -> None:
        sa.upsert_changed(sa.referral_attributes(self._s), self._search)


_GRACE = timedelta(minutes=10)  # clocks of browsers and servers differ a little


async def _quietly(step: Awaitable[None]) -> None:
    """Deliveries retry for a day on their own; one that finally fails must not fail the referral."""
    try:
        await step
    except Exception:  # noqa: BLE001 - the outbox row keeps its "queued" status for follow-up
        workflow.logger.warning("a notification could not be delivered")
