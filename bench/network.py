"""The people the HTTP benchmarks act as: pairs of programs (a sender and a receiver), each with
its staff, API tokens and passwords, written straight into the stack's database.

Every pair is a sending program whose staff member starts clients, ROIs and referrals, and a
receiving program with a gatekeeper who assigns and a provider who updates the status, all with
signed MOUs, as a real network's users would be. Journeys spread over the pairs, so concurrent
journeys do not all queue on one program's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from models.accounts.credentials import hash_password
from domain.calendar import add_years
from domain.montana import COUNTIES, region_of
from models.accounts.tables import Membership, User
from models.db import make_engine, make_session_factory, transaction
from models.agencies.tables import Agency, Program, ProgramCounty, ProgramInsurance, ProgramService
from models.accounts.sessions import create_api_token

PASSWORD = "Bench-Journey-2026!"


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    token: str
    program_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Pair:
    """A sending program's staff member and a receiving program's gatekeeper and provider."""

    sender: Person
    gatekeeper: Person
    provider: Person
    receiving_program_id: int


def _program(agency: str, name: str, county: str, today: date) -> Program:
    program = Program(agency=Agency(name=agency), name=name, region=region_of(county),
                      mou_expires_on=add_years(today), phone="(406) 555-0100",
                      description=f"{name} (benchmark network)")
    program.services = [ProgramService(service="food_nutrition")]
    program.insurances = [ProgramInsurance(insurance="not_applicable")]
    program.counties = [ProgramCounty(county=county, telemedicine=False)]
    return program


def build_pairs(database_url: str, count: int, today: date, tag: str = "") -> list[Pair]:
    """Writes ``count`` program pairs and their people (``tag`` tells apart those of another run on
    the same database); returns them with fresh API tokens."""
    engine = make_engine(database_url)
    now = datetime.now(timezone.utc)
    password = hash_password(PASSWORD)
    pairs: list[Pair] = []
    try:
        with transaction(make_session_factory(engine)) as db:
            staged = []
            for i in range(count):
                county = COUNTIES[i % len(COUNTIES)].name
                sending = _program(f"Bench Clinic {tag}{i}", f"Bench Clinic {tag}{i}", county, today)
                receiving = _program(f"Bench Food Bank {tag}{i}", f"Bench Food Bank {tag}{i}", county, today)
                people = []
                for role, program, gatekeeper in (("staff", sending, False), ("gatekeeper", receiving, True),
                                                  ("provider", receiving, False)):
                    user = User(email=f"bench-{role}-{tag}{i}@example.org", full_name=f"Bench {role.title()} {i}",
                                password_hash=password, must_change_password=False,
                                mou_expires_on=add_years(today - timedelta(days=1)))
                    user.memberships = [Membership(program=program, is_gatekeeper=gatekeeper, is_provider=True)]
                    db.add(user)
                    people.append((user, program))
                staged.append((people, receiving))
            db.flush()
            for people, receiving in staged:
                persons = []
                for user, program in people:
                    _, secret = create_api_token(db, user, "benchmark", program.id, now)
                    persons.append(Person(user.id, user.email, secret, program.id))
                pairs.append(Pair(*persons, receiving_program_id=receiving.id))
    finally:
        engine.dispose()
    return pairs
