"""Builds every activity the worker runs, from the clients they need."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from activities.messaging import MessagingActivities
from activities.mou import MouActivities
from activities.referrals import ReferralActivities
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
    return [messaging.deliver_message, mou.record_mou_signature, mou.mou_notice,
            referrals.apply_referral_change, referrals.referral_timer_fired, referrals.referral_roi_revoked]
