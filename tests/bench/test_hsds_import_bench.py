"""bench.hsds_import still runs (tiny size, its own SQLite file): three imports in their own
processes, the table printed. No time is asserted; the figures are in BENCHMARKS.md."""

from __future__ import annotations

import subprocess
import sys

from bench.hsds_import import edited, make_services
from directory_import.hsds_schema import errors_in


def test_the_generated_directory_is_valid_hsds_and_reproducible():
    services = make_services(20, seed=3)
    assert services == make_services(20, seed=3)
    assert all(errors_in("service", s) == [] for s in services)
    assert len(edited(make_services(500, seed=3), seed=3)) < 500


def test_the_benchmark_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    done = subprocess.run([sys.executable, "-m", "bench.hsds_import", "--url", url, "--services", "30", "--form", "csv"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 4 and "| 30 |" in rows[1]  # header, then the three imports
