"""Accounts and administration: roles in a program, and what an administrator may manage.

Designated administrators manage the programs of the regions assigned to them and the people who
work in those programs; the state team manages everything statewide. The guide leaves the edges
open; we settle them here, in one place, so pages and API refuse the same things:

- A designated administrator sees a person who has a role in at least one program of their
  regions, and adds or removes roles only in programs of their regions.
- Only the state team makes someone an administrator (state team or designated administrator of
  regions) or changes the account of an administrator.
- What acts on the whole account — changing its email, sending it a set-password or reset link,
  reactivating or deactivating it — needs rights over every region the person works in: one
  shared region must not let an administrator take over an account that works elsewhere.
  Otherwise they remove the roles in their regions and the state team acts on the account.
- An administrator adds a role directly only to a person they already see; a person outside
  their regions (or an email no account uses) gets an invitation to accept instead, and the
  administrator's answer is the same either way, so adding a role by email reveals no account.
- Renaming an agency changes what every region sees, so a designated administrator may rename only
  an agency whose programs are all in their regions.
- Nobody deactivates their own account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from domain.errors import NotAllowed, ValidationFailed
from domain.montana import REGIONS
from domain.taxonomy import LabelledStrEnum

INVITE_TOKEN_TTL = timedelta(days=7)
"""How long the set-password link of a new account stays valid (a reset link lasts an hour)."""

PASSWORD_HISTORY = 4
"""A new password may not be the current one nor one of this many before it."""

API_TOKEN_DAYS_DEFAULT = 90
API_TOKEN_DAYS_MAX = 365
"""A personal API token works for the days chosen when it is made: 90 unless the owner picks
another number, at most a year, so a forgotten or leaked token stops working on its own."""


def api_token_lifetime(days: int | None) -> timedelta:
    """How long a new API token works, from the days asked for (None: the default)."""
    if days is None:
        days = API_TOKEN_DAYS_DEFAULT
    if not 1 <= days <= API_TOKEN_DAYS_MAX:
        raise ValidationFailed(
            f"Choose how many days the token works: 1 to {API_TOKEN_DAYS_MAX} "
            f"({API_TOKEN_DAYS_DEFAULT} if you leave it empty).",
            field="expires_in_days",
            code="token_lifetime",
        )
    return timedelta(days=days)


class Role(LabelledStrEnum):
    """A person's role in one program (the guide's two users; one person may be both)."""

    GATEKEEPER = ("gatekeeper", "Gatekeeper")
    PROVIDER = ("provider", "Provider")
    BOTH = ("both", "Gatekeeper and provider")

    @property
    def is_gatekeeper(self) -> bool:
        return self in (Role.GATEKEEPER, Role.BOTH)

    @property
    def is_provider(self) -> bool:
        return self in (Role.PROVIDER, Role.BOTH)

    @classmethod
    def of(cls, gatekeeper: bool, provider: bool) -> Role:
        """The role of a membership's two flags; a membership always has at least one."""
        if gatekeeper and provider:
            return cls.BOTH
        return cls.GATEKEEPER if gatekeeper else cls.PROVIDER


@dataclass(frozen=True)
class Account:
    """What the scope rules need to know about a person's account."""

    user_id: int
    membership_regions: frozenset[int]
    is_admin: bool


@dataclass(frozen=True)
class AdminScope:
    """What one administrator manages: everything (state team) or the programs of some regions."""

    state_team: bool
    regions: frozenset[int]

    @classmethod
    def of(cls, state_team: bool, regions: Iterable[int]) -> AdminScope:
        return cls(state_team, frozenset(regions))

    @property
    def region_numbers(self) -> tuple[int, ...]:
        """The regions this administrator may choose for a program, in order."""
        return tuple(sorted(REGIONS)) if self.state_team else tuple(sorted(self.regions))

    def covers(self, region: int) -> bool:
        return self.state_team or region in self.regions

    def require_region(self, region: int, what: str = "programs") -> None:
        """NotAllowed unless this administrator manages ``region``."""
        if not self.covers(region):
            raise NotAllowed(
                f"You manage {what} only in {self._describe()}; region {region} is not one of them.",
                code="outside_your_regions",
            )

    def may_see(self, account: Account) -> bool:
        return self.state_team or bool(account.membership_regions & self.regions)

    def require_may_see(self, account: Account) -> None:
        if not self.may_see(account):
            raise NotAllowed(
                "That person has no role in a program of your regions.", code="outside_your_regions"
            )

    def require_may_edit(self, account: Account) -> None:
        """Name, email and roles of a person; administrators are the state team's to change."""
        self.require_may_see(account)
        if account.is_admin and not self.state_team:
            raise NotAllowed(
                "Only the state team can change the account of an administrator.",
                code="state_team_only",
            )

    def require_may_give_role(self, account: Account, program_region: int) -> None:
        """Adding someone to a program of one's regions needs no other role of theirs in scope:
        a person may start working in a second region."""
        self.require_region(program_region)
        if account.is_admin and not self.state_team:
            raise NotAllowed(
                "Only the state team can change the account of an administrator.",
                code="state_team_only",
            )

    def may_manage_account(self, account: Account) -> bool:
        """Rights over the whole account: every region the person works in is one of ours."""
        if self.state_team:
            return True
        return (not account.is_admin and bool(account.membership_regions)
                and account.membership_regions <= self.regions)

    def require_may_manage_account(self, account: Account, action: str) -> None:
        """NotAllowed unless this administrator may ``action`` (e.g. "change the email") of the
        account: see the module docstring."""
        self.require_may_edit(account)
        if not self.may_manage_account(account):
            raise NotAllowed(
                "This person also works in programs of regions you do not manage, so only the "
                f"state team can {action}. Remove their roles in your regions instead, or ask the "
                "state team.",
                code="outside_your_regions",
            )

    def require_may_deactivate(self, account: Account, actor_user_id: int) -> None:
        if account.user_id == actor_user_id:
            raise NotAllowed("You cannot deactivate your own account.", code="own_account")
        self.require_may_manage_account(account, "deactivate the account")

    def require_may_grant_admin(self) -> None:
        if not self.state_team:
            raise NotAllowed(
                "Only the state team can make someone an administrator or change their regions.",
                code="state_team_only",
            )

    def require_may_rename_agency(self, program_regions: Iterable[int]) -> None:
        if self.state_team:
            return
        outside = sorted(set(program_regions) - self.regions)
        if outside:
            raise NotAllowed(
                "This agency has programs in regions you do not manage "
                f"({', '.join(map(str, outside))}); ask the state team to rename it.",
                code="outside_your_regions",
            )

    def _describe(self) -> str:
        numbers = sorted(self.regions)
        if not numbers:
            return "no region"
        return ("region " if len(numbers) == 1 else "regions ") + ", ".join(map(str, numbers))


def require_some_role(memberships: int, is_admin: bool) -> None:
    """A person needs a role in a program, or to be an administrator, to do anything in CONNECT."""
    if memberships == 0 and not is_admin:
        raise ValidationFailed(
            "Give the person a role (gatekeeper or provider) in at least one program, or make them "
            "an administrator.",
            field="program_id",
            code="no_role",
        )


def check_regions(regions: Iterable[int]) -> frozenset[int]:
    """The administrator regions given, each one of Montana's regions."""
    found = frozenset(regions)
    unknown = sorted(r for r in found if r not in REGIONS)
    if unknown:
        raise ValidationFailed(
            f"There is no region {unknown[0]}; Montana's regions are numbered 1 to 5.",
            field="admin_regions",
            code="unknown_region",
        )
    return found
