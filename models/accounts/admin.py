"""Administration of people: accounts, their roles in programs, administrator regions, and
deactivation. Queries are scoped to an administrator's regions; commands check the scope first,
write nothing when they refuse, and record an audit event. No web framework here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import Session, selectinload

from domain.accounts import (
    INVITE_TOKEN_TTL,
    Account,
    AdminScope,
    Role,
    check_regions,
    require_some_role,
)
from domain.errors import NotAllowed, NotFound, ValidationFailed
from domain.referral_status import ReferralState
from models import audit
from models.accounts.tables import AdminRegion, Membership, PasswordResetToken, RoleInvitation, User, WebSession
from models.agencies.tables import Program
from models.paging import matches_text
from models.referrals.tables import Referral
from models.accounts.sessions import end_all_sessions, revoke_all_tokens

MAX_EMAIL = 254


@dataclass(frozen=True)
class RoleIn:
    """A role to give: in which program, as what."""

    program_id: int | None
    role: Role


def account_of(user: User) -> Account:
    return Account(user.id, frozenset(m.program.region for m in user.memberships), user.is_admin)


def scope_of(user: User) -> AdminScope:
    return AdminScope.of(user.is_state_team, user.region_numbers)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(db: Session, email: str) -> User | None:
    # A service account never signs in nor resets a password, so it is nobody's email here.
    return db.scalar(select(User).where(User.email == normalize_email(email), User.is_service_account.is_(False)))


# ---------------------------------------------------------------- queries


def users_query(scope: AdminScope, text: str = "", *, program_id: int | None = None,
                active: bool | None = None) -> Select[tuple[User]]:
    """People the administrator sees (`AdminScope.may_see`), by name; ``text`` searches names and
    emails."""
    stmt = select(User).options(selectinload(User.memberships).selectinload(Membership.program)
                                .selectinload(Program.agency), selectinload(User.admin_regions))
    stmt = stmt.where(User.is_service_account.is_(False))  # machine clients have their own page
    if not scope.state_team:
        stmt = stmt.where(exists(
            select(Membership.id).join(Program)
            .where(Membership.user_id == User.id, Program.region.in_(scope.regions))))
    if (found := matches_text(text, User.full_name, User.email)) is not None:
        stmt = stmt.where(found)
    if program_id is not None:
        stmt = stmt.where(exists(select(Membership.id).where(
            Membership.user_id == User.id, Membership.program_id == program_id)))
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    return stmt.order_by(User.full_name, User.id)


def open_assignments(db: Session, user_id: int) -> dict[int, int]:
    """Open referrals assigned to the person, counted per receiving program."""
    rows = db.execute(
        select(Referral.receiving_program_id, func.count())
        .where(Referral.assigned_provider_id == user_id,
               Referral.state == ReferralState.ASSIGNED.value)
        .group_by(Referral.receiving_program_id)
    ).all()
    return {pid: n for pid, n in rows}


# ---------------------------------------------------------------- commands


def _check_email(db: Session, email: str, user_id: int | None = None) -> str:
    email = normalize_email(email)
    if not email or "@" not in email.strip("@") or len(email) > MAX_EMAIL or " " in email:
        raise ValidationFailed("Give a valid email address, such as name@agency.org.", field="email")
    clash = db.scalar(select(User.id).where(User.email == email))
    if clash is not None and clash != user_id:
        raise ValidationFailed(f"A CONNECT account uses {email} already; each person has one "
                               "account, and an administrator can add roles to it.",
                               field="email", code="duplicate_email")
    return email


def _check_name(full_name: str) -> str:
    name = " ".join((full_name or "").split())
    if len(name) < 2:
        raise ValidationFailed("Give the person's full name.", field="full_name")
    if len(name) > 200:
        raise ValidationFailed("Keep the name under 200 characters.", field="full_name")
    return name


def _programs_in_scope(db: Session, scope: AdminScope, roles: Sequence[RoleIn]) -> dict[int, Program]:
    programs: dict[int, Program] = {}
    for r in roles:
        if not r.program_id:
            raise ValidationFailed("Choose the agency — program.", field="program_id")
        if r.program_id in programs:
            raise ValidationFailed("Give each program one role (gatekeeper, provider, or both).",
                                   field="program_id", code="duplicate_program")
        program = db.get(Program, r.program_id)
        if program is None:
            raise ValidationFailed(f"There is no program {r.program_id}; choose one from the list.",
                                   field="program_id", code="unknown_program")
        scope.require_region(program.region)
        programs[program.id] = program
    return programs


def create_user(db: Session, scope: AdminScope, by: int, *, email: str, full_name: str,
                roles: Sequence[RoleIn] = (), admin_regions: Sequence[int] = (),
                state_team: bool = False) -> User:
    """A new account with no password yet: the caller sends a set-password link or an initial
    password, and the first sign-in asks for a new one."""
    email = _check_email(db, email)
    name, regions, programs = _check_new_account(db, scope, full_name, roles, admin_regions, state_team)
    user = User(email=email, full_name=name, password_hash="", must_change_password=True,
                is_state_team=state_team)
    user.memberships = [Membership(program=programs[r.program_id], is_gatekeeper=r.role.is_gatekeeper,
                                   is_provider=r.role.is_provider) for r in roles]
    user.admin_regions = [AdminRegion(region=r) for r in sorted(regions)]
    db.add(user)
    db.flush()
    audit.record(db, action="user.created", entity_type="user", entity_id=user.id, user_id=by,
                 programs=sorted(programs), admin_regions=sorted(regions), state_team=state_team)
    return user


def _check_new_account(db: Session, scope: AdminScope, full_name: str, roles: Sequence[RoleIn],
                       admin_regions: Sequence[int], state_team: bool) -> tuple[str, set[int], dict]:
    name = _check_name(full_name)
    regions = check_regions(admin_regions)
    if regions or state_team:
        scope.require_may_grant_admin()
    programs = _programs_in_scope(db, scope, roles)
    require_some_role(len(programs), bool(regions) or state_team)
    return name, regions, programs


def create_or_invite(db: Session, scope: AdminScope, by: int, *, email: str, full_name: str,
                     roles: Sequence[RoleIn], admin_regions: Sequence[int], state_team: bool,
                     now: datetime) -> tuple[User | None, list[RoleInvitation]]:
    """Creates the account (returned), unless the email belongs to someone the administrator may
    not see: then, after the same checks, its owner is invited to each role (`give_role_by_email`)
    and the caller answers as it does for a new account, so the form cannot be used to find
    accounts outside one's regions."""
    existing = find_by_email(db, email) if normalize_email(email) else None
    if existing is None or scope.may_see(account_of(existing)):
        return create_user(db, scope, by, email=email, full_name=full_name, roles=roles,
                           admin_regions=admin_regions, state_team=state_team), []
    _check_new_account(db, scope, full_name, roles, admin_regions, state_team)
    invitations = [give_role_by_email(db, scope, by, email, role, now)[1] for role in roles]
    return None, [i for i in invitations if i is not None]


