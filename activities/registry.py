"""Builds every activity the worker runs, from the clients they need.

The activities are ``async`` on purpose, though most of their work is blocking database work:
that work runs on a thread (``asyncio.to_thread``, on the pool `worker.run_worker` gives the
worker's event loop), and the activity then goes on on the loop, where the worker's Temporal
client lives: it starts the webhook deliveries its transaction queued (``after_commit``) and
signals other workflows, and the heartbeat interceptor (activities.heartbeats) beats for it. A
plain sync activity on the worker's activity executor could do neither without a loop of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from activities.fhir import FhirSubscriptionActivities
from activities.messaging import MessagingActivities
from activities.mou import MouActivities
from activities.recovery import RecoveryActivities
from activities.referrals import ReferralActivities
from activities.reports import ReportActivities
from activities.roi import RoiActivities
from activities.webhooks import WebhookActivities
from connect.mailer import EmailSender
from connect.settings import Settings
from connect.sms import SmsSender
from connect.webhook_dispatch import WebhookDispatcher
from workflows.webhook_contracts import WebhookPolicy


def build_activities(
    settings: Settings,
    session_factory: sessionmaker[Session],
    email: EmailSender,
    sms: SmsSender,
    client: Client | None = None,
    webhook_policy: WebhookPolicy | None = None,
) -> list[Callable]:
    messaging = MessagingActivities(session_factory, email, sms)
    mou = MouActivities(session_factory, settings)
    webhooks = WebhookActivities(session_factory, WebhookDispatcher(
        client, session_factory, settings.temporal_task_queue, webhook_policy),
        allow_internal_addresses=settings.webhook_allow_internal_addresses)
    referrals = ReferralActivities(session_factory, settings, webhooks.after_commit)
    roi = RoiActivities(session_factory, settings, sms.from_number, webhooks.after_commit)
    reports = ReportActivities(session_factory)
    recovery = RecoveryActivities(session_factory, settings)
    fhir = FhirSubscriptionActivities(session_factory, settings)
    return [
        messaging.deliver_message, messaging.claim_held_messages, mou.record_mou_signature, mou.mou_notice,
        referrals.apply_referral_change, referrals.referral_timer_fired, referrals.referral_roi_revoked,
        referrals.tell_referrals_roi_revoked, referrals.referral_deadlines,
        roi.record_roi_programs, roi.record_roi_completion, roi.record_roi_signature_started,
        roi.issue_roi_sms_code, roi.record_roi_code_attempt, roi.record_roi_signature,
        roi.record_roi_attachment, roi.record_roi_attachment_deleted, roi.record_roi_revocation,
        roi.record_roi_abandoned, roi.roi_notice,
        reports.summarise_closed_loop, recovery.recover_stranded,
        webhooks.post_webhook, webhooks.dead_letter_webhook, webhooks.dispatch_webhooks,
        fhir.fhir_subscription_handshake, fhir.fhir_subscription_notify, fhir.fhir_subscription_heartbeat,
    ]
