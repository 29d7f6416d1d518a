"""Benchmark of the reports: the report pages' latency (p50/p95/p99) and the CSV export's rows
per second, through a real server, on the benchmark's data set (``bench.dataset``).

    python -m bench.reports generate --referrals 1000000 --seed 7
    python -m bench.reports run

The database is ``connect_bench_reports`` on 127.0.0.1 unless ``--database`` says otherwise;
``generate`` replaces its contents with a network of about 600 programs and as many clients as
referrals (``bench.dataset`` says how they are drawn). ``run`` signs in through the login form
as a state-team member, a regional administrator and a gatekeeper, times each report page and
streams the CSV export with curl.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from bench.client_search import local_today
from bench.dataset import ADMIN_USER, GATEKEEPER_USER, PASSWORD, STATE_USER, Sizes, anchor, load
from bench.stats import Timings, progress, table

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/connect_bench_reports"
REPORT_PROGRAMS = 600
ROOT = Path(__file__).resolve().parent.parent


# --- runner ----------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(url: str):
    """An API server (uvicorn, one process) on ``url``, on a free port; yields its base URL."""
    port = _free_port()
    var = Path(os.environ.get("TMPDIR", "/tmp")) / f"connect-bench-{port}"
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "development", "VAR_DIR": str(var),
           "SECRET_KEY": secrets.token_urlsafe(32), "PAYLOAD_KEY": secrets.token_hex(32),
           "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.main:build", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if process.poll() is not None:
                raise RuntimeError(f"the API server stopped (exit {process.returncode})")
            time.sleep(0.1)
        else:
            raise RuntimeError("the API server did not answer /healthz within 30 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def signed_in(base: str, email: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=120, headers={"accept": "text/html"})
    form = http.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = http.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"signing in as {email} failed: {answer.status_code} {answer.text[:300]}")
    return http


def pages() -> dict[str, list[str]]:
    """The pages each sign-in times: the defaults, and for the state team wider periods too."""
    year_ago = (local_today() - timedelta(days=364)).isoformat()
    return {
        STATE_USER: ["/reports/delays", "/reports/delays?status=any", "/reports/delays?status=any&page=200",
                     "/reports/delays?status=Enrolled+in+Services", "/reports/outcomes", "/reports/from-agency",
                     "/reports/to-agency", "/reports/to-agency?partners_page=100", "/reports/dashboard",
                     "/reports/agencies",
                     "/reports/agencies?county=Yellowstone&service=mental_health",
                     # wider than the defaults: a year of measures, every referral ever sent
                     f"/reports/dashboard?sent_from={year_ago}", "/reports/dashboard?sent_from=2000-01-01",
                     "/reports/outcomes?sent_from=2000-01-01", "/reports/to-agency?sent_from=2000-01-01"],
        ADMIN_USER: ["/reports/delays", "/reports/delays?status=any", "/reports/outcomes", "/reports/from-agency",
                     "/reports/to-agency", "/reports/dashboard"],
        GATEKEEPER_USER: ["/reports/delays", "/reports/delays?status=any", "/reports/outcomes",
                          "/reports/from-agency", "/reports/to-agency"],
    }


CSV_PATH = "/api/v1/reports/delays.csv?status=any"
PAGE_TARGET_MS, CSV_TARGET = 1000, 50_000
COLUMNS = [("who", "who"), ("name", "page"), ("n", "n"), ("p50", "p50 ms"), ("p95", "p95 ms"),
           ("p99", "p99 ms"), ("errors", "errors"), ("per_second", "rows/s"), ("target", "target")]


def time_pages(base: str, repeat: int, who: tuple[str, ...] = (STATE_USER, ADMIN_USER, GATEKEEPER_USER),
               only: str = "") -> list[dict]:
    """Each page of ``pages()`` for the sign-ins ``who``, ``repeat`` times after 2 warm-ups: a row
    per page (a page that does not answer 200 counts as an error)."""
    rows = []
    for email in who:
        http = signed_in(base, email)
        chosen = [p for p in pages()[email] if only in p]
        for i, page in enumerate(chosen, 1):
            timings = Timings()
            for _ in range(2):  # warm caches
                http.get(page)
            for _ in range(repeat):
                t = time.perf_counter()
                try:
                    answer = http.get(page)
                except httpx.HTTPError:
                    timings.fail(page)
                    continue
                if answer.status_code != 200:
                    timings.fail(page)
                    continue
                timings.add(page, (time.perf_counter() - t) * 1000)
            rows.append({**timings.row(page), "who": email.split("@")[0][6:],
                         "target": f"p95 < {PAGE_TARGET_MS:,} ms"})
            progress(f"reports ({email.split('@')[0][6:]})", i, len(chosen))
        http.close()
    return rows


def time_csv(base: str, csv_path: str = CSV_PATH) -> dict:
    """Streams the export with curl into wc (so the client, in C, does not compete for the CPU
    with the server it measures), signed in with the session cookie of a state-team member."""
    http = signed_in(base, STATE_USER)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    t = time.perf_counter()
    curl = subprocess.Popen(["curl", "-sS", "--fail", "-H", f"Cookie: {cookie}", base + csv_path],
                            stdout=subprocess.PIPE)
    counted = subprocess.run(["wc", "-lc"], stdin=curl.stdout, capture_output=True, text=True, check=True)
    failed = curl.wait() != 0
    elapsed = time.perf_counter() - t
    lines, size = (int(x) for x in counted.stdout.split())
    rows = max(0, lines - 1)
    return {"who": "state", "name": f"CSV {csv_path}", "n": rows, "errors": int(failed),
            "seconds": elapsed, "bytes": size, "per_second": round(rows / elapsed) if elapsed else 0,
            "target": f"> {CSV_TARGET:,} rows/s"}


def measure(base: str, repeat: int, *, who=(STATE_USER,), csv_path: str | None = CSV_PATH,
            only: str = "") -> list[dict]:
    rows = time_pages(base, repeat, who, only)
    if csv_path:
        rows.append(time_csv(base, csv_path))
    return rows


async def run_reports(url: str, args, api_url: str | None = None) -> list[dict]:
    """The reports section of ``python -m bench``: each report page, signed in as the state team
    (``args.repeat`` times, 30 by default), and the full CSV export, against the API at
    ``api_url`` or, without one, a server started here on ``url``. Rows for bench.stats.table
    with ``COLUMNS``; the data set must be ``bench.dataset``'s (its sign-ins)."""
    repeat = getattr(args, "repeat", None) or (2 if getattr(args, "smoke", False) else 30)

    def work() -> list[dict]:
        if api_url:
            return measure(api_url, repeat)
        with server(url) as base:
            return measure(base, repeat)

    return await asyncio.to_thread(work)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="(re)create the bench database with N referrals")
    gen.add_argument("--referrals", type=int, default=1_000_000)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--now", type=date.fromisoformat, default=None,
                     help="anchor date of the data (default today)")
    runner = sub.add_parser("run", help="time the report pages and the CSV export")
    runner.add_argument("--repeat", type=int, default=30)
    runner.add_argument("--csv", default=CSV_PATH)
    runner.add_argument("--csv-only", action="store_true", help="skip the pages")
    runner.add_argument("--only", default="", help="time only the pages whose path contains this")
    args = parser.parse_args(argv)
    url = args.database.replace("postgresql://", "postgresql+psycopg://", 1)
    if args.command == "generate":
        load(url, Sizes(clients=args.referrals, referrals=args.referrals, programs=REPORT_PROGRAMS),
             args.seed, now=anchor(args.now))
        return
    with server(url) as base:
        who = () if args.csv_only else (STATE_USER, ADMIN_USER, GATEKEEPER_USER)
        rows = measure(base, args.repeat, who=who, only=args.only,
                       csv_path=None if args.only else args.csv)
    print(table(rows, COLUMNS))


if __name__ == "__main__":
    main()
