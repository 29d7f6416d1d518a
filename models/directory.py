"""Which programs other programs can find and refer to: only those with a valid agency MOU.

The guide says both "Other agencies will be able to send referrals to your agency until your MOU
is signed" and "You will not be visible without a valid MOU"; we take the second as the rule
(issue 3). Every directory search starts from `visible_programs_query`, and every referral is
checked with `require_accepts_referrals`, so a lapsed program disappears and stops receiving
referrals on its expiry day without anyone writing a row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select

from domain.errors import NotAllowed
from domain.mou import is_mou_valid
from models.org import Program


def visible_programs_query(today: date) -> Select[tuple[Program]]:
    """Active programs whose agency MOU holds on ``today`` (local Montana date)."""
    return select(Program).where(Program.is_active, Program.mou_expires_on > today)


def accepts_referrals(program: Program, today: date) -> bool:
    return program.is_active and is_mou_valid(program.mou_expires_on, today)


def require_accepts_referrals(program: Program, today: date) -> None:
    """NotAllowed, with the reason, unless ``program`` can receive a referral on ``today``."""
    if not program.is_active:
        raise NotAllowed(f"{program.display_name} no longer uses CONNECT and cannot receive referrals.",
                         code="program_inactive")
    if not is_mou_valid(program.mou_expires_on, today):
        raise NotAllowed(
            f"{program.display_name} cannot receive referrals until its gatekeeper signs the agency "
            "MOU again.",
            code="agency_mou_lapsed",
        )
