"""The benchmark's sections, each measured against a running stack."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.ceiling import run_ceiling
from bench.stack import Stack
from bench.stats import table
from connect.temporal import connect_client

NAMES = ("ceiling",)


@dataclass
class Results:
    ceiling: dict = field(default_factory=dict)
    latency_rows: list[dict] = field(default_factory=list)
    memory: list[dict] = field(default_factory=list)

    def render(self) -> str:
        parts = []
        if self.ceiling:
            parts.append(table([self.ceiling], [("name", "measure"), ("runs", "runs"),
                                                ("per_second", "per second"), ("p50", "p50 ms"),
                                                ("p95", "p95 ms"), ("p99", "p99 ms"), ("errors", "errors")]))
        if self.latency_rows:
            parts.append(table(self.latency_rows, [("name", "step"), ("n", "n"), ("p50", "p50 ms"),
                                                   ("p95", "p95 ms"), ("p99", "p99 ms"), ("errors", "errors")]))
        if self.memory:
            parts.append(table(self.memory, [("name", "process"), ("rss", "peak RSS MiB")]))
        return "\n\n".join(parts)


def wanted(args, name: str) -> bool:
    return args.only is None or name in args.only


async def run_all(stack: Stack, args) -> Results:
    results = Results()
    if wanted(args, "ceiling"):
        client = await connect_client(stack.settings, address=stack.temporal_address)
        ceiling = await run_ceiling(client, concurrency=args.concurrency, runs=args.runs)
        row = ceiling.timings.row("ceiling run")
        results.ceiling = {**row, "name": "raw Temporal: start + 2 signals + 1 activity",
                           "runs": ceiling.runs, "per_second": ceiling.per_second}
    return results
