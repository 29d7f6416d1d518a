"""Which programs other programs can find and refer to: only those with a valid agency MOU.

The guide says both "Other agencies will be able to send referrals to your agency until your MOU
is signed" and "You will not be visible without a valid MOU"; we take the second as the rule
(issue 3). Every directory search starts from `visible_programs_query`, and every referral is
checked with `require_accepts_referrals`, so a lapsed program disappears and stops receiving
referrals on its expiry day without anyone writing a row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from domain.errors import NotAllowed
from domain.mou import is_mou_valid
from domain.taxonomy import insurance_filter_codes
from models.agencies.tables import Agency, Program, ProgramCounty, ProgramInsurance, ProgramService
from models.paging import PER_PAGE, Page, paginate


@dataclass(frozen=True)
class DirectoryFilters:
    """The guide's filters: Choose Counties, Choose Services, Choose Insurance Types, Select
    Agencies. Values inside one filter are alternatives; filters combine (all must hold)."""

    counties: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    insurance: tuple[str, ...] = ()
    agency: str = ""


def visible_programs_query(today: date) -> Select[tuple[Program]]:
    """Active programs whose agency MOU holds on ``today`` (local Montana date)."""
    return select(Program).where(Program.is_active, Program.mou_expires_on > today)


def accepts_referrals(program: Program, today: date) -> bool:
    return program.is_active and is_mou_valid(program.mou_expires_on, today)


def require_accepts_referrals(program: Program, today: date) -> None:
    """NotAllowed, with the reason, unless ``program`` can receive a referral on ``today``."""
    if not program.is_active:
        raise NotAllowed(f"{program.display_name} no longer uses CONNECT and cannot receive referrals.",
                         code="program_inactive")
    if not is_mou_valid(program.mou_expires_on, today):
        raise NotAllowed(
            f"{program.display_name} is not receiving referrals in CONNECT right now: its agency MOU "
            "is not signed or has lapsed. Refer the client elsewhere or contact the program.",
            code="agency_mou_lapsed",
        )


def directory_programs(today: date) -> Select:
    """Programs a user may choose today: active, with a valid agency MOU; by agency and name."""
    return (
        visible_programs_query(today)
        .join(Agency, Program.agency_id == Agency.id)
        # Every row shows its services, insurance and counties: loaded with the page, not one query
        # per program (70 queries a search and p95 54 ms at 10,000 programs before).
        .options(selectinload(Program.agency), selectinload(Program.services), selectinload(Program.insurances),
                 selectinload(Program.counties))
        .order_by(Agency.name, Program.name, Program.id)
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_directory(query: Select, filters: DirectoryFilters) -> Select:
    """Narrows a `directory_programs` query by the guide's four filters."""
    if filters.counties:
        # Serving the county in person or by telemedicine both count (the guide: "including
        # telemedicine").
        query = query.where(exists().where(ProgramCounty.program_id == Program.id,
                                           ProgramCounty.county.in_(filters.counties)))
    if filters.services:
        query = query.where(exists().where(ProgramService.program_id == Program.id,
                                           ProgramService.service.in_(filters.services)))
    if filters.insurance:
        codes = sorted(insurance_filter_codes(filters.insurance))
        query = query.where(exists().where(ProgramInsurance.program_id == Program.id,
                                           ProgramInsurance.insurance.in_(codes)))
    name = " ".join(filters.agency.split())
    if name:
        pattern = _like(name.lower())
        query = query.where(or_(func.lower(Agency.name).like(pattern, escape="\\"),
                                func.lower(Program.name).like(pattern, escape="\\")))
    return query


def search_directory(
    db: Session,
    filters: DirectoryFilters,
    today: date,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    exclude_ids: Iterable[int] = (),
) -> Page[Program]:
    """One page of the directory programs matching `filters` (for "Start new ROI(s)")."""
    query = filter_directory(directory_programs(today), filters)
    excluded = list(exclude_ids)
    if excluded:
        query = query.where(Program.id.not_in(excluded))
    return paginate(db, query, page, per_page)


def directory_programs_by_id(db: Session, ids: Iterable[int], today: date) -> dict[int, Program]:
    """The programs among `ids` that are in the directory today (others are left out)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in db.scalars(directory_programs(today).where(Program.id.in_(wanted)))}


def directory_programs_in_regions(db: Session, regions: Iterable[int], today: date) -> list[Program]:
    """Every directory program of the given regions (the Blank ROI report)."""
    wanted = sorted(set(regions))
    if not wanted:
        return []
    return list(db.scalars(directory_programs(today).where(Program.region.in_(wanted))))
