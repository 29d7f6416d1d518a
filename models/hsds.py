"""Queries behind the HSDS feed (/hsds) and the table that maps other directories' taxonomy terms
to CONNECT's services. No web framework here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ForeignKey, Select, String, UniqueConstraint, and_, exists, false, or_, select
from sqlalchemy.orm import Mapped, mapped_column, selectinload

from domain.hsds_terms import INSURANCE_TAXONOMY, SERVICE_TAXONOMY, taxonomy_by_id, term_by_id
from models.base import Base, utcnow
from models.agencies.tables import Agency, Program, ProgramCounty, ProgramInsurance, ProgramService
from models.paging import matches_text


class HsdsTermMapping(Base):
    """Which CONNECT service a taxonomy term of an imported directory means (``service`` empty:
    not yet decided, the term is left out and the import report says so)."""

    __tablename__ = "hsds_term_mapping"
    __table_args__ = (UniqueConstraint("taxonomy", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    taxonomy: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300), default="")
    service: Mapped[str] = mapped_column(String(50), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class FeedFilters:
    """The spec's query parameters; all given ones must hold (AND)."""

    search: str = ""
    taxonomy_term_id: str = ""
    taxonomy_id: str = ""
    organization_id: str = ""
    modified_after: datetime | None = None
    counties: tuple[str, ...] | None = None  # postcode: served there (None: no such filter)
    postal_codes: tuple[str, ...] | None = None  # postcode + proximity: offices in these ZIPs


def feed_programs(filters: FeedFilters, today: date) -> Select[tuple[Program]]:
    """Every program of the directory (lapsed MOUs too: they are published inactive), filtered,
    with what a fully nested service shows loaded alongside."""
    stmt = (select(Program).join(Agency, Program.agency_id == Agency.id)
            .options(selectinload(Program.agency).selectinload(Agency.programs), selectinload(Program.services),
                     selectinload(Program.insurances), selectinload(Program.counties))
            .order_by(Agency.name, Program.name, Program.id))
    if (found := matches_text(filters.search, Program.name, Program.description, Agency.name)) is not None:
        stmt = stmt.where(found)
    if filters.taxonomy_term_id:
        stmt = stmt.where(_has_term(filters.taxonomy_term_id))
    if filters.taxonomy_id:
        stmt = stmt.where(_has_taxonomy(filters.taxonomy_id))
    if filters.organization_id:
        stmt = stmt.where(Agency.hsds_id == filters.organization_id)
    if filters.modified_after is not None:
        # A program also changes in the feed the day its MOU lapses (it turns inactive).
        since = filters.modified_after
        stmt = stmt.where(or_(Program.updated_at >= since,
                              and_(Program.mou_expires_on >= since.date(), Program.mou_expires_on <= today)))
    if filters.counties is not None:
        stmt = stmt.where(exists().where(ProgramCounty.program_id == Program.id,
                                         ProgramCounty.county.in_(filters.counties)))
    if filters.postal_codes is not None:
        stmt = stmt.where(or_(false(), *(Program.address.like(f"% {z}") for z in filters.postal_codes)))
    return stmt


def _has_term(term_id: str):
    term = term_by_id(term_id)
    if term is None:
        return false()
    if term.taxonomy is SERVICE_TAXONOMY:
        return exists().where(ProgramService.program_id == Program.id, ProgramService.service == term.code)
    return exists().where(ProgramInsurance.program_id == Program.id, ProgramInsurance.insurance == term.code)


def _has_taxonomy(taxonomy_id: str):
    taxonomy = taxonomy_by_id(taxonomy_id)
    if taxonomy is SERVICE_TAXONOMY:
        return exists().where(ProgramService.program_id == Program.id)
    if taxonomy is INSURANCE_TAXONOMY:
        return exists().where(ProgramInsurance.program_id == Program.id)
    return false()


def feed_agencies(search: str = "") -> Select[tuple[Agency]]:
    stmt = (select(Agency).options(selectinload(Agency.programs).selectinload(Program.services),
                                   selectinload(Agency.programs).selectinload(Program.insurances),
                                   selectinload(Agency.programs).selectinload(Program.counties))
            .order_by(Agency.name, Agency.id))
    if (found := matches_text(search, Agency.name)) is not None:
        stmt = stmt.where(found)
    return stmt