def update_user(db: Session, scope: AdminScope, by: int, user: User, *, email: str,
                full_name: str, now: datetime) -> str | None:
    """Changes name and email; returns the old email when it changed, so the caller tells the
    old address. The email is how the account is reached (password links go there), so changing
    it needs rights over every region the person works in, and ends the links already sent."""
    scope.require_may_edit(account_of(user))
    email = _check_email(db, email, user.id)
    name = _check_name(full_name)
    changed = [k for k, old, new in (("email", user.email, email), ("full_name", user.full_name, name))
               if old != new]
    old_email = user.email if "email" in changed else None
    if old_email is not None:
        scope.require_may_manage_account(account_of(user), "change the email")
        void_password_links(db, user.id, now)
    if changed:
        user.email, user.full_name = email, name
        audit.record(db, action="user.updated", entity_type="user", entity_id=user.id, user_id=by,
                     fields=changed)
    return old_email


def void_password_links(db: Session, user_id: int, now: datetime) -> None:
    """Unused set-password and reset links of the person stop working."""
    db.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user_id,
                                                PasswordResetToken.used_at.is_(None))
               .values(used_at=now))


def set_role(db: Session, scope: AdminScope, by: int, user: User, role: RoleIn) -> Membership:
    """Gives the person ``role`` in its program, adding the membership or changing it."""
    program = _programs_in_scope(db, scope, [role])[role.program_id]
    scope.require_may_give_role(account_of(user), program.region)
    if not user.is_active:
        raise ValidationFailed("This account is deactivated; reactivate it first.",
                               code="inactive")
    membership = next((m for m in user.memberships if m.program_id == program.id), None)
    if membership is None:
        membership = Membership(program=program)
        user.memberships.append(membership)
    membership.is_gatekeeper = role.role.is_gatekeeper
    membership.is_provider = role.role.is_provider
    db.flush()
    audit.record(db, action="user.role_set", entity_type="user", entity_id=user.id, user_id=by,
                 program_id=program.id, role=role.role.value)
    return membership


