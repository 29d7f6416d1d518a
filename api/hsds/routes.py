"""The HSDS 3.0 API: CONNECT's directory for 211 mirrors and other directories, read-only and
public (it holds what a directory shows, never client data). Paths, query parameters and Page
objects follow the spec's OpenAPI description; filters combine (AND)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.deps import DbSession, Now, SettingsDep
from api.errors import NotFound
from api.hsds import mapping, postcodes
from api.hsds import schemas as out
from directory_import.hsds_schema import HSDS_VERSION
from domain.montana import local_date
from domain.errors import ValidationFailed
from domain.hsds_terms import TAXONOMIES, all_terms, taxonomy_by_id, term_by_id
from models.hsds import FeedFilters, feed_agencies, feed_programs
from models.agencies.tables import Agency, Program
from models.paging import MAX_PER_PAGE, Page, pages_for, paginate

router = APIRouter(prefix="/hsds", tags=["hsds"])

# No HSDS profile of our own: the base specification, plus the properties docs/hsds.md lists.
PROFILE_URL = "https://docs.openreferral.org/en/3.0/"

PageNumber = Annotated[int, Query(ge=1, description="Page number of the paginated result (from 1).")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Number of results in one page (at most 100).")]
Search = Annotated[str, Query(max_length=200, description="Full-text search: every word must appear.")]
Full = Annotated[bool, Query(description="true: return fully nested objects.")]
TermId = Annotated[str, Query(max_length=36, description="Only services with this taxonomy term (its id).")]
TaxonomyId = Annotated[str, Query(max_length=36, description="Only services with any term of this taxonomy (its id).")]
OrganizationId = Annotated[str, Query(max_length=36, description="Only services of this organization (its id).")]
ModifiedAfter = Annotated[datetime | None, Query(
    description="Only results modified on or after this date-time (ISO 8601; UTC when no offset).")]
Postcode = Annotated[str, Query(max_length=10, description=(
    "A US ZIP code: only services whose service areas (counties) include it; with `proximity`, "
    "only services whose office is within that distance of the ZIP code's centre."))]
Proximity = Annotated[float | None, Query(gt=0, le=1_000_000, description=(
    "Metres from the centre of `postcode` (needs `postcode`)."))]
HsdsId = Annotated[str, Path(max_length=100, description="The HSDS id (a UUID).")]


def hsds_page(page: Page, contents: list, model):
    return model(total_items=page.total, total_pages=page.pages, page_number=page.number,
                 size=len(contents), first_page=page.number == 1, last_page=page.number >= page.pages,
                 empty=page.total == 0, contents=contents)


def _filters(search: str = "", taxonomy_term_id: str = "", taxonomy_id: str = "", organization_id: str = "",
             modified_after: datetime | None = None, postcode: str = "",
             proximity: float | None = None) -> FeedFilters:
    if modified_after is not None and modified_after.tzinfo is None:
        modified_after = modified_after.replace(tzinfo=timezone.utc)
    counties = postal_codes = None
    if proximity is not None and not postcode:
        raise ValidationFailed("proximity needs a postcode to measure from.", field="proximity")
    if postcode:
        place = postcodes.lookup(postcode)
        if proximity is not None:
            postal_codes = postcodes.zips_within(place, proximity)
        else:
            counties = (place.county,) if place.state == "MT" else ()
    return FeedFilters(search=search, taxonomy_term_id=taxonomy_term_id.strip(), taxonomy_id=taxonomy_id.strip(),
                       organization_id=organization_id.strip(), modified_after=modified_after,
                       counties=counties, postal_codes=postal_codes)


@router.get("/", summary="HSDS: which version and profile this API follows")
async def api_meta(settings: SettingsDep) -> out.ApiMeta:
    base = settings.public_url.rstrip("/")
    return out.ApiMeta(version=HSDS_VERSION, profile=PROFILE_URL, openapi_url=f"{base}/openapi.json")


@router.get("/services", summary="HSDS: a page of services (CONNECT's programs)",
            response_model_exclude_none=True)
async def services(db: DbSession, moment: Now, search: Search = "", page: PageNumber = 1,
                   per_page: PerPage = 25, taxonomy_term_id: TermId = "", taxonomy_id: TaxonomyId = "",
                   organization_id: OrganizationId = "", modified_after: ModifiedAfter = None,
                   minimal: Annotated[bool, Query(description="true: each service's id, name, status and last_modified only.")] = False,
                   full: Full = False) -> out.ServicePage:
    today = local_date(moment)
    filters = _filters(search, taxonomy_term_id, taxonomy_id, organization_id, modified_after)
    found = paginate(db, feed_programs(filters, today), page, per_page)
    if minimal:
        contents = [mapping.minimal_service(p, today) for p in found.items]
    else:
        contents = [mapping.service(p, today, full=full) for p in found.items]
    return hsds_page(found, contents, out.ServicePage)


def _program(db, service_id: str) -> Program:
    program = db.scalar(select(Program).where(Program.hsds_id == service_id)
                        .options(selectinload(Program.agency).selectinload(Agency.programs)))
    if program is None:
        raise NotFound("That service")
    return program


@router.get("/services/{id}", summary="HSDS: one fully nested service", response_model_exclude_none=True)
async def service(id: HsdsId, db: DbSession, moment: Now) -> out.Service:
    return mapping.service(_program(db, id), local_date(moment), full=True)


@router.get("/organizations", summary="HSDS: a page of organizations (CONNECT's agencies)",
            response_model_exclude_none=True)
async def organizations(db: DbSession, moment: Now, search: Search = "", page: PageNumber = 1,
                        per_page: PerPage = 25, full: Full = False,
                        full_service: Annotated[bool, Query(description="true: nest each service fully.")] = False,
                        ) -> out.OrganizationPage:
    today = local_date(moment)
    found = paginate(db, feed_agencies(search), page, per_page)
    contents = [mapping.organization(a, today, full=full, full_service=full_service) for a in found.items]
    return hsds_page(found, contents, out.OrganizationPage)


@router.get("/organizations/{id}", summary="HSDS: one organization with its services",
            response_model_exclude_none=True)
async def organization(id: HsdsId, db: DbSession, moment: Now,
                       full_service: Annotated[bool, Query(description="true: nest each service fully.")] = False,
                       ) -> out.Organization:
    agency = db.scalar(feed_agencies().where(Agency.hsds_id == id))
    if agency is None:
        raise NotFound("That organization")
    return mapping.organization(agency, local_date(moment), full=True, full_service=full_service)


@router.get("/service_at_locations", summary="HSDS: a page of services at their locations",
            response_model_exclude_none=True)
async def service_at_locations(db: DbSession, moment: Now, search: Search = "",
                               taxonomy_term_id: TermId = "", taxonomy_id: TaxonomyId = "",
                               organization_id: OrganizationId = "", modified_after: ModifiedAfter = None,
                               full: Full = False, page: PageNumber = 1, per_page: PerPage = 25,
                               postcode: Postcode = "", proximity: Proximity = None) -> out.ServiceAtLocationPage:
    today = local_date(moment)
    filters = _filters(search, taxonomy_term_id, taxonomy_id, organization_id, modified_after, postcode, proximity)
    found = paginate(db, feed_programs(filters, today), page, per_page)
    contents = [mapping.service_at_location(p, full=full) for p in found.items]
    return hsds_page(found, contents, out.ServiceAtLocationPage)


@router.get("/service_at_locations/{id}", summary="HSDS: one service at its location, nested",
            response_model_exclude_none=True)
async def service_at_location(id: HsdsId, db: DbSession) -> out.ServiceAtLocation:
    service_id = _service_of_sal(db, id)
    return mapping.service_at_location(_program(db, service_id), full=True)


def _service_of_sal(db, sal_id: str) -> str:
    # A service_at_location id is derived from its service's and location's ids (api/hsds/mapping).
    for service_id, location_id in db.execute(select(Program.hsds_id, Program.hsds_location_id)):
        if mapping.service_at_location_id(service_id, location_id) == sal_id:
            return service_id
    raise NotFound("That service_at_location")


def _sliced(items: list, page: int, per_page: int) -> tuple[Page, list]:
    total = len(items)
    number = min(page, pages_for(total, per_page))
    chosen = items[(number - 1) * per_page: number * per_page]
    return Page(chosen, number, per_page, total), chosen


@router.get("/taxonomies", summary="HSDS: CONNECT's taxonomies", response_model_exclude_none=True)
async def taxonomies(search: Search = "", page: PageNumber = 1, per_page: PerPage = 25) -> out.TaxonomyPage:
    words = search.lower().split()
    chosen = [mapping.taxonomy(t) for t in TAXONOMIES if all(w in t.name.lower() for w in words)]
    found, contents = _sliced(chosen, page, per_page)
    return hsds_page(found, contents, out.TaxonomyPage)


@router.get("/taxonomies/{id}", summary="HSDS: one taxonomy", response_model_exclude_none=True)
async def taxonomy(id: HsdsId) -> out.Taxonomy:
    return mapping.taxonomy(_known(taxonomy_by_id(id), "That taxonomy"))


@router.get("/taxonomy_terms", summary="HSDS: the terms of CONNECT's taxonomies", response_model_exclude_none=True)
async def taxonomy_terms(search: Search = "", page: PageNumber = 1, per_page: PerPage = 25,
                         taxonomy_id: Annotated[str, Query(max_length=36, description="Only the terms of this taxonomy (its id).")] = "",
                         ) -> out.TaxonomyTermPage:
    words = search.lower().split()
    chosen = [mapping.taxonomy_term(t) for t in all_terms()
              if (not taxonomy_id or t.taxonomy.id == taxonomy_id)
              and all(w in f"{t.label} {t.code}".lower() for w in words)]
    found, contents = _sliced(chosen, page, per_page)
    return hsds_page(found, contents, out.TaxonomyTermPage)


@router.get("/taxonomy_terms/{id}", summary="HSDS: one taxonomy term", response_model_exclude_none=True)
async def taxonomy_term(id: HsdsId) -> out.TaxonomyTerm:
    return mapping.taxonomy_term(_known(term_by_id(id), "That taxonomy term"), nested=True)


def _known(found, what: str):
    if found is None:
        raise NotFound(what)
    return found
