"""The benchmark's sections, each measured against a running stack, and the tables they print."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bench import scale
from bench.dataset import Loaded
from bench.interactive import run_interactive
from bench.journey import STEPS, run_journeys
from bench.mirror import SIMPLE, describe, journey_shapes, run_mirror
from bench.network import build_pairs
from bench.stack import Stack
from bench.stats import table
from connect.temporal import connect_client
from domain.business_days import LOCAL

NAMES = ("journey", "ceiling", "interactive", "search", "reports")
DATA_SECTIONS = ("search", "reports")

LATENCY = [("name", "step"), ("n", "n"), ("p50", "p50 ms"), ("p95", "p95 ms"), ("p99", "p99 ms"),
           ("errors", "errors")]
RATE = [("name", "measure"), ("runs", "runs"), ("per_second", "per second"), ("p50", "p50 ms"),
        ("p95", "p95 ms"), ("p99", "p99 ms"), ("errors", "errors")]


@dataclass
class Results:
    """Titled tables and notes, printed in the order the sections ran."""

    blocks: list[tuple[str, str]] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)

    def add(self, title: str, rows: list[dict], columns: list[tuple[str, str]], note: str = "") -> None:
        self.blocks.append((title, table(rows, columns) + (f"\n\n{note}" if note else "")))

    def render(self) -> str:
        return "\n\n".join(f"#### {title}\n\n{body}" for title, body in self.blocks)


def wanted(args, name: str) -> bool:
    return args.only is None or name in args.only


def wants_data(args) -> bool:
    """Whether the run loads the state-scale data set first (the search and reports sections
    need it; the other sections then run on top of it, as on a network in use)."""
    return any(wanted(args, name) for name in DATA_SECTIONS)


async def run_all(stack: Stack, args, data: Loaded | None = None) -> Results:
    results = Results()
    if data is not None:
        results.add("Data set", [data.row()], scale.DATA_COLUMNS)
    client = await connect_client(stack.settings, address=stack.temporal_address)
    pairs = build_pairs(stack.settings.database_url, max(args.concurrency, 3), datetime.now(LOCAL).date())
    # One journey alone first: it warms the stack up and shows what Temporal work a journey is.
    since = datetime.now(timezone.utc)
    warm = await run_journeys(stack.api_url, pairs, concurrency=1, runs=1, label="warm-up journey")
    if warm.failures:
        raise RuntimeError(f"the warm-up journey failed: {warm.failures[0]}")
    shapes = await journey_shapes(client, since)
    trails = list(warm.trails)

    if wanted(args, "journey"):
        journeys = await run_journeys(stack.api_url, pairs, concurrency=args.concurrency, runs=args.runs,
                                      first=1)
        trails += journeys.trails
        mirror = await run_mirror(client, shapes, concurrency=args.concurrency, runs=args.runs)
        ratio = journeys.per_second / mirror.per_second if mirror.per_second else 0.0
        results.figures.update(journeys_per_second=journeys.per_second,
                               mirror_per_second=mirror.per_second, ratio=ratio)
        results.add(
            f"Closed-loop throughput: {args.concurrency} API clients, {args.runs} journeys",
            [{**journeys.timings.row("journey"), "name": "CONNECT journey over HTTP", "runs": journeys.completed,
              "per_second": journeys.per_second},
             {**mirror.timings.row("mirror journey"), "name": "raw Temporal, same work with empty bodies",
              "runs": args.runs, "per_second": mirror.per_second}],
            RATE,
            f"Ratio CONNECT / raw Temporal: **{ratio:.2f}**. One journey is {describe(shapes)}."
            + (f"\n\nFirst failure: {journeys.failures[0]}" if journeys.failures else ""))
        results.add("Journey steps (each an HTTP call)", [journeys.timings.row(s) for s in STEPS], LATENCY)

    if wanted(args, "ceiling"):
        ceiling = await run_mirror(client, SIMPLE, concurrency=args.concurrency, runs=args.runs, wait=True,
                                   label="raw Temporal ceiling")
        results.figures["simple_ceiling_per_second"] = ceiling.per_second
        results.add("Raw Temporal, the issue's simple workflow (start, 2 signals, 1 activity, completed)",
                    [{**ceiling.timings.row("mirror journey"), "name": "simple workflow", "runs": args.runs,
                      "per_second": ceiling.per_second}], RATE)

    if wanted(args, "interactive"):
        [probe] = (await run_journeys(stack.api_url, pairs, concurrency=1, runs=1, first=args.runs + 1,
                                      until="assign", label="probe referral")).trails
        t0 = time.perf_counter()
        timings = await run_interactive(stack.api_url, trails, probe, users=args.users, seconds=args.seconds,
                                        think=args.think)
        elapsed = time.perf_counter() - t0
        clicks = sorted(n for n in timings.samples if n.startswith(("page:", "api:")))
        every = [v for n in clicks for v in timings.samples[n]]
        timings.samples["all pages and API reads"] = every
        results.add(
            f"Interactive latency: {args.users} people, think time {args.think:g} s, {args.seconds:g} s",
            [timings.row(n) for n in ["all pages and API reads", *clicks]], LATENCY,
            f"{len(every) / elapsed:.1f} requests per second in all.")
        results.add("Signal-to-visible: a provider's status update, seen by the sending program",
                    [timings.row("signal-to-visible"), timings.row("status update (the probe's call)")], LATENCY)

    url = stack.settings.database_url
    if wanted(args, "search"):
        results.add("Search", await scale.run_search(url, args), scale.SEARCH_COLUMNS)
    if wanted(args, "reports"):
        results.add("Reports", await scale.run_reports(url, args, api_url=stack.api_url), scale.REPORT_COLUMNS)
    return results
