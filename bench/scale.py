"""The sections of ``python -m bench`` that need data at state scale: the data set, search and
reports. One interface for the runner:

    add_arguments(parser)                    --clients --referrals --programs --seed --queries --repeat
    loaded = load_data(url, args)            the data set (bench.dataset.load), sizes from args
    rows = await run_search(url, args)       client search and directory search; SEARCH_COLUMNS
    rows = await run_reports(url, args, api_url=None)   report pages and CSV; REPORT_COLUMNS

Standalone, on a database of its own (its contents are replaced unless ``--no-generate``):

    python -m bench.scale --url URL [--clients N --referrals N --programs N] [--smoke]
                          [--only search reports] [--no-generate]

Sizes default to a million clients and referrals and 10,000 programs on PostgreSQL; SQLite, far
slower to load and to query at that size, defaults to 100,000 clients and referrals.
"""

from __future__ import annotations

import argparse
import asyncio

from bench import client_search, directory
from bench.dataset import SMOKE, Loaded, add_size_arguments, load, sizes_of
from bench.reports import COLUMNS as REPORT_COLUMNS
from bench.reports import run_reports
from bench.stats import table

__all__ = ["DATA_COLUMNS", "REPORT_COLUMNS", "SEARCH_COLUMNS", "add_arguments", "load_data", "run_reports",
           "run_search"]

SEARCH_COLUMNS = [("name", "search"), ("n", "n"), ("p50", "p50 ms"), ("p95", "p95 ms"), ("p99", "p99 ms"),
                  ("errors", "errors"), ("target", "p95 target"), ("on_page", "sought client on page 1"),
                  ("found", "in the results / programs found")]
DATA_COLUMNS = [("name", "data"), ("agencies", "agencies"), ("programs", "programs"), ("clients", "clients"),
                ("referrals", "referrals"), ("rois", "ROIs"), ("seconds", "seconds"),
                ("per_second", "clients + referrals / s")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_size_arguments(parser)
    parser.add_argument("--queries", type=int, default=None,
                        help="client and directory searches timed (default 2000; smoke 20)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="requests per report page (default 30; smoke 2)")


def load_data(url: str, args: argparse.Namespace) -> Loaded:
    """A fresh data set at ``url`` of the sizes in ``args`` (``--smoke``: tiny; flags not given:
    the database's defaults, a million clients and referrals on PostgreSQL, 100,000 on SQLite).
    It replaces the database's contents: call it before starting a stack on ``url``."""
    return load(url, sizes_of(args, url), getattr(args, "seed", 7))


def _queries(args) -> int:
    return getattr(args, "queries", None) or (20 if getattr(args, "smoke", False) else 2000)


async def run_search(url: str, args) -> list[dict]:
    """Client search through ``models.clients.search.search_clients`` (the query mix of
    bench.client_search, and the duplicate check) and directory search through
    ``models.agencies.directory.search_directory`` plus the endpoint's JSON (the four filters mixed):
    rows for bench.stats.table with ``SEARCH_COLUMNS``."""
    seed, count = getattr(args, "seed", 7), _queries(args)

    def work() -> list[dict]:
        _, clients = client_search.measure(url, count, seed)
        _, programs = directory.measure(url, count, seed)
        return clients + programs

    return await asyncio.to_thread(work)


async def _main(args: argparse.Namespace) -> None:
    parts = []
    if args.generate:
        print(f"generating {sizes_of(args, args.url)} (seed {args.seed})", flush=True)
        parts.append(table([load_data(args.url, args).row()], DATA_COLUMNS))
    if "search" in args.only:
        parts.append(table(await run_search(args.url, args), SEARCH_COLUMNS))
    if "reports" in args.only:
        parts.append(table(await run_reports(args.url, args), REPORT_COLUMNS))
    print("\n" + "\n\n".join(parts))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="database URL")
    add_arguments(parser)
    parser.add_argument("--smoke", action="store_true", help=f"tiny sizes: {SMOKE}")
    parser.add_argument("--only", nargs="*", default=["search", "reports"], choices=["search", "reports"])
    parser.add_argument("--no-generate", dest="generate", action="store_false",
                        help="use the data already at --url")
    asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
