"""Machine clients (OAuth 2.0 client credentials): registration, secrets, access tokens.

A client acts through its own service account (`User.is_service_account`): the account owns what
the client writes (a referral's sender, an audit row's user), so every existing record, audit view
and authorisation check names the client without a second kind of actor. The account has no
password and no membership row; the client's program and role are read from here.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from models.accounts.credentials import constant_time_equal, new_token, token_hash
from domain.accounts import AdminScope
from domain.api_clients import ACCESS_TOKEN_TTL, SecretWindow, clean_scopes, retirement_of
from domain.errors import ValidationFailed
from models.accounts.tables import User
from models.base import Base, utcnow
from models.agencies.tables import Program

CLIENT_ID_PREFIX = "cnc"
ACCESS_TOKEN_PREFIX = "cno"
SERVICE_EMAIL_DOMAIN = "api-clients.connect.invalid"
"""A reserved domain (RFC 2606): a service account's address can never receive mail."""


class ApiClient(Base):
    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), unique=True)
    scope: Mapped[str] = mapped_column(String(40))  # space-separated, as OAuth writes scopes
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_token_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    program: Mapped[Program] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    secrets: Mapped[list["ApiClientSecret"]] = relationship(
        back_populates="client", order_by="ApiClientSecret.id.desc()", cascade="all, delete-orphan")

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()

    def live_secrets(self, now: datetime) -> list["ApiClientSecret"]:
        return [s for s in self.secrets if s.window.valid_at(now)]


class ApiClientSecret(Base):
    """One secret of a client; only its hash is kept. A rotation adds one and retires the last."""

    __tablename__ = "api_client_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(8))  # the last characters, to tell secrets apart
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    client: Mapped[ApiClient] = relationship(back_populates="secrets")

    @property
    def window(self) -> SecretWindow:
        return SecretWindow(self.created_at, self.retired_at)


class ClientAccessToken(Base):
    """An opaque access token issued at the token endpoint, stored as a hash."""

    __tablename__ = "client_access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    client: Mapped[ApiClient] = relationship()


def _new_secret(client: ApiClient, now: datetime) -> str:
    secret = new_token(32)
    client.secrets.append(ApiClientSecret(secret_hash=token_hash(secret), hint=secret[-4:], created_at=now))
    return secret


def register_client(db: Session, *, program: Program, name: str, scopes: list[str] | str,
                    by: int, now: datetime) -> tuple[ApiClient, str]:
    """A new client of ``program`` with its service account; returns it and the secret (shown once)."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed('Name the client after the system that will use it, such as "Clinic EHR".',
                               field="name")
    if len(name) > 100:
        raise ValidationFailed("Keep the client's name under 100 characters.", field="name")
    client_id = f"{CLIENT_ID_PREFIX}_{secrets.token_hex(12)}"
    account = User(email=f"{client_id}@{SERVICE_EMAIL_DOMAIN}", full_name=f"{name} (API client)",
                   password_hash="", must_change_password=False, is_service_account=True, created_at=now)
    client = ApiClient(client_id=client_id, name=name, program=program, user=account,
                       scope=" ".join(clean_scopes(scopes)), created_by=by, created_at=now)
    db.add(client)
    return client, _new_secret(client, now)


def rotate_secret(client: ApiClient, now: datetime, *, at_once: bool) -> str:
    """A new secret; the live ones stop working at once or after the overlap."""
    for old in client.live_secrets(now):
        if old.retired_at is None or old.retired_at > retirement_of(now, at_once=at_once):
            old.retired_at = retirement_of(now, at_once=at_once)
    return _new_secret(client, now)


def revoke_client(db: Session, client: ApiClient, now: datetime) -> None:
    """Ends the client: its secrets and every access token stop working now."""
    client.revoked_at = now
    client.user.is_active = False
    for s in client.live_secrets(now):
        s.retired_at = now


def find_client(db: Session, client_id: str) -> ApiClient | None:
    return db.scalar(select(ApiClient).where(ApiClient.client_id == client_id))


def secret_matches(client: ApiClient, presented: str, now: datetime) -> bool:
    if client.revoked_at is not None or not presented:
        return False
    digest = token_hash(presented)
    # Compare with every live secret (at most two during an overlap), without stopping early.
    return any([constant_time_equal(digest, s.secret_hash) for s in client.live_secrets(now)])


def issue_access_token(db: Session, client: ApiClient, scope: str, now: datetime) -> tuple[str, int]:
    """A new opaque access token; returns it and its lifetime in seconds."""
    token = f"{ACCESS_TOKEN_PREFIX}_{new_token(32)}"
    db.add(ClientAccessToken(client_pk=client.id, token_hash=token_hash(token), scope=scope,
                             issued_at=now, expires_at=now + ACCESS_TOKEN_TTL))
    client.last_token_at = now
    return token, int(ACCESS_TOKEN_TTL.total_seconds())


def is_access_token(presented: str) -> bool:
    return presented.startswith(ACCESS_TOKEN_PREFIX + "_")


def resolve_access_token(db: Session, presented: str, now: datetime) -> ClientAccessToken | None:
    """The live token presented, or None (unknown, expired, or its client revoked)."""
    row = db.scalar(select(ClientAccessToken).where(ClientAccessToken.token_hash == token_hash(presented)))
    if row is None or now >= row.expires_at or row.client.revoked_at is not None:
        return None
    if not row.client.program.is_active:
        return None
    return row


def clients_in(db: Session, scope: AdminScope) -> list[ApiClient]:
    """The clients of the programs an administrator manages, live ones first."""
    stmt = (select(ApiClient).join(Program).options(joinedload(ApiClient.program).joinedload(Program.agency))
            .order_by(ApiClient.revoked_at.is_not(None), ApiClient.created_at.desc()))
    if not scope.state_team:
        stmt = stmt.where(Program.region.in_(scope.regions))
    return list(db.scalars(stmt).unique())
