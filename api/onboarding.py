"""Where a signed-in person must go before anything else: the guide's first-login steps in order
(change the initial password, sign the user MOU, choose the agency profile)."""

from __future__ import annotations

from datetime import date

from domain.mou import is_mou_valid
from models.accounts import User


def next_step(user: User, program_id: int | None, today: date) -> str | None:
    if user.must_change_password:
        return "/password/change"
    if not is_mou_valid(user.mou_expires_on, today):
        return "/mou"
    if program_id is None and user.memberships:
        return "/profile"
    return None
