"""Builds every activity the worker runs, from the clients they need."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from activities.messaging import MessagingActivities
from activities.mou import MouActivities
from activities.recovery import RecoveryActivities
from activities.referrals import ReferralActivities
from activities.reports import ReportActivities
from activities.roi import RoiActivities
from connect.mailer import EmailSender
from connect.settings import Settings
from connect.sms import SmsSender


def build_activities(
    settings: Settings,
    session_factory: sessionmaker[Session],
    email: EmailSender,
    sms: SmsSender,
) -> list[Callable]:
    messaging = MessagingActivities(session_factory, email, sms)
    mou = MouActivities(session_factory, settings)
    referrals = ReferralActivities(session_factory, settings)
    roi = RoiActivities(session_factory, settings, sms.from_number)
    reports = ReportActivities(session_factory)
    recovery = RecoveryActivities(session_factory, settings)
    return [
        messaging.deliver_message, messaging.claim_held, mou.record_mou_signature, mou.mou_notice,
        referrals.apply_referral_change, referrals.referral_timer_fired, referrals.referral_roi_revoked,
        referrals.tell_referrals_roi_revoked,
        roi.record_roi_programs, roi.record_roi_completion, roi.record_roi_signature_started,
        roi.issue_roi_sms_code, roi.record_roi_code_attempt, roi.record_roi_signature,
        roi.record_roi_attachment, roi.record_roi_attachment_deleted, roi.record_roi_revocation,
        roi.record_roi_abandoned, roi.roi_notice,
        reports.summarise_closed_loop, recovery.recover_stranded,
    ]