def give_role_by_email(db: Session, scope: AdminScope, by: int, email: str, role: RoleIn,
                       now: datetime) -> tuple[User | None, RoleInvitation | None]:
    """Adds ``role`` to the account that uses ``email``: at once if the administrator sees the
    person already, else as an invitation the person accepts (`answer_invitation`).

    Returns (the person, None) when the role was given; otherwise (None, the invitation or None)
    and the caller answers alike whether an invitation was made or no account uses the email, so
    the route cannot be used to find accounts outside one's regions. Administrators and inactive
    accounts outside the scope get nothing: only the state team changes those."""
    program = _programs_in_scope(db, scope, [role])[role.program_id]
    if not normalize_email(email):
        raise ValidationFailed("Give the email of the person's CONNECT account.", field="email")
    user = find_by_email(db, email)
    if user is not None and scope.may_see(account_of(user)):
        set_role(db, scope, by, user, role)
        return user, None
    if user is None or user.is_admin or not user.is_active:
        return None, None
    invitation = db.scalar(select(RoleInvitation).where(
        RoleInvitation.user_id == user.id, RoleInvitation.program_id == program.id,
        RoleInvitation.answered_at.is_(None)))
    if invitation is None:
        invitation = RoleInvitation(user_id=user.id, program=program)
        db.add(invitation)
    invitation.is_gatekeeper, invitation.is_provider = role.role.is_gatekeeper, role.role.is_provider
    invitation.invited_by, invitation.created_at = by, now
    invitation.expires_at = now + INVITE_TOKEN_TTL
    db.flush()
    audit.record(db, action="user.role_offered", entity_type="user", entity_id=user.id, user_id=by,
                 program_id=program.id, role=role.role.value, invitation_id=invitation.id)
    return None, invitation


def pending_invitations(db: Session, user_id: int, now: datetime) -> list[RoleInvitation]:
    """Roles offered to the person and not yet answered nor expired, newest first."""
    return list(db.scalars(
        select(RoleInvitation).options(selectinload(RoleInvitation.program).selectinload(Program.agency))
        .where(RoleInvitation.user_id == user_id, RoleInvitation.answered_at.is_(None),
               RoleInvitation.expires_at > now)
        .order_by(RoleInvitation.created_at.desc(), RoleInvitation.id.desc())))


