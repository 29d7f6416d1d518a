"""People, their memberships in programs, their sessions, tokens and the user MOU."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    # Hashes of the last few passwords (domain.accounts.PASSWORD_HISTORY), to refuse reuse.
    previous_password_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_state_team: Mapped[bool] = mapped_column(Boolean, default=False)
    # The account a machine client (models.accounts.api_clients) acts through: no password, never signs in,
    # not listed among people.
    is_service_account: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Projection of the user MOU workflow.
    mou_expires_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    admin_regions: Mapped[list["AdminRegion"]] = relationship(cascade="all, delete-orphan")

    @property
    def region_numbers(self) -> set[int]:
        return {r.region for r in self.admin_regions}

    @property
    def is_admin(self) -> bool:
        return self.is_state_team or bool(self.admin_regions)


class AdminRegion(Base):
    """A region a designated administrator manages."""

    __tablename__ = "admin_region"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[int] = mapped_column(Integer, primary_key=True)


class Membership(Base):
    """A person's roles in one program: gatekeeper, provider, or both."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "program_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    is_gatekeeper: Mapped[bool] = mapped_column(Boolean, default=False)
    is_provider: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User] = relationship(back_populates="memberships")
    program: Mapped["Program"] = relationship()  # noqa: F821


class UserMou(Base):
    """One signature of the user MOU (kept for every year)."""

    __tablename__ = "user_mou"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    signed_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    expires_on: Mapped[date]


class WebSession(Base):
    """A browser session; the cookie carries a random token, we keep only its hash."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class ApiToken(Base):
    """A personal API token; the secret is shown once and stored only as a hash."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Chosen when the token is made (domain.accounts.check_token_lifetime); refused after it.
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PasswordResetToken(Base):
    """A single-use link to set a password: "Forgot Password", or a new account's first one."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10), default="reset")  # reset | invite
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginFailure(Base):
    """Failed sign-in attempts, by account and by address, for throttling."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleInvitation(Base):
    """A role an administrator offered to a person outside their regions (found by email). The
    person accepts or declines it on their profile page: adding a role by email must not hand an
    account that works elsewhere to the administrator who typed its address."""

    __tablename__ = "role_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"))
    is_gatekeeper: Mapped[bool] = mapped_column(Boolean, default=False)
    is_provider: Mapped[bool] = mapped_column(Boolean, default=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    accepted: Mapped[bool | None]

    program: Mapped["Program"] = relationship()  # noqa: F821
