"""How referrals read on pages: Montana times and the guide's labels, as Jinja filters and globals."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment

from domain.referral_status import ContactMethod, ContactOutcome, ReferralState, ServiceStatus
from models.referral_queries import LOCAL


def local_time(moment: datetime | None) -> str:
    """11/25/2026 3:10 PM, Montana time."""
    if moment is None:
        return ""
    local = moment.astimezone(LOCAL)
    return f"{local:%m/%d/%Y} {local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def install(env: Environment) -> None:
    env.filters["local_time"] = local_time
    env.globals.update(
        state_label=lambda state: ReferralState(state).label,
        status_help=lambda status: ServiceStatus(status).help_text,
        method_label=lambda method: ContactMethod(method).label,
        outcome_label=lambda outcome: ContactOutcome(outcome).label,
    )
