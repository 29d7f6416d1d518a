"""SMART Backend Services clients: an `ApiClient` (one program, its service account) that also
holds a JWKS of public keys, signs its token requests with one of them (private_key_jwt), and is
registered for SMART system scopes.

The registration is kept apart from `api_client` so the OAuth client-credentials client stays as it
is: a SMART client is an API client with this row. Each access token issued on a signed assertion
records the SMART scopes granted (`SmartTokenGrant`); each assertion's `jti` is kept until the
assertion expires, so a replayed assertion is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.accounts.api_clients import ApiClient, ClientAccessToken
from models.base import Base, utcnow


class SmartRegistration(Base):
    __tablename__ = "smart_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), unique=True)
    jwks: Mapped[dict] = mapped_column(JSON)  # {"keys": [public JWKs]}
    scope: Mapped[str] = mapped_column(Text)  # space-separated SMART system scopes
    registered_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[ApiClient] = relationship()

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


class SmartAssertion(Base):
    """A client assertion's `jti`, kept until its `exp`: the same assertion twice is refused."""

    __tablename__ = "smart_assertion"
    __table_args__ = (UniqueConstraint("client_pk", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    jti: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SmartTokenGrant(Base):
    """The SMART scopes an access token was issued for."""

    __tablename__ = "smart_token_grant"

    token_pk: Mapped[int] = mapped_column(ForeignKey("client_access_token.id", ondelete="CASCADE"),
                                          primary_key=True)
    scope: Mapped[str] = mapped_column(Text)

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


def registration_of(db: Session, client: ApiClient) -> SmartRegistration | None:
    return db.scalar(select(SmartRegistration).where(SmartRegistration.client_pk == client.id))


def register_keys(db: Session, client: ApiClient, *, jwks: dict, scopes: list[str], by: int,
                  now: datetime) -> SmartRegistration:
    """Sets the client's public keys and SMART scopes (a new registration replaces the last)."""
    row = registration_of(db, client) or SmartRegistration(client_pk=client.id)
    row.jwks, row.scope, row.registered_by, row.registered_at = jwks, " ".join(scopes), by, now
    db.add(row)
    return row


def remember_jti(db: Session, client: ApiClient, jti: str, expires_at: datetime, now: datetime) -> bool:
    """Records an assertion's id; False if the client used it before (a replay)."""
    db.execute(delete(SmartAssertion).where(SmartAssertion.expires_at < now))
    try:
        with db.begin_nested():
            db.add(SmartAssertion(client_pk=client.id, jti=jti[:255], expires_at=expires_at))
    except IntegrityError:
        return False
    return True


def grant_of(db: Session, token: ClientAccessToken) -> SmartTokenGrant | None:
    return db.get(SmartTokenGrant, token.id)


def token_row(db: Session, token_hash_value: str) -> ClientAccessToken | None:
    return db.scalar(select(ClientAccessToken).where(ClientAccessToken.token_hash == token_hash_value))
