"""Client search at state scale: time ``models.clients.search`` on the benchmark's data set.

    python -m bench.client_search generate --url URL --clients 1000000 [--referrals N]
                                           [--programs N] [--seed 7]
    python -m bench.client_search run --url URL [--queries 2000] [--seed 7]

``generate`` fills a database with ``bench.dataset`` (names drawn from weighted lists of common
first names and surnames, Montana-shaped, with a long synthetic tail; counties in proportion to
their population; referrals and ROIs among them).

``run`` times the real search function (``search_clients``: candidates, ranking, visibility,
the page's details) for a mix of queries drawn from the data: exact names, last names alone,
partial names, typos, nicknames, swapped names, names with a date of birth. It prints
p50/p95/p99 per kind of query and overall, and the duplicate check "Add Subject" runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.dataset import add_size_arguments, load, sizes_of
from bench.stats import Timings, progress, table
from domain.matching import fold, name_variants
from domain.montana import TIMEZONE
from models.clients.tables import Client
from models.db import make_engine, make_session_factory
from models.agencies.tables import Program


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


def local_today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


SEARCH_TARGET_MS = 50


def measure(url: str, count: int, seed: int, program_id: int | None = None) -> tuple[int, list[dict]]:
    """Times ``count`` searches (after 50 warm-up ones) and as many duplicate checks as a
    quarter of them: (clients in the database, a row per kind of query, overall, and the
    duplicate check). Rows: bench.stats.Timings rows plus ``on_page`` and ``found``, the
    share of queries that show the very client they were drawn from on page 1 and at all."""
    from models.clients.records import find_duplicates, identity_of
    from models.clients.search import search_clients

    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as db:
        total = db.scalar(select(func.count()).select_from(Client))
        program_id = program_id or db.scalar(select(func.min(Program.id)))
        mix = queries(db, count, seed)
    today = local_today()
    timings = Timings()
    on_page = dict.fromkeys((*KINDS, ALL, DUPLICATES), 0)
    found = dict(on_page)
    with factory() as db:
        for kind, q, dob, _ in mix[: min(50, len(mix))]:  # warm the caches
            search_clients(db, q, program_id=program_id, today=today, dob=dob)
            db.rollback()
        for done, (kind, q, dob, target) in enumerate(mix, 1):
            result = timings.timed((kind, ALL), lambda: search_clients(db, q, program_id=program_id,
                                                                        today=today, dob=dob))
            if result is None:
                db.rollback()
                continue
            hit = any(h.id == target for h in result.items)
            on_page[kind] += hit
            on_page[ALL] += hit
            found[kind] += target in result.ids
            found[ALL] += target in result.ids
            db.rollback()
            progress("client search", done, len(mix))
        # The duplicate guard "Add Subject" runs: the same people typed again, a nickname for one
        # in five; "found" is the sought client reported as an exact or near match.
        checks = mix[: max(1, len(mix) // 4)]
        for i, (_, _, _, target) in enumerate(checks):
            identity = identity_of(db.get(Client, target))
            if i % 5 == 0:
                nick = sorted(name_variants(identity.first_name) - {fold(identity.first_name)})
                if nick:
                    identity = replace(identity, first_name=nick[0])
            begin = time.perf_counter()
            try:
                exact, near = find_duplicates(db, identity)
            except Exception:
                timings.fail(DUPLICATES)
                db.rollback()
                continue
            timings.add(DUPLICATES, (time.perf_counter() - begin) * 1000)
            caught = target in exact or any(m.client_id == target for m in near)
            on_page[DUPLICATES] += caught
            found[DUPLICATES] += caught
            db.rollback()
            progress("duplicate check", i + 1, len(checks))
    engine.dispose()
    rows = []
    for name in (*KINDS, ALL, DUPLICATES):
        row = timings.row(name)
        if not row["n"] and not row["errors"]:
            continue  # a kind the mix did not draw
        n = row["n"] or 1
        rows.append({**row, "name": f"client search: {name}" if name != DUPLICATES else name,
                     "on_page": f"{100 * on_page[name] / n:.0f} %", "found": f"{100 * found[name] / n:.0f} %",
                     "target": f"< {SEARCH_TARGET_MS} ms" if name == ALL else ""})
    return total, rows


ALL, DUPLICATES = "all", "duplicate check (Add Subject)"
COLUMNS = [("name", "query"), ("n", "n"), ("p50", "p50 ms"), ("p95", "p95 ms"), ("p99", "p99 ms"),
           ("errors", "errors"), ("on_page", "sought client on page 1"), ("found", "in the results")]


def run(url: str, count: int, seed: int, program_id: int | None = None) -> str:
    """``measure`` as a Markdown table under a line saying what was measured."""
    total, rows = measure(url, count, seed, program_id)
    dialect = make_url(url).get_backend_name()
    return f"{dialect}, {total:,} clients, {count} queries (seed {seed})\n\n" + table(rows, COLUMNS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.client_search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="fill a database with the benchmark's data set")
    gen.add_argument("--url", required=True)
    add_size_arguments(gen)
    timed = sub.add_parser("run", help="time the search")
    timed.add_argument("--url", required=True)
    timed.add_argument("--queries", type=int, default=2000)
    timed.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.command == "generate":
        load(args.url, sizes_of(args, args.url), args.seed)
    else:
        print(run(args.url, args.queries, args.seed))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
