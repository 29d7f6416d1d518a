"""The benchmark's data set: one reproducible, Montana-shaped referral network.

    python -m bench.dataset --url URL [--clients 1000000] [--referrals 1000000]
                            [--programs 10000] [--seed 7] [--now 2025-06-01]

``load(url, sizes, seed)`` (re)creates the database and fills it:

- **Agencies and programs** (``sizes.programs``): agencies of one to three programs, placed in
  counties weighted by population (2020 census), each program with services, insurance types,
  its home county and a few counties of its region by telemedicine, and an agency MOU valid
  for months, so every program shows in the directory. Three staff per program (a gatekeeper,
  two providers) and the three sign-ins the report benchmark uses (``STATE_USER``,
  ``ADMIN_USER``, ``GATEKEEPER_USER``, password ``PASSWORD``).
- **Clients** (``sizes.clients``): names drawn from weighted lists of common first names and
  surnames (Montana's Scandinavian, German, Irish and Native surnames heavier than the national
  lists) plus a long synthetic tail, a few accented and hyphenated names; counties in
  proportion to their population; a phone for most; the search keys and typo keys the search
  uses.
- **Referrals** (``sizes.referrals``): about seven clients in ten are referred, by a program of
  their region, once, twice or three times (a signed ROI covering the sender and receivers
  each time); 78 % of referrals stay in the region; outcomes and times follow
  ``referral_story`` (lognormal delays; about 1 in 14 waits past 5 business days and is
  escalated), over three years, more in recent years.

Everything is reproducible from the seed and the anchor date (``now``). PostgreSQL is loaded
with COPY (indexes built after, foreign-key triggers off during the load, rows of ``referral``
put back in order of sending with CLUSTER, then VACUUM ANALYZE); SQLite with executemany in
batches. SQLite is much slower to load and to query at a million rows: there the sizes default
to 100,000 clients and referrals (``default_sizes``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
import uuid
from bisect import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from sqlalchemy import JSON, Engine, Table, text
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex

from bench.stats import progress
from domain.business_days import add_business_days
from domain.calendar import add_years
from domain.matching import search_keys
from domain.montana import COUNTIES, counties_in_region
from domain.referral_status import ServiceStatus as SS
from domain.taxonomy import INSURANCE_TYPES, SERVICES, codes, label_of
from models.base import Base
from models.clients.search import name_key_rows
from models.db import make_engine, make_session_factory


@dataclass(frozen=True)
class Sizes:
    clients: int = 1_000_000
    referrals: int = 1_000_000
    programs: int = 10_000


SMOKE = Sizes(clients=300, referrals=300, programs=40)

PASSWORD = "Bench-Reports-2025!"
STATE_USER, ADMIN_USER, GATEKEEPER_USER = ("bench-state@example.org", "bench-admin4@example.org",
                                           "bench-gatekeeper@example.org")
ADMIN_REGION = 4


# --- people --------------------------------------------------------------------------------------

# Surnames with rough weights (per 10,000 people), from the census list reshaped for Montana.
SURNAMES = """
smith 88 johnson 80 anderson 62 miller 55 olson 45 peterson 42 nelson 40 williams 38 jones 34
brown 34 larson 30 davis 28 wilson 27 hansen 26 jensen 24 thompson 24 martin 22 taylor 20
moore 19 clark 19 white 18 hall 17 allen 17 young 17 king 16 wright 16 scott 15 green 15
baker 15 adams 15 mitchell 14 carlson 14 swanson 14 christensen 13 erickson 13 lee 13
walker 13 lewis 13 robinson 12 harris 12 jackson 12 campbell 12 schmidt 12 schultz 11
meyer 11 mueller 11 weber 10 wagner 10 becker 10 hoffman 10 klein 9 fischer 9 schneider 9
murphy 9 kelly 9 sullivan 9 ryan 9 oconnor 8 obrien 8 mccarthy 8 walsh 8 murray 8
mcdonald 8 stewart 8 morris 8 rogers 8 reed 8 cook 8 morgan 8 bell 8 bailey 8 cooper 8
richardson 7 cox 7 howard 7 ward 7 peterson 7 gray 7 james 7 watson 7 brooks 7 kelly 7
sanders 7 price 7 bennett 7 wood 7 barnes 7 ross 7 henderson 7 coleman 7 jenkins 7 perry 7
powell 7 long 7 patterson 7 hughes 7 flores 6 washington 6 butler 6 simmons 6 foster 6
gonzales 6 bryant 6 alexander 6 russell 6 griffin 6 diaz 6 hayes 6 myers 6 ford 6 hamilton 6
graham 6 sullivan 6 wallace 6 woods 6 cole 6 west 6 jordan 6 owens 6 reynolds 6 fisher 6
ellis 6 harrison 6 gibson 6 mcdonald 6 cruz 5 marshall 5 ortiz 5 gomez 5 murray 5 freeman 5
wells 5 webb 5 simpson 5 stevens 5 tucker 5 porter 5 hunter 5 hicks 5 crawford 5 henry 5
boyd 5 mason 5 morales 5 kennedy 5 warren 5 dixon 5 ramos 5 reyes 5 burns 5 gordon 5 shaw 5
holmes 5 rice 5 robertson 5 hunt 5 black 5 daniels 5 palmer 5 mills 5 nichols 5 grant 5
knight 5 ferguson 5 rose 5 stone 5 hawkins 5 dunn 5 perkins 5 hudson 5 spencer 5 gardner 5
stephens 5 payne 5 pierce 5 berry 5 matthews 5 arnold 5 wagner 5 willis 5 ray 5 watkins 5
olsen 5 carroll 5 duncan 5 snyder 5 hart 5 cunningham 5 bradley 5 lane 5 andrews 5 ruiz 5
harper 5 fox 5 riley 5 armstrong 5 carpenter 5 weaver 5 greene 5 lawrence 5 elliott 5
chavez 5 sims 5 austin 5 peters 5 kelley 5 franklin 5 lawson 5 fields 5 gutierrez 5
halvorson 4 lindquist 4 sorensen 4 johansen 4 gustafson 4 bergstrom 4 nygaard 4 haugen 4
iverson 4 knutson 4 lund 4 moe 4 solberg 4 strand 4 thorson 4 dahl 4 berg 4 holm 4
krause 4 zimmerman 4 hartmann 4 lange 4 schroeder 4 koch 4 richter 4 wolf 4 neumann 4
schwartz 4 braun 4 keller 4 vogel 4 friedrich 4 kuhn 4 hahn 4 bauer 4 frank 4 schaefer 4
old_coyote 2 real_bird 2 spotted_bear 2 running_crane 2 little_light 2 two_leggins 2
medicine_horse 2 not_afraid 2 bird_in_ground 1 yellowtail 2 stops 2 whiteman 2 spotted_wolf 2
littlebear 2 running_wolf 2 wall 2 old_person 1 kicking_woman 1 many_hides 1 big_man 1
hernandez 3 garcia 4 martinez 4 lopez 3 rodriguez 3 sanchez 3 ramirez 3 torres 3 rivera 3
nguyen 2 tran 1 kim 2 chen 2 wang 1 singh 1 patel 1
"""

FIRST_NAMES = """
james 32 john 30 robert 30 michael 29 william 27 david 26 richard 16 joseph 15 thomas 15
charles 14 christopher 13 daniel 13 matthew 11 anthony 8 mark 9 donald 9 steven 9 paul 8
andrew 8 joshua 8 kenneth 7 kevin 7 brian 7 george 7 timothy 6 ronald 6 edward 6 jason 6
jeffrey 6 ryan 6 jacob 6 gary 5 nicholas 5 eric 5 jonathan 5 stephen 5 larry 5 justin 5
scott 5 brandon 5 benjamin 5 samuel 4 gregory 4 alexander 4 frank 4 patrick 4 raymond 4
jack 4 dennis 4 jerry 4 tyler 4 aaron 4 jose 3 adam 3 nathan 3 henry 3 douglas 3 zachary 3
peter 3 kyle 3 ethan 3 walter 3 noah 3 jeremy 3 christian 3 keith 3 roger 3 terry 3
gerald 3 harold 3 sean 3 austin 3 carl 3 arthur 3 lawrence 3 dylan 3 jesse 3 jordan 3
bryan 3 billy 2 joe 2 bruce 2 gabriel 2 logan 2 albert 2 willie 2 alan 2 juan 2 wayne 2
elijah 2 randy 2 roy 2 vincent 2 ralph 2 eugene 2 russell 2 bobby 2 mason 2 philip 2
louis 2 liam 2 wyatt 2 colton 2 hunter 2 cody 2 travis 2 dustin 2 shane 2 clayton 2
mary 25 patricia 14 jennifer 14 linda 13 elizabeth 12 barbara 12 susan 11 jessica 10
sarah 10 karen 10 lisa 9 nancy 9 betty 9 margaret 8 sandra 8 ashley 8 kimberly 8 emily 8
donna 8 michelle 7 carol 7 amanda 7 dorothy 7 melissa 7 deborah 7 stephanie 6 rebecca 6
sharon 6 laura 6 cynthia 6 kathleen 6 amy 6 angela 6 shirley 5 anna 5 brenda 5 pamela 5
emma 5 nicole 5 helen 5 samantha 5 katherine 5 christine 5 debra 5 rachel 5 carolyn 5
janet 5 catherine 5 maria 5 heather 4 diane 4 ruth 4 julie 4 olivia 4 joyce 4 virginia 4
victoria 4 kelly 4 lauren 4 christina 4 joan 4 evelyn 4 judith 4 megan 4 andrea 4
cheryl 4 hannah 4 jacqueline 4 martha 4 gloria 4 teresa 4 ann 4 sara 4 madison 4
frances 3 kathryn 3 janice 3 jean 3 abigail 3 alice 3 julia 3 judy 3 sophia 3 grace 3
denise 3 amber 3 doris 3 marilyn 3 danielle 3 beverly 3 isabella 3 theresa 3 diana 3
natalie 3 brittany 3 charlotte 3 marie 3 kayla 3 alexis 3 lori 3 ava 3 harper 3 zoe 2
chloe 2 lily 2 avery 2 aubrey 2 paisley 2 brooklyn 2 hailey 2 kaylee 2 josie 2 maya 2
"""

ACCENTED = {"jose": "José", "maria": "María", "zoe": "Zoë", "chloe": "Chloé",
            "hernandez": "Hernández", "garcia": "García", "martinez": "Martínez",
            "lopez": "López", "rodriguez": "Rodríguez", "ramirez": "Ramírez"}
APOSTROPHES = {"oconnor": "O'Connor", "obrien": "O'Brien"}

# Real ZIP codes of each county seat: enough for realistic addresses.
SEAT_ZIPS = {
    "Beaverhead": "59725", "Big Horn": "59034", "Blaine": "59523", "Broadwater": "59644",
    "Carbon": "59068", "Carter": "59324", "Cascade": "59401", "Chouteau": "59442",
    "Custer": "59301", "Daniels": "59263", "Dawson": "59330", "Deer Lodge": "59711",
    "Fallon": "59313", "Fergus": "59457", "Flathead": "59901", "Gallatin": "59715",
    "Garfield": "59337", "Glacier": "59427", "Golden Valley": "59074", "Granite": "59858",
    "Hill": "59501", "Jefferson": "59632", "Judith Basin": "59479", "Lake": "59860",
    "Lewis and Clark": "59601", "Liberty": "59522", "Lincoln": "59923", "Madison": "59755",
    "McCone": "59215", "Meagher": "59645", "Mineral": "59872", "Missoula": "59801",
    "Musselshell": "59072", "Park": "59047", "Petroleum": "59087", "Phillips": "59538",
    "Pondera": "59425", "Powder River": "59317", "Powell": "59722", "Prairie": "59349",
    "Ravalli": "59840", "Richland": "59270", "Roosevelt": "59201", "Rosebud": "59327",
    "Sanders": "59873", "Sheridan": "59254", "Silver Bow": "59701", "Stillwater": "59019",
    "Sweet Grass": "59011", "Teton": "59422", "Toole": "59474", "Treasure": "59038",
    "Valley": "59230", "Wheatland": "59036", "Wibaux": "59353", "Yellowstone": "59101",
}

STREETS = ("Main St", "1st Ave", "2nd Ave", "Broadway", "Park Ave", "Central Ave", "Oak St",
           "Pine St", "Cedar St", "Elm St", "River Rd", "Highway 2", "Last Chance Gulch",
           "Custer Ave", "Grand Ave", "Montana Ave", "Railroad St", "Prospect Ave")

GENDERS = ("female", "male", "female", "male", "non_binary", "two_spirit", "prefer_not_to_say")
RACES = ("white",) * 12 + ("american_indian_alaska_native",) * 2 + (
    "asian", "black_african_american", "some_other_race", "prefer_not_to_say")
MILITARY = ("never_served",) * 8 + ("veteran", "veteran", "active_duty", "reserve_national_guard")

SURNAME_TAIL_SHARE = 0.35  # share of people with a surname outside the list
FIRST_TAIL_SHARE = 0.12
_ONSETS = ("b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n",
           "p", "pr", "r", "s", "sch", "st", "t", "tr", "v", "w", "z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ie", "oo", "y")
_CODAS = ("", "l", "ll", "n", "nd", "r", "rk", "s", "st", "t", "ck", "m", "ng")
_SUFFIXES = ("son", "sen", "man", "berg", "ski", "ley", "ton", "er", "ford", "stad", "land",
             "wood", "field", "ow", "ing", "ell", "ard", "quist", "strom", "dahl", "ez", "es")


def _weighted(spec: str) -> list[tuple[str, float]]:
    words = spec.split()
    pairs = {}
    for name, weight in zip(words[::2], words[1::2]):
        pairs[name.replace("_", " ")] = pairs.get(name.replace("_", " "), 0) + float(weight)
    return list(pairs.items())


def _synthetic(rng: random.Random, count: int, suffixes: bool) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        word = rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
        if suffixes or rng.random() < 0.5:
            word += rng.choice(_SUFFIXES) if suffixes else rng.choice(_VOWELS) + rng.choice(_CODAS)
        names.add(word)
    return sorted(names)


class Picker:
    """Draws names from a weighted head plus a Zipf-weighted synthetic tail."""

    def __init__(self, head: list[tuple[str, float]], tail: list[str], tail_share: float,
                 rng: random.Random):
        head_total = sum(w for _, w in head)
        tail_weights = [1 / (i + 10) for i in range(len(tail))]
        tail_total = sum(tail_weights)
        names = [n for n, _ in head] + tail
        weights = [w / head_total * (1 - tail_share) for _, w in head] + [
            w / tail_total * tail_share for w in tail_weights]
        self.names = names
        self.cum = list(accumulate(weights))
        self.rng = rng

    def pick(self) -> str:
        return self.names[bisect(self.cum, self.rng.random() * self.cum[-1])]


def display(folded: str, rng: random.Random) -> str:
    """A stored spelling of a folded name: title case, sometimes accents or an apostrophe."""
    if folded in APOSTROPHES:
        return APOSTROPHES[folded]
    if folded in ACCENTED and rng.random() < 0.5:
        return ACCENTED[folded]
    return " ".join(part.capitalize() for part in folded.split())


@dataclass
class Person:
    first: str
    last: str
    dob: date
    county: str
    city: str
    zip: str
    address: str
    gender: str
    race: str
    military: str
    phone: str | None


def people(count: int, seed: int) -> Iterator[Person]:
    """``count`` reproducible clients."""
    rng = random.Random(seed)
    surnames = Picker(_weighted(SURNAMES), _synthetic(rng, 40_000, True), SURNAME_TAIL_SHARE, rng)
    firsts = Picker(_weighted(FIRST_NAMES), _synthetic(rng, 6_000, False), FIRST_TAIL_SHARE, rng)
    counties = list(COUNTIES)
    county_cum = list(accumulate(c.population for c in counties))
    start, span = date(1925, 1, 1).toordinal(), (date(2024, 12, 31) - date(1925, 1, 1)).days
    for _ in range(count):
        county = counties[bisect(county_cum, rng.random() * county_cum[-1])]
        last = surnames.pick()
        if rng.random() < 0.01:
            last = f"{last}-{surnames.pick()}"
        first = firsts.pick()
        if rng.random() < 0.03:
            first = f"{first} {firsts.pick()}"
        # Ages skew adult: the triangular draw favours 25-65.
        dob = date.fromordinal(start + int(rng.triangular(0, span, span * 0.6)))
        homeless = rng.random() < 0.02
        address = "0000 Street" if homeless else (
            f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
            + (f" Apt {rng.randint(1, 40)}" if rng.random() < 0.2 else ""))
        phone = None if rng.random() < 0.1 else (
            f"+1406{rng.randint(2, 9)}{rng.randint(0, 99):02d}{rng.randint(0, 9999):04d}")
        yield Person(
            first=display(first, rng), last=display(last, rng), dob=dob, county=county.name,
            city=county.seat, zip=SEAT_ZIPS[county.name], address=address,
            gender=rng.choice(GENDERS), race=rng.choice(RACES), military=rng.choice(MILITARY),
            phone=phone,
        )


@lru_cache(maxsize=None)
def _keys(first: str, last: str) -> tuple[str, ...]:
    keys = search_keys(first, last)
    return (keys["first_folded"], keys["last_folded"], keys["first_phonetic"],
            keys["last_phonetic"], keys["first_canonical"])


@lru_cache(maxsize=None)
def _first_keys(first: str) -> tuple[str, str, str]:
    k = _keys(first, "x")
    return k[0], k[2], k[4]


@lru_cache(maxsize=None)
def _last_keys(last: str) -> tuple[str, str]:
    k = _keys("x", last)
    return k[1], k[3]


# --- agencies and programs -----------------------------------------------------------------------

AGENCY_WORDS = ("Community", "Family", "Health", "Housing", "Care", "Hope", "Youth", "Recovery",
                "Senior", "Tribal", "Wellness", "Mountain", "Prairie", "Valley", "Big Sky")
AGENCY_KINDS = ("Services", "Center", "Alliance", "Network", "Partners", "Coalition", "Clinic",
                "Council", "Resources", "Outreach")


class Network:
    """Agencies of one to three programs, placed across Montana, with what each program offers.

    Programs are numbered from 0 here and from 1 in the database; program ``i`` has staff
    ``3i+1`` (gatekeeper), ``3i+2`` and ``3i+3`` (providers)."""

    def __init__(self, rng: random.Random, programs: int):
        county_weights = list(accumulate(c.population ** 0.6 for c in COUNTIES))
        service_codes, insurance_codes = codes(SERVICES), codes(INSURANCE_TYPES)
        self.agencies: list[str] = []
        self.programs: list[dict] = []
        taken: set[str] = set()
        while len(self.programs) < programs:
            county = COUNTIES[bisect(county_weights, rng.random() * county_weights[-1])]
            base = f"{county.seat} {rng.choice(AGENCY_WORDS)} {rng.choice(AGENCY_KINDS)}"
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base} {n}"
            taken.add(name)
            agency = len(self.agencies)
            self.agencies.append(name)
            names: set[str] = set()
            for p in range(min(rng.choices((1, 2, 3), (60, 30, 10))[0], programs - len(self.programs))):
                services = rng.sample(service_codes, k=rng.randrange(1, 4))
                program_name = name if p == 0 else label_of(SERVICES, services[0])
                if program_name in names:
                    program_name = f"{program_name} {p + 1}"
                names.add(program_name)
                region_counties = counties_in_region(county.region)
                tele = rng.sample(region_counties, k=min(len(region_counties), rng.randrange(0, 4)))
                self.programs.append({
                    "agency": agency, "name": program_name, "county": county.name,
                    "region": county.region, "weight": county.population ** 0.5 * rng.uniform(0.3, 3),
                    "services": services,
                    "insurance": rng.sample(insurance_codes, k=rng.randrange(1, 5)),
                    "telemedicine": [c for c in tele if c != county.name],
                })
        # Cumulative weights, so a weighted draw among thousands of programs is a bisection.
        self.everywhere = self._draw(range(len(self.programs)))
        self.by_region = {r: self._draw(i for i, p in enumerate(self.programs) if p["region"] == r)
                          for r in {p["region"] for p in self.programs}}

    def _draw(self, ids: Iterable[int]) -> tuple[list[int], list[float]]:
        ids = list(ids)
        return ids, list(accumulate(self.programs[i]["weight"] for i in ids))

    def pick(self, rng: random.Random, region: int | None = None) -> int:
        """A program drawn by weight, in ``region`` if it has any."""
        ids, cum = self.by_region.get(region) or self.everywhere
        return ids[min(len(ids) - 1, bisect(cum, rng.random() * cum[-1]))]

    def biggest_agency(self) -> int:
        weight: dict[int, float] = {}
        for p in self.programs:
            weight[p["agency"]] = weight.get(p["agency"], 0) + p["weight"]
        return max(weight, key=weight.__getitem__)


# --- referrals -----------------------------------------------------------------------------------

def _lognormal_hours(rng: random.Random, median_h: float, sigma: float) -> timedelta:
    return timedelta(hours=median_h * math.exp(rng.gauss(0, sigma)))


CLOSED_AFTER_ENROLLMENT = [(SS.CLOSED_SUCCESSFUL_COMPLETION, 60), (SS.NOT_COMPLETED_DROPPED_OUT, 12),
                           (SS.NOT_COMPLETED_MOVED_OUT_OF_AREA, 5), (SS.NOT_COMPLETED_WHEREABOUTS_UNKNOWN, 8),
                           (SS.CLOSED_REFERRED_TO_OTHER_PROGRAM, 15)]
CLOSED_WITHOUT_ENROLLMENT = [(SS.NOT_STARTED_DECLINED_SERVICES, 35), (SS.NOT_STARTED_MOVED_OUT_OF_AREA, 5),
                             (SS.NOT_STARTED_REFERRED_TO_OTHER_PROGRAM, 30), (SS.CLOSED_REFERRED_TO_OTHER_PROGRAM, 15),
                             (SS.CLOSED_SUCCESSFUL_COMPLETION, 15)]
OPEN_STATUSES = [(SS.ENROLLED_IN_SERVICES, 60), (SS.ON_WAITING_LIST, 15), (SS.NOT_STARTED_ON_WAITING_LIST, 15),
                 (SS.OTHER, 10)]


def _pick(rng: random.Random, table):
    return rng.choices([s for s, _ in table], [w for _, w in table])[0].value


def referral_story(rng: random.Random, sent: datetime | None, now: datetime) -> dict:
    """The state, Referral Status and times of one referral sent at ``sent`` (None: unsent)."""
    story = {"state": "pending", "service_status": None, "sent_at": sent, "acknowledged_at": None,
             "first_contact_at": None, "enrolled_at": None, "closed_at": None, "declined_at": None,
             "escalated_at": None, "updated_at": sent or now}
    if sent is None:
        return story
    ack = sent + _lognormal_hours(rng, 20, 1.3)
    escalation = add_business_days(sent, 5)
    if min(ack, now) >= escalation:
        story["escalated_at"] = escalation
    if ack > now:
        return {**story, "state": "sent", "updated_at": story["escalated_at"] or sent}
    roll = rng.random()
    if roll < 0.07:
        return {**story, "state": "declined", "declined_at": ack, "updated_at": ack}
    if roll < 0.10:
        return {**story, "state": "withdrawn", "updated_at": sent + (ack - sent) / 2,
                "escalated_at": None}
    story.update(state="assigned", acknowledged_at=ack, updated_at=ack)
    moment = ack
    if rng.random() < 0.82:
        contact = ack + _lognormal_hours(rng, 30, 1.0)
        if contact <= now:
            story.update(first_contact_at=contact, updated_at=contact)
            moment = contact
            if rng.random() < 0.58:
                enrolled = contact + _lognormal_hours(rng, 24 * 6, 0.8)
                if enrolled <= now:
                    story.update(enrolled_at=enrolled, service_status=SS.ENROLLED_IN_SERVICES.value,
                                 updated_at=enrolled)
                    moment = enrolled
    closing = moment + _lognormal_hours(rng, 24 * (30 if story["enrolled_at"] else 10), 0.9)
    if closing <= now and rng.random() < 0.93:
        if story["enrolled_at"]:
            status = _pick(rng, CLOSED_AFTER_ENROLLMENT)
        elif story["first_contact_at"]:
            status = _pick(rng, CLOSED_WITHOUT_ENROLLMENT)
        else:
            status = SS.NOT_STARTED_UNABLE_TO_CONTACT.value
        story.update(state="closed", service_status=status, closed_at=closing, updated_at=closing)
    elif story["first_contact_at"] and not story["enrolled_at"] and rng.random() < 0.5:
        story["service_status"] = _pick(rng, OPEN_STATUSES)
    return story


# --- the rows ------------------------------------------------------------------------------------

CLIENT_COLUMNS = (
    "id", "first_name", "last_name", "dob", "gender_identity", "races", "military_service",
    "address", "city", "county", "zip", "no_fixed_address", "best_way_to_reach", "email",
    "first_folded", "last_folded", "first_phonetic", "last_phonetic", "first_canonical",
    "created_by_program_id", "created_by_user_id", "created_at", "updated_at",
)
PHONE_COLUMNS = ("client_id", "e164", "label", "position")
ROI_COLUMNS = (
    "id", "client_id", "sending_program_id", "created_by_user_id", "state", "information_types",
    "purpose", "authorizer_kind", "authorizer_name", "authorizer_relationship", "signature_method",
    "signature_name", "signature_phone", "signed_at", "expires_on", "revoke_reason", "rendered_text",
    "text_sha256", "created_at", "updated_at",
)
ROI_PROGRAM_COLUMNS = ("roi_id", "program_id")
REFERRAL_COLUMNS = (
    "id", "client_id", "roi_id", "sending_program_id", "receiving_program_id", "sender_user_id",
    "state", "service_status", "assigned_provider_id", "assigned_by_user_id", "reason", "form_data",
    "insurance_confirmed", "decline_reason", "created_at", "updated_at", "sent_at", "acknowledged_at",
    "first_contact_at", "enrolled_at", "closed_at", "declined_at", "escalated_at",
)
# Tables filled client by client, in the order their foreign keys need.
BULK = (("client", CLIENT_COLUMNS), ("client_phone", PHONE_COLUMNS), ("roi", ROI_COLUMNS),
        ("roi_program", ROI_PROGRAM_COLUMNS), ("referral", REFERRAL_COLUMNS))
INFORMATION_TYPES = ["contact_information", "demographics", "reason_for_referral"]
YEARS = 3.0


_REGION = {c.name: c.region for c in COUNTIES}


def _receiver(rng: random.Random, net: Network, region: int, taken: set[int]) -> int | None:
    """A program to refer to, mostly in ``region``, not one in ``taken``."""
    for _ in range(50):
        receiver = net.pick(rng, region if rng.random() < 0.78 else None)
        if receiver not in taken:
            return receiver
    return next((i for i in range(len(net.programs)) if i not in taken), None)


def network_rows(net: Network, seed: int, clients: int, referrals: int, now: datetime) -> Iterator[dict[str, list]]:
    """Clients with their phone, ROIs and referrals, a batch of clients at a time: dicts of
    table name → rows (tuples in that table's ``BULK`` column order)."""
    rng = random.Random(seed + 11)
    start = now - timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    batch: dict[str, list] = {name: [] for name, _ in BULK}
    made = roi_id = referral_id = 0
    for client_id, person in enumerate(people(clients, seed), start=1):
        region = _REGION[person.county]
        # Referrals spread evenly over the clients: client i brings the count up to its share.
        due = referrals * client_id // clients
        episodes = []
        while made < due:
            k = min(rng.choices((1, 2, 3), (70, 22, 8))[0], referrals - made)
            # Later referrals are more frequent: the network grows over the years.
            episodes.append((start + timedelta(seconds=span * math.sqrt(rng.random())), k))
            made += k
        episodes.sort()
        sender = net.pick(rng, region)
        created = episodes[0][0] if episodes else start + timedelta(seconds=span * rng.random())
        sender_user = sender * 3 + rng.choice((2, 3))
        ff, fp, fc = _first_keys(person.first)
        lf, lp = _last_keys(person.last)
        batch["client"].append((
            client_id, person.first, person.last, person.dob, person.gender, [person.race],
            person.military, person.address, person.city, person.county, person.zip,
            person.address == "0000 Street", "" if person.phone else "Through the shelter front desk", "",
            ff, lf, fp, lp, fc, sender + 1, sender_user, created, created))
        if person.phone:
            batch["client_phone"].append((client_id, person.phone, "mobile", 0))
        taken = {sender}
        for first_sent, k in episodes:
            if rng.random() < 0.3:  # another program of the region refers the client this time
                sender = net.pick(rng, region)
                sender_user = sender * 3 + rng.choice((2, 3))
            receivers = []
            for _ in range(k):
                receiver = _receiver(rng, net, region, taken | {sender})
                if receiver is None:
                    break  # referred to every program already (only in tiny networks)
                taken.add(receiver)
                receivers.append(receiver)
            if not receivers:
                continue
            roi_id += 1
            name = f"{person.first} {person.last}"
            batch["roi"].append((
                roi_id, client_id, sender + 1, sender_user, "signed", INFORMATION_TYPES, "Referral", "self",
                name, "", "esign", name, "", first_sent, add_years(first_sent.date()), "", "(bench)",
                "0" * 64, first_sent, first_sent))
            batch["roi_program"].extend((roi_id, p + 1) for p in {sender, *receivers})
            for j, receiver in enumerate(receivers):
                sent = min(first_sent + timedelta(days=j * rng.uniform(0, 20)), now - timedelta(minutes=1))
                story = referral_story(rng, None if rng.random() < 0.01 else sent, now)
                provider = receiver * 3 + rng.choice((2, 3)) if story["acknowledged_at"] else None
                referral_id += 1
                batch["referral"].append((
                    referral_id, client_id, roi_id, sender + 1, receiver + 1, sender_user, story["state"],
                    story["service_status"], provider, receiver * 3 + 1 if provider else None,
                    "", {}, True, "", sent, story["updated_at"], story["sent_at"],
                    story["acknowledged_at"], story["first_contact_at"], story["enrolled_at"],
                    story["closed_at"], story["declined_at"], story["escalated_at"]))
        if len(batch["client"]) >= 20_000:
            yield batch
            batch = {name: [] for name, _ in BULK}
    if batch["client"]:
        yield batch


def staff_rows(net: Network, today: date, now: datetime, password_hash: str) -> dict[str, list]:
    """Agencies, programs and what they offer, staff, and the benchmark's three sign-ins."""
    rows: dict[str, list] = {name: [] for name in (
        "agency", "program", "program_service", "program_insurance", "program_county", "app_user",
        "membership", "admin_region")}
    rows["agency"] = [(i + 1, name, _stable_uuid("agency", i + 1), now) for i, name in enumerate(net.agencies)]
    users: list[tuple[str, str]] = []
    memberships: list[tuple[int, int, bool, bool]] = []
    for i, p in enumerate(net.programs):
        rows["program"].append((i + 1, p["agency"] + 1, p["name"], "", p["region"], "4065550100",
                                f"program{i + 1}@example.org", "", "", False, True,
                                today + timedelta(days=200), _stable_uuid("program", i + 1),
                                _stable_uuid("location", i + 1), "", "", now, now))
        rows["program_service"] += [(i + 1, s) for s in p["services"]]
        rows["program_insurance"] += [(i + 1, s) for s in p["insurance"]]
        rows["program_county"] += [(i + 1, p["county"], False)] + [(i + 1, c, True) for c in p["telemedicine"]]
        for role in ("gatekeeper", "provider-a", "provider-b"):
            users.append((f"{role}.{i + 1}@example.org", f"Staff {role} {i + 1}"))
            memberships.append((len(users), i + 1, role == "gatekeeper", role != "gatekeeper"))
    for email in (STATE_USER, ADMIN_USER, GATEKEEPER_USER):
        users.append((email, email.split("@")[0]))
    state_id, admin_id, gatekeeper_id = len(users) - 2, len(users) - 1, len(users)
    # One membership, so signing in picks the program; the agency scope covers its siblings.
    biggest = net.biggest_agency()
    first = next(i for i, p in enumerate(net.programs) if p["agency"] == biggest)
    memberships.append((gatekeeper_id, first + 1, True, False))
    rows["app_user"] = [(uid, email, name, password_hash, [], False, True, uid == state_id,
                         today + timedelta(days=300), now) for uid, (email, name) in enumerate(users, 1)]
    rows["membership"] = [(mid, *m) for mid, m in enumerate(memberships, 1)]
    rows["admin_region"] = [(admin_id, ADMIN_REGION)]
    return rows


def _stable_uuid(kind: str, number: int) -> str:
    """The HSDS id of a generated agency, program or location: the same for the same seed, as COPY
    fills no column defaults."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://bench.connect.example/{kind}/{number}"))


STAFF_COLUMNS = {
    "agency": ("id", "name", "hsds_id", "created_at"),
    "program": ("id", "agency_id", "name", "description", "region", "phone", "email", "address",
                "website", "is_part2", "is_active", "mou_expires_on", "hsds_id", "hsds_location_id",
                "capacity", "assurer_email", "created_at", "updated_at"),
    "program_service": ("program_id", "service"),
    "program_insurance": ("program_id", "insurance"),
    "program_county": ("program_id", "county", "telemedicine"),
    "app_user": ("id", "email", "full_name", "password_hash", "previous_password_hashes",
                 "must_change_password", "is_active", "is_state_team", "mou_expires_on", "created_at"),
    "membership": ("id", "user_id", "program_id", "is_gatekeeper", "is_provider"),
    "admin_region": ("user_id", "region"),
}
# Tables given explicit ids, whose sequences must then move past them.
WITH_IDS = ("agency", "program", "app_user", "membership", "client", "roi", "referral")
NAMES_SQL = "SELECT DISTINCT 'first', first_folded FROM client UNION SELECT 'last', last_folded FROM client"


def name_keys(names) -> Iterator[tuple[str, str, str]]:
    """``client_name_key`` rows for (kind, folded name) pairs."""
    for kind, folded in names:
        for row in name_key_rows(kind, folded):
            yield row["kind"], row["key"], row["name"]


class _Writer:
    """Bulk writes on one connection and transaction: COPY on PostgreSQL, executemany (many
    rows per statement, through SQLAlchemy's types) on SQLite."""

    def __init__(self, engine: Engine):
        self.postgres = engine.dialect.name == "postgresql"
        self.conn = engine.connect()
        if self.postgres:
            self.pg = self.conn.connection.driver_connection  # psycopg, for COPY
            # The rows are consistent by construction; checking every foreign key row by row
            # would slow the load down (session-level; needs a superuser, as in development).
            self.pg.execute("SET session_replication_role = replica")

    def write(self, name: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        table: Table = Base.metadata.tables[name]
        if not self.postgres:
            rows = [dict(zip(columns, row)) for row in rows]
            if rows:
                self.conn.execute(table.insert(), rows)
            return
        json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        with self.pg.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = json.dumps(row[i])
                copy.write_row(row)

    def sql(self, statement: str) -> list:
        if self.postgres:
            cur = self.pg.execute(statement)
            return cur.fetchall() if cur.description else []
        result = self.conn.exec_driver_sql(statement)
        return result.all() if result.returns_rows else []

    def commit(self) -> None:
        (self.pg if self.postgres else self.conn).commit()

    def close(self) -> None:
        if self.postgres:
            self.pg.rollback()
            self.pg.autocommit = True
            self.pg.execute("SET session_replication_role = DEFAULT")
        self.conn.close()


def reset(url: str) -> None:
    """An empty, migrated database at ``url`` (PostgreSQL: its public schema dropped first;
    SQLite: the file removed)."""
    from connect.migrate import migrate

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        database = make_url(url).database
        if database and database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)
    engine.dispose()
    migrate(url)


@dataclass
class Loaded:
    """What ``load`` made and how long it took."""

    agencies: int
    programs: int
    users: int
    clients: int
    referrals: int
    rois: int
    seconds: float

    def row(self) -> dict:
        return {"name": "data set", "agencies": self.agencies, "programs": self.programs,
                "clients": self.clients, "referrals": self.referrals, "rois": self.rois,
                "seconds": self.seconds,
                "per_second": round((self.clients + self.referrals) / self.seconds) if self.seconds else 0}


def anchor(day: date | None = None) -> datetime:
    """The data set's "now": 18:00 UTC (midday in Montana) of ``day``, by default today."""
    day = day or datetime.now(UTC).date()
    return datetime(day.year, day.month, day.day, 18, tzinfo=UTC)


def load(url: str, sizes: Sizes | None = None, seed: int = 7, *, now: datetime | None = None,
         fresh: bool = True) -> Loaded:
    """Fills the database at ``url`` with the network of ``sizes`` (``default_sizes``), reproducibly
    from ``seed`` and ``now``. ``fresh``: recreate the database first (else it must be migrated and empty,
    as the tests' is), and on PostgreSQL build the indexes after loading."""
    from models.accounts.credentials import hash_password

    sizes = sizes or default_sizes(url)
    if min(sizes.clients, sizes.programs) < 1 or sizes.referrals < 0:
        raise ValueError("need at least one client and one program")
    started = time.perf_counter()
    now = now or anchor()
    if fresh:
        reset(url)
    engine = make_engine(url)
    writer = _Writer(engine)
    postgres = writer.postgres
    bulk_indexes = [index for name, _ in BULK for index in Base.metadata.tables[name].indexes]
    try:
        if postgres and fresh:
            for index in bulk_indexes:
                writer.sql(f'DROP INDEX "{index.name}"')
        net = Network(random.Random(seed), sizes.programs)
        staff = staff_rows(net, now.date(), now, hash_password(PASSWORD))
        for name, rows in staff.items():
            writer.write(name, STAFF_COLUMNS[name], rows)
        writer.commit()
        print(f"  {len(net.agencies):,} agencies, {len(net.programs):,} programs, "
              f"{len(staff['app_user']):,} users ({time.perf_counter() - started:.1f} s)", flush=True)
        counts = dict.fromkeys((name for name, _ in BULK), 0)
        for batch in network_rows(net, seed, sizes.clients, sizes.referrals, now):
            for name, columns in BULK:
                writer.write(name, columns, batch[name])
                counts[name] += len(batch[name])
            writer.commit()
            progress("clients and referrals", counts["client"], sizes.clients)
        writer.write("client_name_key", ("kind", "key", "name"), name_keys(writer.sql(NAMES_SQL)))
        writer.commit()
        if postgres:
            for name in WITH_IDS:
                writer.sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                           f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)")
            if fresh:
                print(f"  loaded in {time.perf_counter() - started:.0f} s; building indexes", flush=True)
                writer.sql("SET maintenance_work_mem = '512MB'")
                for index in bulk_indexes:
                    writer.sql(str(CreateIndex(index).compile(dialect=engine.dialect)))
                # A real table is written over the years, so the rows of one period sit together;
                # this generator writes client by client: put them back in time order.
                writer.sql("CLUSTER referral USING ix_referral_sent_at")
            writer.commit()
            writer.pg.autocommit = True
            writer.sql("VACUUM ANALYZE" if fresh else "ANALYZE")
        else:
            writer.sql("ANALYZE")
            writer.commit()
        summarise(engine, now)
    finally:
        writer.close()
        engine.dispose()
    loaded = Loaded(len(net.agencies), len(net.programs), len(staff["app_user"]), counts["client"],
                    counts["referral"], counts["roi"], time.perf_counter() - started)
    print(f"  {loaded.clients:,} clients, {loaded.referrals:,} referrals, {loaded.rois:,} ROIs, "
          f"{loaded.programs:,} programs in {loaded.seconds:.0f} s", flush=True)
    return loaded


def summarise(engine, now: datetime) -> None:
    """The closed-loop dashboard's monthly summary, as the worker's schedule would have kept it
    (bulk loading bypasses the ORM hook that marks the months a change touches)."""
    from models.reports.closed_loop_summary import refresh

    t0 = time.perf_counter()
    with make_session_factory(engine)() as db:
        months = refresh(db, now)
    print(f"  summarised {len(months)} months for the dashboard in {time.perf_counter() - t0:.0f} s", flush=True)


# SQLite, the embedded default, loads and answers far more slowly at a million rows: unless told
# otherwise it gets a tenth of the clients and referrals (the same directory).
SQLITE = Sizes(clients=100_000, referrals=100_000)


def default_sizes(url: str) -> Sizes:
    return Sizes() if make_url(url).get_backend_name() == "postgresql" else SQLITE


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """``--clients``, ``--referrals``, ``--programs`` (defaults by database: ``default_sizes``)
    and ``--seed``."""
    pg, lite = Sizes(), SQLITE
    parser.add_argument("--clients", type=int, default=None,
                        help=f"clients (default {pg.clients:,} on PostgreSQL, {lite.clients:,} on SQLite)")
    parser.add_argument("--referrals", type=int, default=None,
                        help="referrals (default: as many as clients)")
    parser.add_argument("--programs", type=int, default=None,
                        help=f"programs in the directory (default {pg.programs:,})")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the data (default %(default)s)")


def sizes_of(args: argparse.Namespace, url: str) -> Sizes:
    """The sizes asked for in ``args``: ``--smoke`` tiny, else the flags given, else the defaults
    of the database at ``url``."""
    if getattr(args, "smoke", False):
        return SMOKE
    default = default_sizes(url)
    given = {name: getattr(args, name, None) for name in ("clients", "referrals", "programs")}
    if given["referrals"] is None and given["clients"] is not None:
        given["referrals"] = given["clients"]  # as many referrals as clients, unless told
    return replace(default, **{name: value for name, value in given.items() if value is not None})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="database URL (its contents are replaced)")
    add_size_arguments(parser)
    parser.add_argument("--now", type=date.fromisoformat, default=None,
                        help="anchor date of the data (default today)")
    args = parser.parse_args(argv)
    load(args.url, sizes_of(args, args.url), args.seed, now=anchor(args.now))


if __name__ == "__main__":
    main()
