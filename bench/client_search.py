"""Client search at state scale: generate clients, then time ``models.client_search``.

    python -m bench.client_search generate --url URL --clients 1000000 [--seed 7]
    python -m bench.client_search run --url URL [--queries 2000] [--seed 7]

``generate`` fills a database (migrated first) with reproducible clients: names drawn from
weighted lists of common first names and surnames (Montana's Scandinavian, German, Irish and
Native surnames heavier than the national lists) plus a long synthetic tail, a few accented and
hyphenated names, counties drawn in proportion to their 2020 population
(``domain.montana.COUNTIES``), a phone for most clients, and ROIs for some. PostgreSQL is loaded
with COPY and the indexes are built after; SQLite with batched inserts.

``run`` times the real search function (``search_clients``: candidates, ranking, visibility,
the page's details) for a mix of queries drawn from the data: exact names, last names alone,
partial names, typos, nicknames, swapped names, names with a date of birth. It prints
p50/p95/p99 per kind of query and overall.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from itertools import accumulate

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.engine import make_url

from domain.calendar import add_years
from domain.matching import fold, name_variants, search_keys
from domain.montana import COUNTIES
from models.accounts import User
from models.clients import Client, ClientNameKey, ClientPhone
from models.client_search import name_key_rows
from models.db import make_engine, make_session_factory
from models.org import Agency, Program
from models.roi import ReleaseOfInformation, RoiProgram

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


CLIENT_COLUMNS = (
    "id", "first_name", "last_name", "dob", "gender_identity", "races", "military_service",
    "address", "city", "county", "zip", "no_fixed_address", "best_way_to_reach", "email",
    "first_folded", "last_folded", "first_phonetic", "last_phonetic", "first_canonical",
    "created_by_program_id", "created_by_user_id", "created_at", "updated_at",
)


def client_rows(count: int, seed: int, programs: list[int], user_id: int):
    """(client row, phone row or None) tuples in CLIENT_COLUMNS order."""
    rng = random.Random(seed + 1)
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for i, p in enumerate(people(count, seed), start=1):
        ff, fp, fc = _first_keys(p.first)
        lf, lp = _last_keys(p.last)
        row = (i, p.first, p.last, p.dob, p.gender, f'["{p.race}"]', p.military, p.address,
               p.city, p.county, p.zip, p.address == "0000 Street",
               "" if p.phone else "Through the shelter front desk", "",
               ff, lf, fp, lp, fc, rng.choice(programs), user_id, now, now)
        yield row, ((i, p.phone) if p.phone else None)


def _setup_network(engine: Engine) -> tuple[list[int], int]:
    """One agency per county with three programs each, and one user."""
    factory = make_session_factory(engine)
    with factory() as db, db.begin():
        programs = []
        for county in COUNTIES:
            agency = Agency(name=f"{county.name} County Health")
            for name in ("Public Health", "Home Visiting", "Food Share"):
                program = Program(agency=agency, name=name, region=county.region,
                                  mou_expires_on=date(2099, 1, 1))
                db.add(program)
                programs.append(program)
        user = User(email="bench@example.org", full_name="Bench User", mou_expires_on=date(2099, 1, 1))
        db.add(user)
        db.flush()
        return [p.id for p in programs], user.id


def _reset(url: str) -> Engine:
    from connect.migrate import migrate

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        database = make_url(url).database
        engine.dispose()
        if database:
            from pathlib import Path

            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)
        engine = make_engine(url)
    migrate(url)
    return engine


def _copy(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _rois(count: int, programs: list[int], user_id: int, seed: int):
    """Signed ROIs for ``count`` clients (some since expired), each covering the sending program
    and one other: (ROI row, its roi_program rows)."""
    rng = random.Random(seed + 2)
    today = date(2025, 1, 1)
    for roi_id in range(1, count + 1):
        signed = today - timedelta(days=rng.randint(1, 420))
        at = datetime(signed.year, signed.month, signed.day, 17, tzinfo=timezone.utc)
        sending, receiving = rng.sample(programs, 2)
        roi = {
            "id": roi_id, "client_id": roi_id * 7, "sending_program_id": sending,
            "created_by_user_id": user_id, "state": "signed", "information_types": '["demographics"]',
            "purpose": "Referral", "authorizer_kind": "self", "authorizer_name": "",
            "authorizer_relationship": "", "signature_method": "esign", "signature_name": "",
            "signature_phone": "", "signed_at": at, "expires_on": add_years(signed),
            "revoke_reason": "", "rendered_text": "", "text_sha256": "0" * 64,
            "created_at": at, "updated_at": at,
        }
        yield roi, ({"roi_id": roi_id, "program_id": sending},
                    {"roi_id": roi_id, "program_id": receiving})


NAMES_SQL = "SELECT DISTINCT 'first', first_folded FROM client UNION SELECT 'last', last_folded FROM client"


def name_keys(names) -> Iterator[tuple[str, str, str]]:
    """``client_name_key`` rows for (kind, folded name) pairs."""
    for kind, folded in names:
        for row in name_key_rows(kind, folded):
            yield row["kind"], row["key"], row["name"]


def generate(url: str, count: int, seed: int) -> None:
    started = time.perf_counter()
    engine = _reset(url)
    programs, user_id = _setup_network(engine)
    roi_count = count // 10
    client_table = Client.__table__
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            for index in client_table.indexes:
                cur.execute(f'DROP INDEX "{index.name}"')
            phones: list[tuple[int, str]] = []

            def rows():
                for row, phone in client_rows(count, seed, programs, user_id):
                    if phone:
                        phones.append(phone)
                    if row[0] % 100_000 == 0:
                        print(f"  {row[0]:,} clients", flush=True)
                    yield row

            _copy(cur, "client", CLIENT_COLUMNS, rows())
            _copy(cur, "client_phone", ("client_id", "e164", "label", "position"),
                  ((client_id, e164, "mobile", 0) for client_id, e164 in phones))
            roi_rows, program_rows = [], []
            for roi, covered in _rois(roi_count, programs, user_id, seed):
                roi_rows.append(tuple(roi.values()))
                program_rows.extend((c["roi_id"], c["program_id"]) for c in covered)
            _copy(cur, "roi", tuple(roi), roi_rows)
            _copy(cur, "roi_program", ("roi_id", "program_id"), program_rows)
            cur.execute(NAMES_SQL)
            _copy(cur, "client_name_key", ("kind", "key", "name"), name_keys(cur.fetchall()))
            cur.execute(f"SELECT setval('client_id_seq', {count})")
            cur.execute(f"SELECT setval('roi_id_seq', {roi_count})")
            raw.commit()
            loaded = time.perf_counter()
            print(f"  loaded in {loaded - started:.0f} s; building indexes", flush=True)
            cur.execute("SET maintenance_work_mem = '512MB'")
            for index in client_table.indexes:
                cur.execute(str(_create_sql(index, engine)))
                raw.commit()
            raw.driver_connection.autocommit = True
            cur.execute("VACUUM ANALYZE client")
            cur.execute("VACUUM ANALYZE client_phone")
            cur.execute("VACUUM ANALYZE roi")
            cur.execute("VACUUM ANALYZE roi_program")
            cur.execute("VACUUM ANALYZE client_name_key")
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            batch: list[dict] = []
            phones: list[dict] = []
            for row, phone in client_rows(count, seed, programs, user_id):
                values = dict(zip(CLIENT_COLUMNS, row))
                values["races"] = [values["races"][2:-2]]
                batch.append(values)
                if phone:
                    phones.append({"client_id": phone[0], "e164": phone[1], "label": "mobile",
                                   "position": 0})
                if len(batch) == 20_000:
                    conn.execute(insert(Client), batch)
                    conn.execute(insert(ClientPhone), phones)
                    batch, phones = [], []
            if batch:
                conn.execute(insert(Client), batch)
                conn.execute(insert(ClientPhone), phones)
            rois, covered_rows = [], []
            for roi, covered in _rois(roi_count, programs, user_id, seed):
                rois.append({**roi, "information_types": ["demographics"]})
                covered_rows.extend(covered)
            conn.execute(insert(ReleaseOfInformation), rois)
            conn.execute(insert(RoiProgram), covered_rows)
            keys = [dict(zip(("kind", "key", "name"), row))
                    for row in name_keys(conn.execute(text(NAMES_SQL)).all())]
            conn.execute(insert(ClientNameKey), keys)
            conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"generated {count:,} clients, {roi_count:,} ROIs in {time.perf_counter() - started:.0f} s")


def _create_sql(index, engine: Engine):
    from sqlalchemy.schema import CreateIndex

    return CreateIndex(index).compile(dialect=engine.dialect)


# --- the runner -----------------------------------------------------------------------------

KINDS = ("full name", "last name", "partial", "typo", "nickname", "swapped", "first name",
         "with DOB")
WEIGHTS = (30, 15, 12, 12, 10, 6, 5, 10)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    how = rng.choice(("swap", "drop", "double", "replace"))
    if how == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1:]


def queries(db, count: int, seed: int) -> list[tuple[str, str, date | None, int]]:
    """(kind, text, dob, client id) queries about clients drawn from the database."""
    rng = random.Random(seed + 3)
    top = db.scalar(select(func.max(Client.id)))
    out = []
    for _ in range(count):
        client = None
        while client is None:
            client = db.get(Client, rng.randint(1, top))
        first, last = client.first_name.split()[0], client.last_name
        kind = rng.choices(KINDS, WEIGHTS)[0]
        dob = None
        if kind == "full name":
            q = f"{first} {last}"
        elif kind == "last name":
            q = last
        elif kind == "partial":
            q = f"{first[:rng.randint(2, 3)]} {fold(last)[:rng.randint(3, 4)]}"
        elif kind == "typo":
            q = f"{first} {_typo(fold(last), rng)}"
        elif kind == "nickname":
            variants = sorted(name_variants(first) - {fold(first)})
            q = f"{rng.choice(variants) if variants else first} {last}"
        elif kind == "swapped":
            q = f"{last} {first}"
        elif kind == "first name":
            q = first
        else:
            q, dob = f"{first} {last}", client.dob
        out.append((kind, q, dob, client.id))
        db.expunge_all()
    return out


def run(url: str, count: int, seed: int, program_id: int | None = None) -> str:
    from models.client_records import find_duplicates, identity_of
    from models.client_search import search_clients

    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as db:
        total = db.scalar(select(func.count()).select_from(Client))
        program_id = program_id or db.scalar(select(func.min(Program.id)))
        mix = queries(db, count, seed)
    today = date(2025, 1, 1)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    first_page = {kind: 0 for kind in KINDS}
    anywhere = {kind: 0 for kind in KINDS}
    with factory() as db:
        for kind, q, dob, _ in mix[: min(50, len(mix))]:  # warm the caches
            search_clients(db, q, program_id=program_id, today=today, dob=dob)
            db.rollback()
        for kind, q, dob, target in mix:
            begin = time.perf_counter()
            result = search_clients(db, q, program_id=program_id, today=today, dob=dob)
            timings[kind].append((time.perf_counter() - begin) * 1000)
            first_page[kind] += any(hit.id == target for hit in result.hits)
            anywhere[kind] += target in result.ids
            db.rollback()
        # The duplicate guard "Add Subject" runs: the same people typed again, a nickname for one
        # in five; "found" is the sought client reported as an exact or near match.
        duplicates, caught = [], 0
        for i, (_, _, _, target) in enumerate(mix[: max(1, len(mix) // 4)]):
            identity = identity_of(db.get(Client, target))
            if i % 5 == 0:
                nick = sorted(name_variants(identity.first_name) - {fold(identity.first_name)})
                if nick:
                    identity = replace(identity, first_name=nick[0])
            begin = time.perf_counter()
            exact, near = find_duplicates(db, identity)
            duplicates.append((time.perf_counter() - begin) * 1000)
            caught += target in exact or any(m.client_id == target for m in near)
            db.rollback()
    engine.dispose()

    def row(name: str, values: list[float], hits: int, found: int) -> str:
        if not values:
            return f"| {name} | 0 | | | | | |"
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return (f"| {name} | {len(values)} | {cuts[49]:.1f} | {cuts[94]:.1f} | {cuts[98]:.1f} | "
                f"{100 * hits / len(values):.0f} % | {100 * found / len(values):.0f} % |")

    lines = [
        f"{engine.dialect.name}, {total:,} clients, {len(mix)} queries (seed {seed})",
        "",
        "| query | n | p50 ms | p95 ms | p99 ms | sought client on page 1 | in the results |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [row(kind, timings[kind], first_page[kind], anywhere[kind]) for kind in KINDS]
    everything = [v for kind in KINDS for v in timings[kind]]
    lines.append(row("**all**", everything, sum(first_page.values()), sum(anywhere.values())))
    lines.append(row("duplicate check (Add Subject)", duplicates, caught, caught))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.client_search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="fill a database with clients")
    gen.add_argument("--url", required=True)
    gen.add_argument("--clients", type=int, default=1_000_000)
    gen.add_argument("--seed", type=int, default=7)
    timed = sub.add_parser("run", help="time the search")
    timed.add_argument("--url", required=True)
    timed.add_argument("--queries", type=int, default=2000)
    timed.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.url, args.clients, args.seed)
    else:
        print(run(args.url, args.queries, args.seed))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
