"""The release-of-information workflow (`roi-<id>`): one per ROI, from draft to its end.

draft -> awaiting_signature (e-sign, text message or upload) -> signed -> expired | revoked,
or abandoned before it is signed. It waits for the client (a YES by text, a scanned upload) and
keeps the year: a reminder to the sending program before the ROI expires, then the expiry.

Every change is an update whose validator refuses a wrong request before it reaches history; the
handler marks the change in the workflow state first (so a concurrent update's validator already
sees it) and then has an activity write the database projection, which is current when the update
returns. Emails and texts queued by those activities are delivered by their own activities.
"""

from __future__ import annotations

import asyncio
import copy
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.outbox_contracts import DeliverMessage, MessagingActivitiesContract
    from domain.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
    from domain.roi import (
        RoiState,
        SignatureMethod,
        check_authorizer,
        check_information_types,
        check_purpose,
        check_roi_transition,
        check_signable,
        check_signature_withdrawal,
        check_signer,
        roi_expires_on,
    )
    from domain.sms_code import SMS_CODE_MAX_ATTEMPTS, check_sms_code_live, wrong_code_reason
    from workflows import search_attributes as sa
    from workflows.clock import local_date, local_instant, until
    from workflows.delivery import DB_ACTIVITY, MESSAGE_ACTIVITY, db_step
    from workflows.failures import business_failure, domain_rules, reraise_business
    from workflows.referral_contracts import ReferralActivitiesContract, RoiRevoked
    from workflows.roi_contracts import (
        ROI_WORKFLOW,
        AbandonRoi,
        AttachUpload,
        ChoosePrograms,
        ClientSaidYes,
        CompleteRoi,
        DeleteAttachment,
        EnterCode,
        IssueSmsCode,
        MarkUploadPending,
        RecordAbandoned,
        RecordAttachment,
        RecordAttachmentDeleted,
        RecordCodeAttempt,
        RecordCompletion,
        RecordPrograms,
        RecordRevocation,
        RecordSignature,
        RecordSignatureStarted,
        ResendCode,
        RevokeRoi,
        RoiActivitiesContract,
        RoiActor,
        RoiInput,
        RoiNotice,
        RoiStatus,
        SignEsign,
        SmsCodeIssued,
        SmsStage,
        StartSms,
    )

FINAL = (RoiState.EXPIRED, RoiState.REVOKED, RoiState.ABANDONED)


@dataclass
class SmsCode:
    code_id: int
    code_hmac: str
    expires_at: datetime
    attempts: int = 0


@dataclass
class RoiWorkflowState:
    roi_id: int
    status: RoiState = RoiState.DRAFT
    completed: bool = False
    method: SignatureMethod | None = None
    authorizer_name: str = ""  # the person who must sign; encrypted in history, never queried
    sms_stage: str = ""
    code: SmsCode | None = None
    retired_code_hmacs: list[str] = field(default_factory=list)
    signed_at: datetime | None = None
    expires_on: date | None = None
    signature_version: int = 0  # changes whenever a signature is given or withdrawn
    reminder_sent: bool = False
    revoked_at: datetime | None = None
    attachment_id: int | None = None