def answer_invitation(db: Session, user: User, invitation_id: int, accept: bool,
                      now: datetime) -> Membership | None:
    """The person accepts (the role is theirs) or declines an invitation made to them."""
    invitation = next((i for i in pending_invitations(db, user.id, now) if i.id == invitation_id), None)
    if invitation is None:
        raise NotFound("That invitation is not open: it was answered, it expired, or it was not for you.",
                       code="invitation_not_found")
    invitation.answered_at, invitation.accepted = now, accept
    membership = None
    if accept:
        if not invitation.program.is_active:
            raise ValidationFailed(f"{invitation.program.display_name} no longer uses CONNECT.",
                                   code="program_inactive")
        membership = next((m for m in user.memberships if m.program_id == invitation.program_id), None)
        if membership is None:
            membership = Membership(program=invitation.program)
            user.memberships.append(membership)
        membership.is_gatekeeper = invitation.is_gatekeeper
        membership.is_provider = invitation.is_provider
        db.flush()
    audit.record(db, action="user.role_accepted" if accept else "user.role_declined",
                 entity_type="user", entity_id=user.id, user_id=user.id,
                 program_id=invitation.program_id, invitation_id=invitation.id,
                 invited_by=invitation.invited_by)
    return membership


def remove_role(db: Session, scope: AdminScope, by: int, user: User, program_id: int,
                now: datetime) -> None:
    """Takes the person out of a program; sessions acting as it must choose another profile."""
    scope.require_may_edit(account_of(user))
    membership = next((m for m in user.memberships if m.program_id == program_id), None)
    if membership is None:
        raise ValidationFailed("The person has no role in that program.", field="program_id")
    scope.require_region(membership.program.region)
    require_some_role(len(user.memberships) - 1, user.is_admin)
    user.memberships.remove(membership)
    db.execute(update(WebSession).where(WebSession.user_id == user.id,
                                        WebSession.program_id == program_id,
                                        WebSession.ended_at.is_(None)).values(program_id=None))
    audit.record(db, action="user.role_removed", entity_type="user", entity_id=user.id, user_id=by,
                 program_id=program_id)


def set_admin_roles(db: Session, scope: AdminScope, by: int, user: User, *, state_team: bool,
                    regions: Sequence[int]) -> None:
    scope.require_may_grant_admin()
    wanted = check_regions(regions)
    if user.id == by and user.is_state_team and not state_team:
        raise NotAllowed("You cannot take yourself off the state team; ask another member.",
                         code="own_account")
    require_some_role(len(user.memberships), bool(wanted) or state_team)
    user.is_state_team = state_team
    user.admin_regions = [r for r in user.admin_regions if r.region in wanted] + [
        AdminRegion(region=r) for r in sorted(wanted - user.region_numbers)]
    audit.record(db, action="user.admin_roles_set", entity_type="user", entity_id=user.id,
                 user_id=by, state_team=state_team, admin_regions=sorted(wanted))


def deactivate(db: Session, scope: AdminScope, by: int, user: User, now: datetime) -> dict[int, int]:
    """Ends the person's access at once: sessions end, API tokens and password links are revoked.
    Nothing is deleted; their open referrals stay with the programs for reassignment.

    Returns the open assignments left behind, per program.
    """
    scope.require_may_deactivate(account_of(user), by)
    if not user.is_active:
        raise ValidationFailed("This account is deactivated already.", code="already_inactive")
    user.is_active = False
    user.deactivated_at = now
    end_all_sessions(db, user.id, now)
    revoke_all_tokens(db, user.id, now)
    void_password_links(db, user.id, now)
    left = open_assignments(db, user.id)
    audit.record(db, action="user.deactivated", entity_type="user", entity_id=user.id, user_id=by,
                 open_assignments=sum(left.values()))
    return left


def reactivate(db: Session, scope: AdminScope, by: int, user: User) -> None:
    """Gives a deactivated person their account back; they set a new password by link."""
    scope.require_may_manage_account(account_of(user), "reactivate the account")
    if user.is_active:
        raise ValidationFailed("This account is active already.", code="already_active")
    user.is_active = True
    user.deactivated_at = None
    user.must_change_password = True
    audit.record(db, action="user.reactivated", entity_type="user", entity_id=user.id, user_id=by)
