import pytest

from domain.errors import NotAllowed, ValidationFailed
from domain.referral_permissions import (
    Acting,
    Parties,
    Side,
    check_assignee,
    check_permission,
    may,
    side_of,
)
from domain.referral_status import ReferralAction

A = ReferralAction
SENDING, RECEIVING = 10, 20
SENDER, GATEKEEPER, PROVIDER, OTHER_PROVIDER, SENDING_GK = 1, 2, 3, 4, 5
PARTIES = Parties(SENDING, RECEIVING, SENDER, assignee_id=PROVIDER)

sender = Acting(SENDER, SENDING, is_provider=True)
sending_gk = Acting(SENDING_GK, SENDING, is_gatekeeper=True)
gatekeeper = Acting(GATEKEEPER, RECEIVING, is_gatekeeper=True)
assignee = Acting(PROVIDER, RECEIVING, is_provider=True)
colleague = Acting(OTHER_PROVIDER, RECEIVING, is_provider=True)
sender_elsewhere = Acting(SENDER, 99, is_provider=True, is_gatekeeper=True)

# The permissions of docs/rules.md ("Who may do what"), row by row, for the people around one referral.
TABLE = [
    (A.SAVE, {sender, sending_gk}),
    (A.SEND, {sender, sending_gk}),
    (A.WITHDRAW, {sender, sending_gk}),
    (A.ASSIGN, {gatekeeper}),
    (A.REASSIGN, {gatekeeper, assignee}),
    (A.DECLINE, {gatekeeper}),
    (A.UPDATE_STATUS, {gatekeeper, assignee}),
    (A.ADD_PROGRESS, {gatekeeper, assignee}),
    (A.ADD_NOTE, {gatekeeper, assignee}),
    (A.REOPEN, {gatekeeper}),
]
EVERYONE = [sender, sending_gk, gatekeeper, assignee, colleague, sender_elsewhere]


def test_every_action_has_a_rule():
    assert {action for action, _ in TABLE} == set(ReferralAction)


@pytest.mark.parametrize(("action", "allowed"), TABLE)
@pytest.mark.parametrize("who", EVERYONE)
def test_permission_table(action, allowed, who):
    assert may(action, who, PARTIES) is (who in allowed)
    if who not in allowed:
        with pytest.raises(NotAllowed) as caught:
            check_permission(action, who, PARTIES)
        assert caught.value.reason


def test_acting_as_another_program_is_refused_with_a_hint():
    with pytest.raises(NotAllowed, match="Change your agency profile") as caught:
        check_permission(A.SEND, sender_elsewhere, PARTIES)
    assert caught.value.code == "wrong_program"


def test_a_provider_may_not_assign_even_in_their_program():
    with pytest.raises(NotAllowed, match="Only a gatekeeper"):
        check_permission(A.ASSIGN, assignee, PARTIES)


def test_internal_referral_both_sides_are_the_same_program():
    internal = Parties(SENDING, SENDING, SENDER)
    assert may(A.SEND, sender, internal) and may(A.ASSIGN, sending_gk, internal)
    assert not may(A.ASSIGN, sender, internal)


@pytest.mark.parametrize(("action", "side"), [(A.SEND, Side.SENDING), (A.ASSIGN, Side.RECEIVING),
                                              (A.WITHDRAW, Side.SENDING), (A.REOPEN, Side.RECEIVING)])
def test_side_of(action, side):
    assert side_of(action) is side


def test_assignee_must_belong_to_the_receiving_program():
    check_assignee(RECEIVING, [RECEIVING, 7])
    with pytest.raises(ValidationFailed) as caught:
        check_assignee(RECEIVING, [7], "PureView")
    assert caught.value.field == "provider_id" and "not a provider of PureView" in caught.value.reason
