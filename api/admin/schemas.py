"""JSON answers of the administration API (/api/v1/admin/...): agencies, programs, their form
fields, the MOU overview and user accounts. The routes build plain dicts (the pages share them);
these models are what the schema declares and what the answers are checked against."""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Paged(BaseModel, Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int


class DetailOut(BaseModel):
    detail: str


class FieldOut(BaseModel):
    id: int
    tab: str
    key: str
    label: str
    kind: str
    choices: list[str] | None
    required: bool
    position: int


class CountyServed(BaseModel):
    county: str
    telemedicine: bool


class AdminProgramOut(BaseModel):
    id: int
    agency_id: int
    agency: str
    name: str
    display_name: str
    region: int
    description: str
    phone: str
    email: str
    address: str
    website: str
    is_part2: bool
    is_active: bool
    services: list[str]
    insurances: list[str]
    counties: list[CountyServed]
    mou_expires_on: date | None
    mou_status: str
    form_fields: list[FieldOut]


class AgencyProgram(BaseModel):
    id: int
    name: str
    region: int
    is_active: bool


class AgencyOut(BaseModel):
    id: int
    name: str
    programs: list[AgencyProgram]


class Gatekeeper(BaseModel):
    id: int
    full_name: str
    email: str


class MouAttention(BaseModel):
    program_id: int
    display_name: str
    region: int
    mou_expires_on: date | None
    mou_status: str
    gatekeepers: list[Gatekeeper]


class UserRole(BaseModel):
    program_id: int
    program: str
    region: int
    role: str


class AdminUserOut(BaseModel):
    id: int
    email: str
    full_name: str
    is_active: bool
    must_change_password: bool
    password_set: bool
    is_state_team: bool
    admin_regions: list[int]
    roles: list[UserRole]
    user_mou_status: str
    mou_expires_on: date | None
    deactivated_at: datetime | None


class DeactivatedUserOut(AdminUserOut):
    open_assignments: int
