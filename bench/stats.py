"""Latency statistics and the printed table."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Timings:
    """Latencies in milliseconds, by name."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, ms: float) -> None:
        self.samples.setdefault(name, []).append(ms)

    def fail(self, name: str) -> None:
        self.errors[name] = self.errors.get(name, 0) + 1

    def timed(self, names: tuple[str, ...], call):
        """Runs ``call`` and records its time under each of ``names``; a failure is counted under
        each instead, and gives None."""
        begin = time.perf_counter()
        try:
            result = call()
        except Exception:  # noqa: BLE001 - counted in the table's errors column
            for name in names:
                self.fail(name)
            return None
        ms = (time.perf_counter() - begin) * 1000
        for name in names:
            self.add(name, ms)
        return result

    def row(self, name: str) -> dict:
        v = self.samples.get(name, [])
        return {
            "name": name, "n": len(v), "errors": self.errors.get(name, 0),
            "p50": percentile(v, 50), "p95": percentile(v, 95), "p99": percentile(v, 99),
            "mean": statistics.fmean(v) if v else 0.0,
        }


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A Markdown table from dict rows; columns are (key, heading)."""
    def fmt(value) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    head = "| " + " | ".join(h for _, h in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(fmt(r.get(k, "")) for k, _ in columns) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def progress(label: str, done: int, total: int) -> None:
    """A bar redrawn in place on a terminal; a line per tenth elsewhere (logs, CI)."""
    width = 30
    filled = int(width * done / total) if total else width
    line = f"  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    if sys.stdout.isatty():
        print("\r" + line, end="\n" if done >= total else "", flush=True)
    elif total and (done == total or done % max(1, total // 10) == 0):
        print(line, flush=True)
