import pytest

from domain.accounts import Account, AdminScope, Role, check_regions, require_some_role
from domain.errors import NotAllowed, ValidationFailed

STATE = AdminScope.of(True, ())
WEST = AdminScope.of(False, (4, 5))


def account(*regions: int, admin: bool = False, user_id: int = 7) -> Account:
    return Account(user_id, frozenset(regions), admin)


@pytest.mark.parametrize(
    ("gatekeeper", "provider", "role"),
    [(True, True, Role.BOTH), (True, False, Role.GATEKEEPER), (False, True, Role.PROVIDER)],
)
def test_role_round_trips_the_membership_flags(gatekeeper, provider, role):
    assert Role.of(gatekeeper, provider) is role
    assert (role.is_gatekeeper, role.is_provider) == (gatekeeper, provider)


@pytest.mark.parametrize(
    ("scope", "region", "covered"),
    [(STATE, 1, True), (WEST, 4, True), (WEST, 5, True), (WEST, 1, False), (AdminScope.of(False, ()), 4, False)],
)
def test_covers_region(scope, region, covered):
    assert scope.covers(region) is covered
    if not covered:
        with pytest.raises(NotAllowed, match="region"):
            scope.require_region(region)


def test_region_numbers_offered():
    assert STATE.region_numbers == (1, 2, 3, 4, 5)
    assert WEST.region_numbers == (4, 5)


@pytest.mark.parametrize(
    ("target", "sees"),
    [(account(4), True), (account(1, 5), True), (account(1), False), (account(), False)],
)
def test_designated_admin_sees_people_with_a_role_in_their_regions(target, sees):
    assert WEST.may_see(target) is sees
    assert STATE.may_see(target)


def test_only_the_state_team_edits_administrators():
    with pytest.raises(NotAllowed, match="state team"):
        WEST.require_may_edit(account(4, admin=True))
    STATE.require_may_edit(account(4, admin=True))
    WEST.require_may_edit(account(4))


@pytest.mark.parametrize(
    ("scope", "target", "reason"),
    [
        (WEST, account(4, 1), "also works in programs of regions you do not manage"),
        (WEST, account(1), "no role in a program of your regions"),
        (WEST, account(4, admin=True), "state team"),
        (STATE, account(4, user_id=1), "your own account"),
    ],
)
def test_deactivation_refusals(scope, target, reason):
    with pytest.raises(NotAllowed, match=reason):
        scope.require_may_deactivate(target, actor_user_id=1)


@pytest.mark.parametrize(("scope", "target"), [(WEST, account(4, 5)), (STATE, account(1, 4))])
def test_deactivation_allowed(scope, target):
    scope.require_may_deactivate(target, actor_user_id=1)


@pytest.mark.parametrize(
    ("scope", "target", "manages"),
    [
        (WEST, account(4), True),
        (WEST, account(4, 5), True),
        (WEST, account(4, 1), False),  # one shared region is not enough to take the account
        (WEST, account(1), False),
        (WEST, account(), False),
        (WEST, account(4, admin=True), False),
        (STATE, account(1, 4), True),
        (STATE, account(4, admin=True), True),
    ],
)
def test_the_whole_account_needs_every_region_the_person_works_in(scope, target, manages):
    assert scope.may_manage_account(target) is manages
    if manages:
        scope.require_may_manage_account(target, "change the email")
    else:
        with pytest.raises(NotAllowed):
            scope.require_may_manage_account(target, "change the email")


def test_granting_admin_roles_is_for_the_state_team():
    STATE.require_may_grant_admin()
    with pytest.raises(NotAllowed, match="Only the state team"):
        WEST.require_may_grant_admin()


@pytest.mark.parametrize(("regions", "allowed"), [((4,), True), ((4, 5), True), ((4, 2), False), ((), True)])
def test_renaming_an_agency_needs_all_its_regions(regions, allowed):
    if allowed:
        WEST.require_may_rename_agency(regions)
    else:
        with pytest.raises(NotAllowed, match=r"regions you do not manage \(2\)"):
            WEST.require_may_rename_agency(regions)
    STATE.require_may_rename_agency(regions)


@pytest.mark.parametrize(("memberships", "admin", "ok"), [(0, False, False), (1, False, True), (0, True, True)])
def test_a_person_needs_some_role(memberships, admin, ok):
    if ok:
        require_some_role(memberships, admin)
    else:
        with pytest.raises(ValidationFailed, match="at least one program"):
            require_some_role(memberships, admin)


def test_check_regions():
    assert check_regions([1, 5, 5]) == frozenset({1, 5})
    with pytest.raises(ValidationFailed, match="no region 6"):
        check_regions([6])


def test_giving_a_role_needs_the_program_region_only():
    WEST.require_may_give_role(account(1), 4)  # someone from region 1 starts working in region 4
    with pytest.raises(NotAllowed, match="region 1 is not one of them"):
        WEST.require_may_give_role(account(4), 1)
    with pytest.raises(NotAllowed, match="state team"):
        WEST.require_may_give_role(account(4, admin=True), 4)
