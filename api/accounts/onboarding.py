"""Where a signed-in person must go before anything else: the guide's first-login steps in order
(change the initial password, sign the user MOU, choose the agency profile), then, at sign-in, the
agency MOU a gatekeeper is asked to sign."""

from __future__ import annotations

from datetime import date

from domain.mou import is_mou_valid
from models.accounts.tables import User


def next_step(user: User, program_id: int | None, today: date) -> str | None:
    if user.must_change_password:
        return "/password/change"
    if not is_mou_valid(user.mou_expires_on, today):
        return "/mou"
    if program_id is None and user.memberships:
        return "/profile"
    return None


def agency_mou_prompt(user: User, today: date) -> str | None:
    """The agency MOU page a gatekeeper is sent to at sign-in while a program they keep has no
    valid agency MOU (never signed, or lapsed): the guide prompts them to sign it. It is a prompt,
    not a gate: they may leave it for later."""
    unsigned = [m.program_id for m in user.memberships
                if m.is_gatekeeper and not is_mou_valid(m.program.mou_expires_on, today)]
    if not unsigned:
        return None
    return f"/agency/mou/{unsigned[0]}?prompt=1" if len(unsigned) == 1 else "/agency/mou?prompt=1"


def sign_in_step(user: User, program_id: int | None, today: date) -> str | None:
    """Where signing in leads: the first-login steps, then the agency MOU prompt."""
    return next_step(user, program_id, today) or agency_mou_prompt(user, today)
