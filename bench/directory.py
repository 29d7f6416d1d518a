"""Directory search at state scale: "Start new ROI(s)" looking for programs among thousands.

Times ``models.agencies.directory.search_directory`` and the JSON the endpoint ``/api/v1/roi/directory``
returns for each program found (``api.releases.routes.program_json``: services, insurance,
counties), for a mix of the guide's four filters (Choose Counties, Choose Services, Choose
Insurance Types, Select Agencies) drawn from the data, alone and combined.

    python -m bench.directory --url URL [--queries 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from bisect import bisect
from itertools import accumulate

from sqlalchemy import func, select

from bench.client_search import local_today
from bench.stats import Timings, progress, table
from domain.montana import COUNTIES
from domain.taxonomy import INSURANCE_TYPES, SERVICES, codes
from models.db import make_engine, make_session_factory
from models.agencies.directory import DirectoryFilters, search_directory
from models.agencies.tables import Agency, Program

KINDS = ("no filter", "county", "service", "insurance", "agency name", "county + service",
         "county + service + insurance", "all four")
WEIGHTS = (5, 20, 15, 10, 15, 20, 10, 5)
DIRECTORY_TARGET_MS = 20


def directory_queries(agency_names: list[str], count: int, seed: int) -> list[tuple[str, DirectoryFilters, int]]:
    """(kind, filters, page) drawn like people use the page: counties weighted by population, one
    or two services or insurance types, a word of an agency's name; page 1 mostly."""
    rng = random.Random(seed + 5)
    county_cum = list(accumulate(c.population for c in COUNTIES))
    services, insurance = codes(SERVICES), codes(INSURANCE_TYPES)
    out = []
    for _ in range(count):
        kind = rng.choices(KINDS, WEIGHTS)[0]
        counties = tuple({COUNTIES[bisect(county_cum, rng.random() * county_cum[-1])].name
                          for _ in range(rng.choice((1, 1, 1, 2)))})
        wanted = tuple(rng.sample(services, k=rng.choice((1, 1, 2))))
        covered = tuple(rng.sample(insurance, k=rng.choice((1, 1, 2))))
        words = rng.choice(agency_names).split()
        agency = rng.choice(words) if rng.random() < 0.7 else " ".join(words[:2])
        filters = {
            "no filter": DirectoryFilters(),
            "county": DirectoryFilters(counties=counties),
            "service": DirectoryFilters(services=wanted),
            "insurance": DirectoryFilters(insurance=covered),
            "agency name": DirectoryFilters(agency=agency),
            "county + service": DirectoryFilters(counties=counties, services=wanted),
            "county + service + insurance": DirectoryFilters(counties=counties, services=wanted,
                                                             insurance=covered),
            "all four": DirectoryFilters(counties=counties, services=wanted, insurance=covered,
                                         agency=agency),
        }[kind]
        out.append((kind, filters, 1 if rng.random() < 0.9 else rng.randint(2, 4)))
    return out


ALL = "all"


def measure(url: str, count: int, seed: int) -> tuple[int, list[dict]]:
    """Times ``count`` directory searches (after 20 warm-up ones), each searching as a program
    drawn from the data (left out of its own results, as the page does): (programs in the
    database, a row per kind of search and overall, with the mean number found)."""
    from api.releases.routes import program_json

    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as db:
        total = db.scalar(select(func.count()).select_from(Program))
        agencies = list(db.scalars(select(Agency.name).order_by(Agency.id)))
        program_ids = list(db.scalars(select(Program.id).order_by(Program.id)))
    mix = directory_queries(agencies, count, seed)
    rng = random.Random(seed + 6)
    today = local_today()
    timings = Timings()
    totals: dict[str, list[int]] = {}

    def search(db, filters: DirectoryFilters, page: int):
        found = search_directory(db, filters, today, page=page, exclude_ids=[rng.choice(program_ids)])
        return found, [program_json(p) for p in found.items]

    with factory() as db:
        for _, filters, page in mix[: min(20, len(mix))]:
            search(db, filters, page)
            db.rollback()
        for done, (kind, filters, page) in enumerate(mix, 1):
            result = timings.timed((kind, ALL), lambda: search(db, filters, page))
            if result is None:
                db.rollback()
                continue
            found, _ = result
            for name in (kind, ALL):
                totals.setdefault(name, []).append(found.total)
            db.rollback()
            progress("directory search", done, len(mix))
    engine.dispose()
    rows = []
    for name in (*KINDS, ALL):
        found = totals.get(name, [])
        if not found and not timings.errors.get(name):
            continue  # a kind the mix did not draw
        rows.append({**timings.row(name), "name": f"directory: {name}",
                     "found": f"{sum(found) / len(found):,.0f}" if found else "",
                     "target": f"< {DIRECTORY_TARGET_MS} ms" if name == ALL else ""})
    return total, rows


COLUMNS = [("name", "search"), ("n", "n"), ("p50", "p50 ms"), ("p95", "p95 ms"), ("p99", "p99 ms"),
           ("errors", "errors"), ("found", "programs found (mean)")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.directory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    total, rows = measure(args.url, args.queries, args.seed)
    print(f"{total:,} programs, {args.queries} searches (seed {args.seed})\n\n{table(rows, COLUMNS)}")


if __name__ == "__main__":
    main()
