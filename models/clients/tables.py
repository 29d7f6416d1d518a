"""Clients ("Subjects") with the keys that make searching and duplicate checks fast."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


def search_key(length: int) -> String:
    """A machine search key: compared byte by byte ("C" collation on PostgreSQL, SQLite's
    default), so a btree index serves equality, prefix ranges and ordering alike."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Client(Base):
    __tablename__ = "client"
    # Each index serves one tier of models.clients.search (see there) or the duplicate check.
    __table_args__ = (
        Index("ix_client_last_first", "last_folded", "first_folded"),
        Index("ix_client_phonetic", "last_phonetic", "first_phonetic"),
        Index("ix_client_first_phonetic", "first_phonetic", "last_phonetic"),
        Index("ix_client_last_phonetic_canonical", "last_phonetic", "first_canonical"),
        Index("ix_client_canonical_last", "first_canonical", "last_folded"),
        Index("ix_client_first_last", "first_folded", "last_folded"),
        Index("ix_client_dob", "dob"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    dob: Mapped[date]
    gender_identity: Mapped[str] = mapped_column(String(40))
    races: Mapped[list[str]] = mapped_column(JSON, default=list)
    military_service: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(String(40))
    zip: Mapped[str] = mapped_column(String(5))
    no_fixed_address: Mapped[bool] = mapped_column(Boolean, default=False)
    best_way_to_reach: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    # Search keys from domain.matching.search_keys, kept current on every change.
    first_folded: Mapped[str] = mapped_column(search_key(100))
    last_folded: Mapped[str] = mapped_column(search_key(100))
    first_phonetic: Mapped[str] = mapped_column(search_key(200))
    last_phonetic: Mapped[str] = mapped_column(search_key(200))
    first_canonical: Mapped[str] = mapped_column(search_key(100))

    created_by_program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    phones: Mapped[list["ClientPhone"]] = relationship(
        cascade="all, delete-orphan", order_by="ClientPhone.position"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ClientNameKey(Base):
    """The folded first and last names in use, each under its deletion keys
    (``domain.matching.deletion_keys``): the name and the name less any one letter.

    Two names one typo apart (a letter wrong, missing, added or two swapped) share a key, so
    the names like a typed one are found by an exact, indexed lookup among the few distinct
    names, on either database; then the clients by exact name through ``client``'s indexes.
    Rows are added as clients are saved and never removed (a name no one has finds no one).
    """

    __tablename__ = "client_name_key"

    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # first | last
    key: Mapped[str] = mapped_column(search_key(100), primary_key=True)
    name: Mapped[str] = mapped_column(search_key(100), primary_key=True)


class ClientPhone(Base):
    __tablename__ = "client_phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(16), index=True)
    label: Mapped[str] = mapped_column(String(20), default="mobile")  # mobile | home | work | other
    position: Mapped[int] = mapped_column(default=0)


class ClientChange(Base):
    """History of a client's details: which fields changed, by whom, acting as which program.

    Values are kept so the profile can show the history and a merge can be undone record by
    record; this table is PHI and is shown only to those who may see the client."""

    __tablename__ = "client_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id"))
    kind: Mapped[str] = mapped_column(String(20))  # created | updated | merged | unmerged
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> [old, new]
