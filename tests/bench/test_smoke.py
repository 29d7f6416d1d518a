"""`python -m bench --smoke` runs in the suite so the benchmark cannot rot: tiny sizes, the same
code paths (private stack, journeys over HTTP, the raw mirror, people at work, the probe). It
asserts that every section produced its rows without errors, never a time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]


def _database_args() -> list[str]:
    test_url = os.environ.get("CONNECT_TEST_DATABASE_URL")
    if not test_url:
        return ["--database", "sqlite"]
    # A database of its own beside the suite's, so the two never share rows.
    url = make_url(test_url).set(database=f"{make_url(test_url).database}_bench_smoke")
    return ["--database", "postgres", "--postgres-url", url.render_as_string(hide_password=False)]


def _rows(report: str, title: str) -> list[list[str]]:
    block = report.split(f"#### {title}", 1)[1].split("####", 1)[0]
    lines = [line for line in block.splitlines() if line.startswith("| ") and not line.startswith("| step")
             and not line.startswith("| measure") and not line.startswith("| process")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_the_benchmark_runs_every_section_without_errors(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bench", "--smoke", *_database_args()], cwd=ROOT,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = run.stdout

    [journey, mirror] = _rows(report, "Closed-loop throughput")
    assert journey[0] == "CONNECT journey over HTTP" and journey[1] == "4" and journey[-1] == "0"
    assert mirror[-1] == "0"
    assert re.search(r"One journey is 2 workflow starts \(1 ReleaseOfInformation, 1 Referral\), \d+ updates", report)

    steps = _rows(report, "Journey steps")
    assert [s[0] for s in steps] == ["create client", "start ROI", "complete ROI", "e-sign ROI", "send referral",
                                     "assign", "status update", "close"]
    assert all(s[1] == "4" and s[-1] == "0" for s in steps), steps

    clicks = _rows(report, "Interactive latency")
    assert clicks[0][0] == "all pages and API reads" and int(clicks[0][1]) > 0
    assert all(c[-1] == "0" for c in clicks), clicks

    [visible, _call] = _rows(report, "Signal-to-visible")
    assert int(visible[1]) > 0 and visible[-1] == "0"

    memory = dict((name, float(rss)) for name, rss in _rows(report, "Memory"))
    assert set(memory) == {"temporal", "worker-0", "api"} and all(v > 0 for v in memory.values())
