"""Factories for the records tests need, with sensible defaults."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import httpx
from sqlalchemy.orm import Session

from models.accounts.credentials import hash_password
from domain.calendar import add_years
from domain.montana import region_of
from models.accounts.tables import AdminRegion, Membership, User
from models.agencies.tables import Agency, Program, ProgramCounty, ProgramInsurance, ProgramService

PASSWORD = "Glacier-Trail-42!"


def montana_today() -> date:
    """Today as CONNECT reckons it (Montana local time): between 00:00 UTC and local midnight the
    UTC date is already tomorrow, and ROI, MOU and report dates follow the local one."""
    from datetime import UTC, datetime

    from domain.montana import local_date

    return local_date(datetime.now(UTC))
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
                      mou_expires_on=montana_today() + timedelta(days=200) if mou_valid else None)
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
                mou_expires_on=add_years(montana_today()) if mou_signed else None)
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
    # A page every signed-in person may open, whatever first-login step is still due.
    page = await client.get("/password/change", headers={"accept": "text/html"})
    found = re.search(r'data-csrf="([^"]+)"', page.text)
    return found.group(1) if found else ""


def make_client(
    db: Session,
    program: Program,
    user: User,
    *,
    first_name: str = "Alex",
    last_name: str = "Rivera",
    dob: date = date(1990, 4, 12),
    phone: str | None = "+14065551234",
    county: str = "Lewis and Clark",
):
    """A client created by `program`, with its search keys."""
    from domain.matching import search_keys
    from models.clients.tables import Client, ClientPhone

    client = Client(
        first_name=first_name, last_name=last_name, dob=dob, gender_identity="prefer_not_to_say",
        races=["prefer_not_to_say"], military_service="never_served", address="12 Last Chance Gulch",
        city="Helena", county=county, zip="59601", created_by_program_id=program.id,
        created_by_user_id=user.id, **search_keys(first_name, last_name),
    )
    if phone:
        client.phones = [ClientPhone(e164=phone, label="mobile")]
    db.add(client)
    db.flush()
    from models.clients.search import remember_names

    remember_names(db, client.first_folded, client.last_folded)
    return client


def make_signed_roi(db: Session, client, sending: Program, receiving: tuple[Program, ...], user: User,
                    *, signed_on: date | None = None, state: str = "signed"):
    """A signed ROI row (as the ROI workflow would project it), covering sender and receivers."""
    from datetime import datetime, timezone

    from models.releases.tables import ReleaseOfInformation, RoiProgram

    signed_on = signed_on or montana_today()
    roi = ReleaseOfInformation(
        client_id=client.id, sending_program_id=sending.id, created_by_user_id=user.id, state=state,
        information_types=["contact_information", "demographics", "reason_for_referral"],
        purpose="Referral for services", authorizer_kind="self", authorizer_name=client.full_name,
        signature_method="esign", signature_name=client.full_name,
        signed_at=datetime(signed_on.year, signed_on.month, signed_on.day, 17, tzinfo=timezone.utc),
        expires_on=add_years(signed_on), rendered_text="(test)", text_sha256="0" * 64,
    )
    roi.programs = [RoiProgram(program_id=p.id) for p in {sending, *receiving}]
    db.add(roi)
    db.flush()
    return roi


async def advance(env, duration: timedelta, step: timedelta = timedelta(days=10)) -> None:
    """Skips time in steps: one long unlock_time_skipping_with_sleep across a timer that runs
    activities can stall the test server's RPC."""
    while duration > timedelta(0):
        await env.sleep(min(step, duration))
        duration -= step


async def eventually(check, timeout: float = 15.0):
    """Polls ``check`` (a function, or a coroutine function) until it returns something truthy
    (work done by the worker)."""
    import asyncio
    import inspect

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def anon_csrf(html: str) -> str:
    """The CSRF token of a form shown before sign-in (login, forgot and reset password)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


HTML = {"accept": "text/html"}


def make_referral(
    db: Session,
    sending: Program,
    receiving: Program,
    sender: User,
    *,
    state: str = "sent",
    service_status: str | None = None,
    client=None,
    provider: User | None = None,
    **times,
):
    """A referral row as the referral workflow would project it. ``times`` sets sent_at,
    acknowledged_at, first_contact_at, enrolled_at, closed_at, declined_at, escalated_at (aware
    datetimes); a sent referral defaults to being sent now. A new client with a signed ROI is made
    unless ``client`` is given."""
    from datetime import datetime, timezone

    from models.referrals.tables import Referral

    if client is None:
        client = make_client(db, sending, sender, first_name=f"Client{next(_seq)}")
    roi = make_signed_roi(db, client, sending, (receiving,), sender)
    if state != "pending":
        times.setdefault("sent_at", datetime.now(timezone.utc))
    referral = Referral(client_id=client.id, roi_id=roi.id, sending_program_id=sending.id,
                        receiving_program_id=receiving.id, sender_user_id=sender.id, state=state,
                        service_status=service_status,
                        assigned_provider_id=provider.id if provider else None, **times)
    db.add(referral)
    db.flush()
    return referral
