"""The HSDS 3.0 objects CONNECT publishes, as response models: the spec's property names and
types, holding the fields CONNECT fills in. Answers leave out unset fields (the spec has no nulls);
the tests validate every answer against the spec's JSON schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ApiMeta(BaseModel):
    version: str = Field(description="HSDS version of this API.")
    profile: str = Field(description="URL of the HSDS profile this API follows.")
    openapi_url: str = Field(description="URL of the OpenAPI description of this API.")


class Taxonomy(BaseModel):
    id: str
    name: str
    description: str
    version: str | None = None


class TaxonomyTerm(BaseModel):
    id: str
    code: str | None = None
    name: str
    description: str
    taxonomy: str | None = None
    taxonomy_id: str | None = None
    taxonomy_detail: Taxonomy | None = None


class Attribute(BaseModel):
    id: str
    link_id: str
    link_type: str | None = None
    link_entity: str
    taxonomy_term_id: str
    value: str | None = None
    taxonomy_term: TaxonomyTerm | None = None


class Phone(BaseModel):
    id: str
    service_id: str | None = None
    location_id: str | None = None
    organization_id: str | None = None
    number: str
    type: str | None = None


class Address(BaseModel):
    id: str
    location_id: str
    address_1: str
    address_2: str | None = None
    city: str
    state_province: str
    postal_code: str
    country: str
    address_type: Literal["physical", "postal", "virtual"]


class Location(BaseModel):
    id: str
    location_type: Literal["physical", "postal", "virtual"]
    organization_id: str | None = None
    name: str | None = None
    description: str | None = None
    addresses: list[Address] | None = None


class ServiceArea(BaseModel):
    id: str
    service_id: str
    name: str
    description: str | None = None
    extent_type: str | None = None


class ServiceAtLocation(BaseModel):
    id: str
    service_id: str
    location_id: str
    description: str | None = None
    location: Location | None = None


class OrganizationBrief(BaseModel):
    id: str
    name: str
    description: str
    email: str | None = None
    website: str | None = None


class ServiceFields(BaseModel):
    """A service's own (one-to-one) fields: what a list shows."""

    id: str
    organization_id: str | None = None
    name: str
    description: str | None = None
    url: str | None = None
    email: str | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    eligibility_description: str | None = None
    assured_date: str | None = None
    assurer_email: str | None = None
    last_modified: str | None = None
    # CONNECT's extension (docs/hsds.md): accepting, waitlist, not_accepting, assessment_required.
    connect_capacity: str | None = Field(None, description="CONNECT extension: the program's capacity status.")


class Service(ServiceFields):
    """A fully nested service (GET /hsds/services/{id}, or a list with full=true)."""

    organization: OrganizationBrief | None = None
    phones: list[Phone] | None = None
    service_areas: list[ServiceArea] | None = None
    service_at_locations: list[ServiceAtLocation] | None = None
    attributes: list[Attribute] | None = None


class Organization(OrganizationBrief):
    phones: list[Phone] | None = None
    locations: list[Location] | None = None
    services: list[Service] | None = None


class HsdsPage(BaseModel):
    """The spec's Page object: the numbers of a paged list, with ``contents``."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool


class ServicePage(HsdsPage):
    contents: list[Service]


class OrganizationPage(HsdsPage):
    contents: list[Organization]


class ServiceAtLocationPage(HsdsPage):
    contents: list[ServiceAtLocation]


class TaxonomyPage(HsdsPage):
    contents: list[Taxonomy]


class TaxonomyTermPage(HsdsPage):
    contents: list[TaxonomyTerm]
