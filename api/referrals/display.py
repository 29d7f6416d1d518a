"""How referrals and clients read on pages: the guide's labels, the state colours and phones in words,
as Jinja globals."""

from __future__ import annotations

from jinja2 import Environment

from domain.phones import numbers_in_words, phone_in_words
from domain.referral_status import ContactMethod, ContactOutcome, ReferralState, ServiceStatus
from domain.roi import last_valid_day
from domain.state_tones import referral_look, roi_look
from domain.wording import counted


def install(env: Environment) -> None:
    env.globals.update(
        state_label=lambda state: ReferralState(state).label,
        referral_look=referral_look,
        roi_look=roi_look,
        last_valid_day=last_valid_day,
        phone_in_words=phone_in_words,
        numbers_in_words=numbers_in_words,
        counted=counted,
        status_help=lambda status: ServiceStatus(status).help_text,
        method_label=lambda method: ContactMethod(method).label,
        outcome_label=lambda outcome: ContactOutcome(outcome).label,
    )
