"""How referrals read on pages: Montana times and the guide's labels, as Jinja filters and globals."""

from __future__ import annotations

from jinja2 import Environment

from domain.referral_status import ContactMethod, ContactOutcome, ReferralState, ServiceStatus


def install(env: Environment) -> None:
    env.globals.update(
        state_label=lambda state: ReferralState(state).label,
        status_help=lambda status: ServiceStatus(status).help_text,
        method_label=lambda method: ContactMethod(method).label,
        outcome_label=lambda outcome: ContactOutcome(outcome).label,
    )