@workflow.defn(name=ROI_WORKFLOW)
class RoiWorkflow:
    @workflow.init
    def __init__(self, inp: RoiInput) -> None:
        self._input = inp
        self._s = RoiWorkflowState(roi_id=inp.roi_id)
        self._sms_lock = asyncio.Lock()
        self._deliveries: list[asyncio.Future] = []
        self._search: dict[str, str] = {}

    @workflow.run
    async def run(self, inp: RoiInput) -> str:
        sa.upsert_changed(sa.roi_attributes(inp.sending_program_id, None), self._search)
        self._publish()
        while True:
            await workflow.wait_condition(lambda: self._s.status is RoiState.SIGNED or self._s.status in FINAL)
            if self._s.status is RoiState.SIGNED:
                await self._keep_validity()
            if self._s.status in FINAL:
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        return self._s.status.value

    # --- the year of validity -----------------------------------------------------------------

    async def _keep_validity(self) -> None:
        """Reminds the sending program before expiry, then expires the ROI. Returns early when the
        ROI is revoked or its (uploaded) signature is withdrawn."""
        version = self._s.signature_version

        def changed() -> bool:
            return self._s.status is not RoiState.SIGNED or self._s.signature_version != version

        remind_at, expire_at = self._validity_moments()
        if not self._s.reminder_sent:
            if remind_at > workflow.now() and await self._wait_until(changed, remind_at):
                return
            self._s.reminder_sent = True
            await self._notice("expiring")
            if changed():
                return
        if expire_at > workflow.now() and await self._wait_until(changed, expire_at):
            return
        if changed():
            return
        self._set_status(RoiState.EXPIRED)
        await self._notice("expired")

    def _validity_moments(self) -> tuple[datetime, datetime]:
        policy = self._input.policy
        assert self._s.signed_at is not None and self._s.expires_on is not None
        days = policy.roi_reminder_days_before
        expire_at = local_instant(self._s.expires_on)
        remind_at = local_instant(self._s.expires_on - timedelta(days=days), policy.reminder_local_hour)
        return remind_at, expire_at

    async def _wait_until(self, condition, moment: datetime) -> bool:
        """True if `condition` became true before `moment`."""
        try:
            await workflow.wait_condition(condition, timeout=until(workflow.now(), moment))
            return True
        except TimeoutError:
            return False

    async def _notice(self, event: str) -> None:
        assert self._s.expires_on is not None
        outbox_ids = await workflow.execute_activity_method(
            RoiActivitiesContract.roi_notice, RoiNotice(self._s.roi_id, event, self._s.expires_on),
            **DB_ACTIVITY,
        )
        self._deliver_later(outbox_ids)

    # --- helpers --------------------------------------------------------------------------------

    def _db_step(self) -> dict:
        return db_step(self._input.policy)

    def _key(self) -> str:
        return f"{workflow.info().workflow_id}:{workflow.current_update_info().id}"

    def _move(self, target: RoiState) -> None:
        """The status moves only as the transition table allows (staying put is no move)."""
        if self._s.status is not target:
            with domain_rules():
                check_roi_transition(self._s.status, target)
        self._s.status = target

    def _set_status(self, status: RoiState) -> None:
        self._move(status)
        self._publish()

    def _publish(self) -> None:
        sa.upsert_changed(sa.roi_attributes(self._input.sending_program_id, self._s.status), self._search)

    def _deliver_later(self, outbox_ids: list[int]) -> None:
        """Texts and emails go out in their own retried activities; an update does not wait for
        a slow provider. The run waits for them before the workflow ends."""
        for outbox_id in outbox_ids:
            self._deliveries.append(
                workflow.start_activity_method(MessagingActivitiesContract.deliver_message, DeliverMessage(outbox_id),
                                               **MESSAGE_ACTIVITY)
            )

    def _check_actor(self, actor: RoiActor) -> None:
        if actor.program_id != self._input.sending_program_id:
            raise business_failure(NotAllowed(
                "Only the program that started this release of information can change it.",
                code="roi_not_sender"))

    def _retire_code(self) -> None:
        if self._s.code is not None:
            self._s.retired_code_hmacs.append(self._s.code.code_hmac)
            self._s.code = None

    def _view(self) -> RoiStatus:
        code = self._s.code
        return RoiStatus(
            roi_id=self._s.roi_id, state=self._s.status, completed=self._s.completed, method=self._s.method,
            sms_stage=self._s.sms_stage, code_expires_at=code.expires_at if code else None,
            code_attempts_left=SMS_CODE_MAX_ATTEMPTS - code.attempts if code else 0,
            signed_at=self._s.signed_at, expires_on=self._s.expires_on, revoked_at=self._s.revoked_at,
            attachment_id=self._s.attachment_id, reminder_sent=self._s.reminder_sent,
        )

    async def _transition(self, change, step) -> None:
        """Applies `change` to the state, then awaits the activity `step`; if the activity refuses
        (a business failure) or gives up (the database did not answer in time), the state goes
        back to what it was and the update fails."""
        before = copy.deepcopy(self._s)
        change()
        self._publish()
        try:
            await reraise_business(step)
        except (ApplicationError, ActivityError):
            self._s = before
            self._publish()
            raise

    async def _sign(self, method: SignatureMethod, record: Callable[[datetime, date], RecordSignature]) -> int | None:
        """Marks the ROI signed now (valid one calendar year) and records the signature; returns
        what the activity returns (the attachment id of an uploaded scan)."""
        now = workflow.now()
        expires_on = roi_expires_on(local_date(now))
        recorded: list[int | None] = []

        def change() -> None:
            if self._s.status is RoiState.DRAFT:  # e-sign signs a completed draft at once
                self._move(RoiState.AWAITING_SIGNATURE)
            self._move(RoiState.SIGNED)
            self._s.method = method
            self._s.signed_at = now
            self._s.expires_on = expires_on
            self._s.signature_version += 1
            self._s.reminder_sent = False
            self._s.sms_stage = ""

        async def step() -> None:
            recorded.append(await workflow.execute_activity_method(
                RoiActivitiesContract.record_roi_signature, record(now, expires_on), **self._db_step()))

        await self._transition(change, step())
        self._retire_code()
        return recorded[0]

    # --- choosing programs and completing -------------------------------------------------------

    @workflow.update
    async def choose_programs(self, request: ChoosePrograms) -> RoiStatus:
        def change() -> None:
            self._s.completed = False  # the rendered text named the old programs

        await self._transition(change, workflow.execute_activity_method(
            RoiActivitiesContract.record_roi_programs,
            RecordPrograms(self._s.roi_id, self._key(), request.actor, request.program_ids), **self._db_step()))
        return self._view()

    @choose_programs.validator
    def _validate_choose_programs(self, request: ChoosePrograms) -> None:
        self._check_actor(request.actor)
        self._check_draft("Programs")
        if not set(request.program_ids) - {self._input.sending_program_id}:
            raise business_failure(ValidationFailed(
                "Choose at least one program to share with.",
                code="programs_missing", field="program_ids"))

    def _check_draft(self, what: str) -> None:
        if self._s.status is not RoiState.DRAFT:
            raise business_failure(InvalidTransition(
                f"{what} can be changed only while the ROI is a draft; this one is "
                f"{self._s.status.label.lower()}. Start a new ROI instead.",
                code="roi_not_draft"))

    @workflow.update
    async def complete(self, request: CompleteRoi) -> RoiStatus:
        def change() -> None:
            self._s.completed = True
            self._s.authorizer_name = request.authorizer_name

        await self._transition(change, workflow.execute_activity_method(
            RoiActivitiesContract.record_roi_completion, RecordCompletion(self._s.roi_id, self._key(), request),
            **self._db_step()))
        return self._view()

    @complete.validator
    def _validate_complete(self, request: CompleteRoi) -> None:
        self._check_actor(request.actor)
        self._check_draft("The ROI's details")
        with domain_rules():
            check_information_types(request.information_types, request.sensitive_consent)
            check_purpose(request.purpose)
            check_authorizer(request.authorizer_kind, request.authorizer_name, request.authorizer_relationship)
            if not request.authorizer_name.strip():
                raise ValidationFailed("Enter the name of the person authorising this release.",
                                       field="authorizer_name", code="authorizer_name_missing")

    # --- e-sign -----------------------------------------------------------------------------------

    @workflow.update
    async def sign_esign(self, request: SignEsign) -> RoiStatus:
        await self._sign(SignatureMethod.ESIGN, lambda now, expires_on: RecordSignature(
            self._s.roi_id, self._key(), request.actor, SignatureMethod.ESIGN, now, expires_on,
            signature_name=" ".join(request.typed_name.split())))
        return self._view()

    @sign_esign.validator
    def _validate_sign_esign(self, request: SignEsign) -> None:
        self._check_actor(request.actor)
        with domain_rules():
            check_signable(self._s.status, self._s.completed)
            check_signer(self._s.authorizer_name, request.typed_name)
        if not request.confirmed:
            raise business_failure(ValidationFailed(
                "Tick 'yes' to confirm that the person signing agrees to this release.",
                code="esign_not_confirmed", field="confirmed"))

    # --- text message -----------------------------------------------------------------------------

    @workflow.update
    async def start_sms(self, request: StartSms) -> RoiStatus:
        def change() -> None:
            self._move(RoiState.AWAITING_SIGNATURE)
            self._s.method = SignatureMethod.SMS
            self._s.sms_stage = SmsStage.AWAITING_YES
            self._retire_code()

        key = self._key()
        outbox_ids: list[int] = []

        async def step() -> None:
            outbox_ids.extend(await workflow.execute_activity_method(
                RoiActivitiesContract.record_roi_signature_started,
                RecordSignatureStarted(self._s.roi_id, key, request.actor, SignatureMethod.SMS, request.phone_id),
                **self._db_step()))

        await self._transition(change, step())
        self._deliver_later(outbox_ids)
        return self._view()

    @start_sms.validator
    def _validate_start_sms(self, request: StartSms) -> None:
        self._check_actor(request.actor)
        with domain_rules():
            check_signable(self._s.status, self._s.completed)

    @workflow.signal
    async def client_said_yes(self, reply: ClientSaidYes) -> None:
        """The client texted YES (from the number this ROI texted): send the security code."""
        if (self._s.status is not RoiState.AWAITING_SIGNATURE or self._s.method is not SignatureMethod.SMS
                or self._s.sms_stage != SmsStage.AWAITING_YES):
            return  # a late or repeated YES changes nothing
        self._s.sms_stage = SmsStage.CODE_SENT
        try:
            # Nobody waits for a signal: its step retries until the database is back.
            await self._issue_code(f"{workflow.info().workflow_id}:yes:{reply.inbound_sms_id}", DB_ACTIVITY)
        except ApplicationError:
            self._s.sms_stage = SmsStage.AWAITING_YES

    async def _issue_code(self, key: str, options: dict) -> None:
        async with self._sms_lock:  # codes are issued one after the other: the last one texted wins
            now = workflow.now()
            expires_at = now + timedelta(seconds=self._input.policy.sms_code_ttl_seconds)
            issued: SmsCodeIssued = await reraise_business(workflow.execute_activity_method(
                RoiActivitiesContract.issue_roi_sms_code, IssueSmsCode(self._s.roi_id, key, now, expires_at),
                **options))
            self._retire_code()
            self._s.code = SmsCode(issued.code_id, issued.code_hmac, expires_at)
            self._deliver_later(issued.outbox_ids)

    @workflow.update
    async def enter_code(self, request: EnterCode) -> RoiStatus:
        code = self._s.code
        if code is None:  # replaced between the validator and here
            raise business_failure(ValidationFailed(
                "The security code was just replaced; enter the code in the latest text.",
                code="code_replaced", field="code"))
        if hmac.compare_digest(request.code_hmac, code.code_hmac):
            await self._sign(SignatureMethod.SMS, lambda now, expires_on: RecordSignature(
                self._s.roi_id, self._key(), request.actor, SignatureMethod.SMS, now, expires_on,
                code_id=code.code_id))
            return self._view()
        code.attempts += 1
        await workflow.execute_activity_method(
            RoiActivitiesContract.record_roi_code_attempt,
            RecordCodeAttempt(self._s.roi_id, self._key(), code.code_id, code.attempts), **self._db_step())
        # The wrong entry is counted (that is why it is not refused by the validator), then the
        # update fails with the reason.
        raise business_failure(ValidationFailed(
            wrong_code_reason(code.attempts),
            code="code_wrong", field="code"))

    @enter_code.validator
    def _validate_enter_code(self, request: EnterCode) -> None:
        self._check_actor(request.actor)
        self._check_sms_signature()
        if request.code_hmac in self._s.retired_code_hmacs:
            raise business_failure(ValidationFailed(
                "This security code was replaced by a newer one. Ask the client for the code "
                "in the latest text.",
                code="code_replaced", field="code"))
        code = self._s.code
        with domain_rules():
            check_sms_code_live(sent=code is not None, attempts=code.attempts if code else 0,
                                expires_at=code.expires_at if code else None, now=workflow.now(),
                                ttl_seconds=self._input.policy.sms_code_ttl_seconds)

    def _check_sms_signature(self) -> None:
        if self._s.status is not RoiState.AWAITING_SIGNATURE or self._s.method is not SignatureMethod.SMS:
            with domain_rules():
                check_signable(self._s.status, self._s.completed)
            raise business_failure(InvalidTransition(
                "This ROI is not waiting for a text-message signature; choose 'Text message' "
                "to text the client first.",
                code="roi_not_awaiting_sms"))

    @workflow.update
    async def resend_code(self, request: ResendCode) -> RoiStatus:
        await self._issue_code(self._key(), self._db_step())
        return self._view()

    @resend_code.validator
    def _validate_resend_code(self, request: ResendCode) -> None:
        self._check_actor(request.actor)
        self._check_sms_signature()
        if self._s.sms_stage != SmsStage.CODE_SENT:
            raise business_failure(InvalidTransition(
                "The client has not replied YES yet; the security code is texted once they do.",
                code="sms_awaiting_yes"))

    # --- upload (physical signature) --------------------------------------------------------------

    @workflow.update
    async def mark_upload_pending(self, request: MarkUploadPending) -> RoiStatus:
        def change() -> None:
            self._move(RoiState.AWAITING_SIGNATURE)
            self._s.method = SignatureMethod.UPLOAD
            self._s.sms_stage = ""
            self._retire_code()

        await self._transition(change, workflow.execute_activity_method(
            RoiActivitiesContract.record_roi_signature_started,
            RecordSignatureStarted(self._s.roi_id, self._key(), request.actor, SignatureMethod.UPLOAD),
            **self._db_step()))
        return self._view()

    @mark_upload_pending.validator
    def _validate_mark_upload_pending(self, request: MarkUploadPending) -> None:
        self._check_actor(request.actor)
        with domain_rules():
            check_signable(self._s.status, self._s.completed)

    @workflow.update
    async def attach_upload(self, request: AttachUpload) -> RoiStatus:
        if self._s.status is RoiState.SIGNED:  # a replacement scan: the signature stands
            self._s.attachment_id = await reraise_business(workflow.execute_activity_method(
                RoiActivitiesContract.record_roi_attachment, RecordAttachment(self._s.roi_id, self._key(), request),
                **self._db_step()))
            return self._view()
        self._s.attachment_id = await self._sign(SignatureMethod.UPLOAD, lambda now, expires_on: RecordSignature(
            self._s.roi_id, self._key(), request.actor, SignatureMethod.UPLOAD, now, expires_on, upload=request))
        return self._view()

    @attach_upload.validator
    def _validate_attach_upload(self, request: AttachUpload) -> None:
        self._check_actor(request.actor)
        if len(request.sha256) != 64 or request.size_bytes <= 0:
            raise business_failure(ValidationFailed(
                "The uploaded file was not received completely; upload it again.",
                code="upload_incomplete", field="file"))
        if self._s.status is RoiState.SIGNED:
            if self._s.method is not SignatureMethod.UPLOAD:
                method = self._s.method.label.lower() if self._s.method else "another method"
                raise business_failure(InvalidTransition(
                    f"This ROI was signed by {method}; there is no scan to replace.",
                    code="roi_not_uploaded"))
            return
        with domain_rules():
            check_signable(self._s.status, self._s.completed)

    @workflow.update
    async def delete_attachment(self, request: DeleteAttachment) -> RoiStatus:
        def change() -> None:
            self._move(RoiState.AWAITING_SIGNATURE)  # without its scan the ROI is not signed
            self._s.signed_at = None
            self._s.expires_on = None
            self._s.signature_version += 1
            self._s.attachment_id = None

        await self._transition(change, workflow.execute_activity_method(
            RoiActivitiesContract.record_roi_attachment_deleted,
            RecordAttachmentDeleted(self._s.roi_id, self._key(), request.actor, request.attachment_id,
                                    workflow.now()),
            **self._db_step()))
        return self._view()

    @delete_attachment.validator
    def _validate_delete_attachment(self, request: DeleteAttachment) -> None:
        self._check_actor(request.actor)
        with domain_rules():
            check_signature_withdrawal(self._s.status, self._s.method)
        if request.attachment_id != self._s.attachment_id:
            raise business_failure(NotFound(
                "That file is not this ROI's current scan.",
                code="attachment_not_found"))

    # --- revoke and abandon -----------------------------------------------------------------------

    @workflow.update
    async def revoke(self, request: RevokeRoi) -> RoiStatus:
        now = workflow.now()
        outbox_ids: list[int] = []

        def change() -> None:
            self._move(RoiState.REVOKED)
            self._s.revoked_at = now

        async def step() -> None:
            outbox_ids.extend(await workflow.execute_activity_method(
                RoiActivitiesContract.record_roi_revocation,
                RecordRevocation(self._s.roi_id, self._key(), request.actor, " ".join(request.reason.split()), now),
                **self._db_step()))
            if workflow.patched("roi-revoke-tells-referrals"):
                await workflow.execute_activity_method(ReferralActivitiesContract.tell_referrals_roi_revoked,
                                                       RoiRevoked(self._s.roi_id), **DB_ACTIVITY)

        await self._transition(change, step())
        self._deliver_later(outbox_ids)
        return self._view()

    @revoke.validator
    def _validate_revoke(self, request: RevokeRoi) -> None:
        self._check_actor(request.actor)
        with domain_rules():
            check_roi_transition(self._s.status, RoiState.REVOKED)
        if not request.reason.strip():
            raise business_failure(ValidationFailed(
                "Record why the ROI is revoked (for example 'client asked by phone').",
                code="revoke_reason_missing", field="reason"))

    @workflow.update
    async def abandon(self, request: AbandonRoi) -> RoiStatus:
        def change() -> None:
            self._move(RoiState.ABANDONED)
            self._retire_code()

        await self._transition(change, workflow.execute_activity_method(
            RoiActivitiesContract.record_roi_abandoned,
            RecordAbandoned(self._s.roi_id, self._key(), request.actor, workflow.now()), **self._db_step()))
        return self._view()

    @abandon.validator
    def _validate_abandon(self, request: AbandonRoi) -> None:
        self._check_actor(request.actor)
        with domain_rules():
            check_roi_transition(self._s.status, RoiState.ABANDONED)

    @workflow.query
    def state(self) -> RoiStatus:
        return self._view()
