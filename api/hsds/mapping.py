"""CONNECT → HSDS 3.0: an agency is an organization, a program is a service delivered at one
location (its office), its counties are service areas, and its services and insurance types are
attributes linking it to CONNECT's two taxonomies (domain.hsds_terms). The one module that knows
both shapes; the importer reads the same shapes back (directory_import.importer)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from domain.hsds_terms import (
    IN_PERSON, INSURANCE_TAXONOMY, SERVICE_TAXONOMY, TELEMEDICINE, Taxonomy, Term, child_id, county_area_name,
)
from domain.mou import is_mou_valid
from domain.postal_address import parse_address
from domain.taxonomy import label_of
from models.agencies.tables import Agency, Program

from api.hsds import schemas as out

def service_status(program: Program, today: date) -> str:
    """Active while the program takes referrals in CONNECT; a lapsed or missing agency MOU, or a
    program that left CONNECT, is published inactive (not hidden: a mirror stays consistent)."""
    return "active" if program.is_active and is_mou_valid(program.mou_expires_on, today) else "inactive"


def last_modified(program: Program, today: date) -> datetime:
    """When the program last changed in the feed: its own edits, or the day its MOU lapsed."""
    moments = [program.updated_at]
    if program.mou_expires_on is not None and program.mou_expires_on <= today:
        moments.append(datetime.combine(program.mou_expires_on, time(), timezone.utc))
    return max(m if m.tzinfo else m.replace(tzinfo=timezone.utc) for m in moments)


def taxonomy(t: Taxonomy) -> out.Taxonomy:
    return out.Taxonomy(id=t.id, name=t.name, description=t.description)


def taxonomy_term(term: Term, *, nested: bool = False) -> out.TaxonomyTerm:
    return out.TaxonomyTerm(id=term.id, code=term.code, name=term.label, description=term.label,
                            taxonomy=term.taxonomy.name, taxonomy_id=term.taxonomy.id,
                            taxonomy_detail=taxonomy(term.taxonomy) if nested else None)


def _term(t: Taxonomy, code: str) -> Term:
    return Term(t, code, label_of(t.vocabulary, code))


def organization_description(agency: Agency) -> str:
    names = ", ".join(p.name for p in agency.programs) or "no programs yet"
    return f"{agency.name} in the CONNECT referral network. Programs: {names}."


def organization_brief(agency: Agency) -> out.OrganizationBrief:
    return out.OrganizationBrief(id=agency.hsds_id, name=agency.name,
                                 description=organization_description(agency))


def location(program: Program) -> out.Location:
    parts = parse_address(program.address)
    addresses = None
    if parts is not None:
        addresses = [out.Address(
            id=child_id(program.hsds_location_id, "address"), location_id=program.hsds_location_id,
            address_1=parts.address_1, address_2=parts.address_2 or None, city=parts.city,
            state_province=parts.state, postal_code=parts.postal_code, country="US",
            address_type="physical")]
    return out.Location(id=program.hsds_location_id, location_type="physical",
                        organization_id=program.agency.hsds_id, name=program.display_name,
                        description=None if parts or not program.address else program.address,
                        addresses=addresses)


def service_at_location_id(service_id: str, location_id: str) -> str:
    return child_id(service_id, f"at/{location_id}")


def service_at_location(program: Program, *, full: bool = False) -> out.ServiceAtLocation:
    return out.ServiceAtLocation(
        id=service_at_location_id(program.hsds_id, program.hsds_location_id), service_id=program.hsds_id,
        location_id=program.hsds_location_id, location=location(program) if full else None)


def _attributes(program: Program) -> list[out.Attribute]:
    terms = [_term(SERVICE_TAXONOMY, s.service) for s in sorted(program.services, key=lambda s: s.service)]
    terms += [_term(INSURANCE_TAXONOMY, i.insurance) for i in sorted(program.insurances, key=lambda i: i.insurance)]
    return [out.Attribute(id=child_id(program.hsds_id, f"attribute/{t.id}"), link_id=program.hsds_id,
                          link_type=t.taxonomy.key, link_entity="service", taxonomy_term_id=t.id,
                          taxonomy_term=taxonomy_term(t)) for t in terms]


def _areas(program: Program) -> list[out.ServiceArea]:
    return [out.ServiceArea(id=child_id(program.hsds_id, f"county/{c.county}"), service_id=program.hsds_id,
                            name=county_area_name(c.county),
                            description=TELEMEDICINE if c.telemedicine else IN_PERSON)
            for c in sorted(program.counties, key=lambda c: (c.telemedicine, c.county))]


def _eligibility(program: Program) -> str | None:
    labels = [label_of(INSURANCE_TAXONOMY.vocabulary, i.insurance)
              for i in sorted(program.insurances, key=lambda i: i.insurance)]
    return f"Insurance accepted: {', '.join(labels)}." if labels else None


def service(program: Program, today: date, *, full: bool) -> out.Service:
    """A program as an HSDS service: its own fields, and with ``full`` everything nested."""
    fields = dict(
        id=program.hsds_id, organization_id=program.agency.hsds_id, name=program.name,
        description=program.description or None, url=program.website or None,
        email=program.email or None, status=service_status(program, today),
        eligibility_description=_eligibility(program),
        assured_date=program.assured_on.isoformat() if program.assured_on else None,
        assurer_email=program.assurer_email or None, connect_capacity=program.capacity or None,
        last_modified=last_modified(program, today).isoformat(timespec="seconds"),
    )
    if not full:
        return out.Service(**fields)
    phones = [out.Phone(id=child_id(program.hsds_id, "phone"), service_id=program.hsds_id,
                        number=program.phone, type="voice")] if program.phone else []
    return out.Service(**fields, organization=organization_brief(program.agency), phones=phones,
                       service_areas=_areas(program), service_at_locations=[service_at_location(program, full=True)],
                       attributes=_attributes(program))


def minimal_service(program: Program, today: date) -> out.Service:
    """``minimal=true``: the least a service may hold (id, name, status) and when it changed."""
    return out.Service(id=program.hsds_id, name=program.name, status=service_status(program, today),
                       last_modified=last_modified(program, today).isoformat(timespec="seconds"))


def organization(agency: Agency, today: date, *, full: bool, full_service: bool) -> out.Organization:
    brief = organization_brief(agency).model_dump()
    if not (full or full_service):
        return out.Organization(**brief)
    return out.Organization(
        **brief,
        locations=[location(p) for p in agency.programs],
        services=[service(p, today, full=full_service) for p in agency.programs],
    )
