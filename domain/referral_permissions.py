"""Who may do what to a referral (docs/rules.md, "People and what they may do").

One table answers for the API, the pages (which buttons to show) and the referral workflow's
update validators. The caller states the facts (who is acting, as which program, in which
roles; who sent the referral and who holds it); these functions only decide.

Whether a person may *see* a referral is a query (models.referrals.queries.visible_referrals):
lists need it as SQL. What they may *do* once they see it is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import NotAllowed, ValidationFailed
from domain.referral_status import ReferralAction

__all__ = [
    "Acting",
    "Parties",
    "Side",
    "check_assignee",
    "check_permission",
    "may",
    "side_of",
]


@dataclass(frozen=True)
class Acting:
    """The person acting and the program they act as, with their roles in that program."""

    user_id: int
    program_id: int
    is_gatekeeper: bool = False
    is_provider: bool = False


@dataclass(frozen=True)
class Parties:
    """Who is on each end of a referral."""

    sending_program_id: int
    receiving_program_id: int
    sender_user_id: int
    assignee_id: int | None = None


class Side(StrEnum):
    SENDING = "sending"
    RECEIVING = "receiving"


A = ReferralAction
Rule = Callable[[Acting, Parties], bool]


def _sender_or_gatekeeper(who: Acting, p: Parties) -> bool:
    return who.user_id == p.sender_user_id or who.is_gatekeeper


def _gatekeeper(who: Acting, _p: Parties) -> bool:
    return who.is_gatekeeper


def _gatekeeper_or_assignee(who: Acting, p: Parties) -> bool:
    return who.is_gatekeeper or (p.assignee_id is not None and who.user_id == p.assignee_id)


# action -> (the side whose program must be the acting program, who on that side may do it).
RULES: dict[ReferralAction, tuple[Side, Rule, str]] = {
    A.SAVE: (Side.SENDING, _sender_or_gatekeeper,
             "Only the person who started this referral, or a gatekeeper of the sending program, can edit it."),
    A.SEND: (Side.SENDING, _sender_or_gatekeeper,
             "Only the person who started this referral, or a gatekeeper of the sending program, can send it."),
    A.WITHDRAW: (Side.SENDING, _sender_or_gatekeeper,
                 "Only the sender, or a gatekeeper of the sending program, can withdraw this referral."),
    A.ASSIGN: (Side.RECEIVING, _gatekeeper,
               "Only a gatekeeper of the receiving program can assign a referral to a provider."),
    A.REASSIGN: (Side.RECEIVING, _gatekeeper_or_assignee,
                 "Only a gatekeeper of the receiving program, or the provider it is assigned to, can reassign it."),
    A.DECLINE: (Side.RECEIVING, _gatekeeper,
                "Only a gatekeeper of the receiving program can decline a referral."),
    A.UPDATE_STATUS: (Side.RECEIVING, _gatekeeper_or_assignee,
                      "Only the provider this referral is assigned to, or a gatekeeper of the receiving program, "
                      "can update its status."),
    A.ADD_PROGRESS: (Side.RECEIVING, _gatekeeper_or_assignee,
                     "Only the provider this referral is assigned to, or a gatekeeper of the receiving program, "
                     "can add progress."),
    A.ADD_NOTE: (Side.RECEIVING, _gatekeeper_or_assignee,
                 "Only the provider this referral is assigned to, or a gatekeeper of the receiving program, "
                 "can add notes."),
    A.REOPEN: (Side.RECEIVING, _gatekeeper,
               "Only a gatekeeper of the receiving program can reopen a closed referral."),
}


def side_of(action: ReferralAction) -> Side:
    """Which end of the referral does ``action``."""
    return RULES[ReferralAction(action)][0]


def check_permission(action: ReferralAction, who: Acting, parties: Parties) -> None:
    """Raise NotAllowed, with the reason, unless ``who`` may do ``action`` to the referral.

    The person must act as the program on the action's side (a provider of two programs acts as
    one at a time) and hold the role the action needs there.
    """
    side, rule, refusal = RULES[ReferralAction(action)]
    program_id = parties.sending_program_id if side is Side.SENDING else parties.receiving_program_id
    if who.program_id != program_id:
        where = "sending" if side is Side.SENDING else "receiving"
        raise NotAllowed(
            f"You are not acting as the {where} program of this referral. Change your agency "
            "profile to that program to do this.",
            code="wrong_program",
        )
    if not rule(who, parties):
        raise NotAllowed(refusal, code=f"may_not_{ReferralAction(action)}")


def may(action: ReferralAction, who: Acting, parties: Parties) -> bool:
    """Whether ``who`` may do ``action`` (for showing or hiding a button)."""
    try:
        check_permission(action, who, parties)
    except NotAllowed:
        return False
    return True


def check_assignee(
    receiving_program_id: int, candidate_program_ids: Collection[int], program_name: str = "this program"
) -> None:
    """A referral goes to exactly one person of the receiving program (a provider, or a gatekeeper
    taking it themselves). ``candidate_program_ids`` are the programs the candidate belongs to."""
    if receiving_program_id not in candidate_program_ids:
        raise ValidationFailed(
            f"That person is not a provider of {program_name}. Choose someone from the program's list; "
            "your designated administrator can add providers.",
            field="provider_id",
            code="provider_outside_program",
        )
