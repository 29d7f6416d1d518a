"""The MOU renewal workflow: one per user (`user-mou-<id>`) and one per program (`agency-mou-<id>`).

It waits for a signature (an update), then keeps the year: reminders before the MOU comes due,
the lapse notice when it does, and then it waits for the next signature. The database holds the
projection (`expires_on`) that gates users and hides programs; the workflow owns the timers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import add_years
    from domain.mou import days_left, renewal_notice_due
    from workflows import search_attributes as sa
    from workflows.clock import local_date, local_instant, until
    from workflows.delivery import DB_ACTIVITY, db_step, deliver_all
    from workflows.failures import reraise_business
    from workflows.mou_contracts import (
        MouActivitiesContract,
        MouInput,
        MouKind,
        MouNotice,
        MouSigned,
        MouState,
        RecordMouSignature,
        SignMou,
    )

# Workflows from before this patch sent every reminder whose day had passed at once (a lapsed
# program heard "due in 30 days", "due in 7 days" and "has lapsed" in the same minute).
ONE_NOTICE_DUE_NOW = "mou-one-notice-due-now"


@workflow.defn(name="MouRenewal")
class MouRenewalWorkflow:
    @workflow.init
    def __init__(self, inp: MouInput) -> None:
        self._input = inp
        self._state = MouState(kind=inp.kind, subject_id=inp.subject_id, expires_on=inp.expires_on)
        self._changed = False
        self._search: dict[str, str] = {}

    @workflow.run
    async def run(self, inp: MouInput) -> None:
        sa.upsert_changed(sa.mou_attributes(inp.kind), self._search)
        while True:
            self._changed = False
            await self._keep_year()
            if not self._changed:
                await workflow.wait_condition(lambda: self._changed)
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    MouInput(inp.kind, inp.subject_id, self._state.expires_on, inp.policy)
                )

    async def _keep_year(self) -> None:
        """Waits through the reminders and the lapse; returns early when a new signature lands.

        At each wake-up (start, timer, or a worker back after a pause) it sends only the notice
        due now (`domain.mou.renewal_notice_due`), saying the days truly left.
        """
        if self._state.expires_on is None:
            self._set_status("missing")
            return
        if not workflow.patched(ONE_NOTICE_DUE_NOW):
            return await self._keep_year_before_one_notice()
        while True:
            now = workflow.now()
            points = self._checkpoints()
            reached = [step for moment, step in points if moment <= now]
            self._set_status("lapsed" if 0 in reached else "due_soon" if reached else "valid")
            notice = renewal_notice_due(reached, self._state.reminders_sent, self._days_left(now))
            if notice is not None:
                self._state.reminders_sent.append(notice.step)
                await self._notice("lapsed" if notice.lapsed else "reminder", notice.days_left)
            upcoming = [moment for moment, _ in points if moment > now]
            if not upcoming or await self._wait_or_changed(upcoming[0]):
                return

    def _days_left(self, now: datetime) -> int:
        assert self._state.expires_on is not None
        return days_left(self._state.expires_on, local_date(now))

    async def _keep_year_before_one_notice(self) -> None:
        """The loop of workflows started before ONE_NOTICE_DUE_NOW, kept so they replay."""
        for moment, step in self._checkpoints():
            if moment > workflow.now():
                self._set_status("due_soon" if self._state.reminders_sent else "valid")
                if await self._wait_or_changed(moment):
                    return
            if step > 0:
                if step not in self._state.reminders_sent:
                    self._state.reminders_sent.append(step)
                    self._set_status("due_soon")
                    await self._notice("reminder", step)
            else:
                self._set_status("lapsed")
                await self._notice("lapsed", 0)

    def _checkpoints(self) -> list[tuple[datetime, int]]:
        policy = self._input.policy
        expires_on = self._state.expires_on
        assert expires_on is not None
        lapse = local_instant(expires_on)
        points = [
            (local_instant(expires_on - timedelta(days=d), policy.reminder_local_hour), d)
            for d in policy.reminder_days_before
        ]
        points.append((lapse, 0))
        return sorted(points)

    async def _wait_or_changed(self, moment: datetime) -> bool:
        try:
            await workflow.wait_condition(lambda: self._changed, timeout=until(workflow.now(), moment))
            return True
        except TimeoutError:
            return False

    async def _notice(self, event: str, days_left: int) -> None:
        assert self._state.expires_on is not None
        outbox_ids = await workflow.execute_activity_method(
            MouActivitiesContract.mou_notice,
            MouNotice(self._input.kind, self._input.subject_id, self._state.expires_on, event, days_left),
            **DB_ACTIVITY,
        )
        await deliver_all(outbox_ids)

    def _set_status(self, status: str) -> None:
        self._state.status = status
        sa.upsert_changed(sa.mou_attributes(self._input.kind, status), self._search)

    @workflow.update
    async def sign(self, request: SignMou) -> MouSigned:
        now = workflow.now()
        expires_on = add_years(local_date(now))
        await reraise_business(workflow.execute_activity_method(
            MouActivitiesContract.record_mou_signature,
            RecordMouSignature(
                kind=self._input.kind,
                subject_id=self._input.subject_id,
                sign=request,
                signed_at=now,
                expires_on=expires_on,
                idempotency_key=f"{workflow.info().workflow_id}:{workflow.current_update_info().id}",
            ),
            **db_step(self._input.policy),
        ))
        self._state.expires_on = expires_on
        self._state.last_signed_at = now
        self._state.reminders_sent = []
        self._set_status("valid")
        self._changed = True
        return MouSigned(expires_on=expires_on, signed_at=now)

    @sign.validator
    def _validate_sign(self, request: SignMou) -> None:
        if not request.signed_name.strip():
            raise ApplicationError("Type your full name to sign the MOU.", type="ValidationFailed")
        if self._input.kind is MouKind.USER and request.signer_user_id != self._input.subject_id:
            raise ApplicationError("Only the user themselves can sign their user MOU.", type="NotAllowed")

    @workflow.query
    def state(self) -> MouState:
        return self._state
