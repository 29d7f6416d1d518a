"""Loads the Montana demo network once into an empty database, and starts its MOU workflows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo import data as demo
from demo.referrals import seed_referrals
from documents.mou import mou_document
from models.accounts.credentials import hash_password
from connect.settings import Settings
from domain.calendar import add_years
from domain.montana import county_names, local_date, region_of
from models.accounts.tables import AdminRegion, Membership, User, UserMou
from models.base import utcnow
from models.db import make_engine, make_session_factory, transaction
from models.agencies.tables import Agency, AgencyMou, Program, ProgramCounty, ProgramInsurance, ProgramService
from workflows.mou_contracts import MOU_VERSION, MouKind

Login = tuple[str, str, str]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", text.lower()).strip(".")


def _display(agency: str, program: str) -> str:
    return agency if agency == program else f"{agency} — {program}"


def _programs(db: Session, today: date) -> dict[str, Program]:
    agencies: dict[str, Agency] = {}
    programs: dict[str, Program] = {}
    for agency_name, name, county, services, insurance, in_person, tele, part2 in demo.PROGRAMS:
        agency = agencies.get(agency_name) or agencies.setdefault(agency_name, Agency(name=agency_name))
        db.add(agency)
        slug = _slug(name)
        program = Program(
            agency=agency, name=name, region=region_of(county), is_part2=part2,
            phone="(406) 555-0" + f"{len(programs):03d}", email=f"intake@{slug}.example",
            address=f"{100 + len(programs)} Main Street, {demo.TOWNS[county][0]}, MT {demo.TOWNS[county][1]}",
            description=f"{name} serves {county} County" + (" and the state by telemedicine" if tele else "") + ".",
        )
        program.services = [ProgramService(service=s) for s in services]
        program.insurances = [ProgramInsurance(insurance=i) for i in insurance]
        served = {county: False, **{c: False for c in in_person}}
        if "*" in tele:
            served = {c: True for c in county_names()} | served
        program.counties = [ProgramCounty(county=c, telemedicine=t) for c, t in served.items()]
        db.add(program)
        programs[_display(agency_name, name)] = program
    db.flush()
    return programs


def _sign_program_mou(db: Session, program: Program, signer: User, signed_on: date) -> None:
    signed_at = datetime(signed_on.year, signed_on.month, signed_on.day, 16, tzinfo=timezone.utc)
    expires = add_years(signed_on)
    db.add(AgencyMou(program_id=program.id, signed_by_id=signer.id, signed_name=signer.full_name,
                     version=MOU_VERSION, text_sha256=mou_document(MouKind.AGENCY).sha256,
                     signed_at=signed_at, expires_on=expires))
    program.mou_expires_on = expires


def seed(db: Session, today: date) -> list[Login]:
    programs = _programs(db, today)
    password = hash_password(demo.DEMO_PASSWORD)
    logins: list[Login] = []
    users: dict[str, User] = {}
    people = list(demo.PEOPLE)
    covered = {p for (_e, _n, _r, ms, _a, _s) in people for (p, gk, _pv) in ms if gk}
    for display in programs:
        if display not in covered:
            people.append((f"gk.{_slug(display)[:40].rstrip('.')}@connect.demo", f"Gatekeeper of {display}"[:200],
                           f"gatekeeper, {display}", [(display, True, True)], [], False))
    for email, name, role, memberships, regions, state in people:
        first_login = email == demo.FIRST_LOGIN_USER
        user = User(email=email, full_name=name, password_hash=password, must_change_password=first_login,
                    is_state_team=state)
        user.memberships = [Membership(program=programs[p], is_gatekeeper=gk, is_provider=pv)
                            for p, gk, pv in memberships]
        user.admin_regions = [AdminRegion(region=r) for r in regions]
        db.add(user)
        db.flush()
        if not first_login:
            signed_on = today - timedelta(days=40)
            user.mou_expires_on = add_years(signed_on)
            db.add(UserMou(user_id=user.id, signed_name=name, version=MOU_VERSION,
                           text_sha256=mou_document(MouKind.USER).sha256,
                           signed_at=datetime(signed_on.year, signed_on.month, signed_on.day, 16, tzinfo=timezone.utc),
                           expires_on=user.mou_expires_on))
        users[email] = user
        if not email.startswith("gk."):
            logins.append((email, role, demo.DEMO_PASSWORD))
    for display, program in programs.items():
        signer = next(u for u in users.values() for m in u.memberships if m.program is program and m.is_gatekeeper)
        if display == demo.MOU_LAPSED:
            signed_on = add_years(today, -1) - timedelta(days=3)
        elif display == demo.MOU_DUE_SOON:
            signed_on = add_years(today, -1) + timedelta(days=10)
        else:
            signed_on = today - timedelta(days=60)
        _sign_program_mou(db, program, signer, signed_on)
        # The gatekeeper confirmed the details when signing (the lapsed one: over a year ago).
        program.assured_on, program.assured_by_id, program.assurer_email = signed_on, signer.id, signer.email
        program.capacity = demo.CAPACITY.get(display, "accepting")
    seed_referrals(db, today, programs, users)
    _clients(db, programs, users, today)
    return logins


def _clients(db: Session, programs: dict[str, Program], users: dict[str, User], today: date) -> None:
    """The demo clients, added as a member of their program would add them."""
    from domain.client_profile import ClientForm, PhoneEntry, validate_client
    from models.clients.records import create_client

    for (display, first, last, dob, gender, races, military, address, city, county, zip_code,
         phone, best_way) in demo.CLIENTS:
        program = programs[display]
        member = next(u for u in users.values() for m in u.memberships if m.program is program)
        form = ClientForm(first_name=first, last_name=last, dob=dob, gender_identity=gender,
                          races=tuple(races), military_service=military,
                          no_fixed_address=not address, address=address, city=city,
                          county=county, zip=zip_code,
                          phones=(PhoneEntry(phone),) if phone else (),
                          best_way_to_reach=best_way)
        create_client(db, validate_client(form, today), user_id=member.id, program_id=program.id,
                      now=utcnow(), today=today, acknowledge_near_matches=True)


def seed_if_empty(settings: Settings) -> list[Login]:
    """Seeds an empty database; on later runs returns the demo logins without changing data."""
    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        with transaction(factory) as db:
            if db.scalar(select(Agency.id).limit(1)) is None:
                print("• loading the Montana demo network …", flush=True)
                return seed(db, local_date(datetime.now(UTC)))
        return [(e, r, demo.DEMO_PASSWORD) for e, _n, r, *_ in demo.PEOPLE]
    finally:
        engine.dispose()


async def start_demo_workflows(settings: Settings) -> None:
    """Makes sure every user and program with an MOU has its renewal workflow running."""
    from connect.workflow_client import ensure_started, mou_run
    from connect.temporal import connect_client
    from workflows.mou_contracts import MouKind

    client = await connect_client(settings)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as db:
            users = db.execute(select(User.id, User.mou_expires_on)).all()
            programs = db.execute(select(Program.id, Program.mou_expires_on)).all()
    finally:
        engine.dispose()
    for uid, expires in users:
        await ensure_started(client, settings, mou_run(MouKind.USER, uid, expires))
    for pid, expires in programs:
        await ensure_started(client, settings, mou_run(MouKind.AGENCY, pid, expires))
    await _start_referral_workflows(client, settings)


async def _start_referral_workflows(client, settings: Settings) -> None:
    from demo.referrals import start_referral_workflows

    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as db:
            await start_referral_workflows(client, settings, db)
    finally:
        engine.dispose()
