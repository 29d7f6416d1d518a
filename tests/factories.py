"""Factories for the records tests need, with sensible defaults."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import httpx
from sqlalchemy.orm import Session

from connect.security import hash_password
from domain.calendar import add_years
from domain.montana import region_of
from models.accounts import AdminRegion, Membership, User
from models.org import Agency, Program, ProgramCounty, ProgramInsurance, ProgramService

PASSWORD = "Glacier-Trail-42!"
_PASSWORD_HASH = hash_password(PASSWORD)
_seq = itertools.count(1)


def make_program(
    db: Session,
    name: str | None = None,
    *,
    agency: Agency | None = None,
    county: str = "Lewis and Clark",
    services: tuple[str, ...] = ("food_nutrition",),
    insurance: tuple[str, ...] = ("not_applicable",),
    telemedicine_counties: tuple[str, ...] = (),
    mou_valid: bool = True,
    part2: bool = False,
) -> Program:
    n = next(_seq)
    name = name or f"Program {n}"
    agency = agency or Agency(name=f"Agency of {name}")
    program = Program(agency=agency, name=name, region=region_of(county), is_part2=part2,
                      mou_expires_on=date.today() + timedelta(days=200) if mou_valid else None)
    program.services = [ProgramService(service=s) for s in services]
    program.insurances = [ProgramInsurance(insurance=i) for i in insurance]
    program.counties = [ProgramCounty(county=county, telemedicine=False)] + [
        ProgramCounty(county=c, telemedicine=True) for c in telemedicine_counties if c != county
    ]
    db.add(program)
    db.flush()
    return program


def make_user(
    db: Session,
    email: str | None = None,
    *,
    name: str = "Terry Tester",
    gatekeeper_of: tuple[Program, ...] = (),
    provider_of: tuple[Program, ...] = (),
    admin_regions: tuple[int, ...] = (),
    state_team: bool = False,
    mou_signed: bool = True,
    must_change_password: bool = False,
) -> User:
    email = email or f"user{next(_seq)}@example.org"
    user = User(email=email, full_name=name, password_hash=_PASSWORD_HASH,
                must_change_password=must_change_password, is_state_team=state_team,
                mou_expires_on=add_years(date.today()) if mou_signed else None)
    roles: dict[int, Membership] = {}
    for program in gatekeeper_of:
        roles[program.id] = Membership(program=program, is_gatekeeper=True, is_provider=False)
    for program in provider_of:
        m = roles.setdefault(program.id, Membership(program=program, is_gatekeeper=False, is_provider=False))
        m.is_provider = True
    user.memberships = list(roles.values())
    user.admin_regions = [AdminRegion(region=r) for r in admin_regions]
    db.add(user)
    db.flush()
    return user


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Signs in through the form; returns the session's CSRF token for later posts."""
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = await client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    home = await client.get("/", headers={"accept": "text/html"})
    found = re.search(r'data-csrf="([^"]+)"', home.text)
    return found.group(1) if found else ""
