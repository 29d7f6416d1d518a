"""`python -m bench` — CONNECT's benchmark suite (see BENCHMARKS.md).

Starts a private stack (Temporal dev server persisted to a file, worker, API) per database, runs
each section with progress shown, and prints one table per section. `--smoke` runs tiny sizes so
the suite can check that the benchmark still works.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench import scale, sections
from bench.stack import rss_mb, start_stack

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/connect_bench"
DATABASES = {
    "sqlite": lambda var, args: f"sqlite:///{var / 'bench.db'}",
    "postgres": lambda var, args: args.postgres_url,
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--database", choices=[*DATABASES, "both"], default="both")
    p.add_argument("--postgres-url", default=POSTGRES_URL,
                   help="the PostgreSQL database to use; it is dropped and created afresh")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: checks the benchmark runs")
    p.add_argument("--concurrency", type=int, default=20, help="concurrent journeys / API clients")
    p.add_argument("--runs", type=int, default=200, help="journeys (and raw ceiling runs)")
    p.add_argument("--users", type=int, default=50, help="people at work in the interactive section")
    p.add_argument("--seconds", type=float, default=60, help="how long the interactive section runs")
    p.add_argument("--think", type=float, default=1.0, help="mean think time between clicks, seconds")
    p.add_argument("--api-workers", type=int, default=1, help="uvicorn processes of the API")
    p.add_argument("--workers", type=int, default=1, help="worker.py processes")
    p.add_argument("--only", nargs="*", default=None, help=f"sections: {', '.join(sections.NAMES)}")
    scale.add_arguments(p)
    p.add_argument("--output", help="also write the tables (Markdown) to this file")
    p.add_argument("--keep", action="store_true", help="keep the stack's var/ directory")
    args = p.parse_args(argv)
    if args.smoke:
        args.concurrency, args.runs, args.users, args.seconds, args.think = 2, 4, 4, 3, 0.2
    return args


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def run(args: argparse.Namespace) -> str:
    chosen = list(DATABASES) if args.database == "both" else [args.database]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    report = [
        f"Run {dt.datetime.now().isoformat(timespec='minutes')} on {platform.node()} "
        f"({platform.processor() or platform.machine()}, {shutil.os.cpu_count()} cores), commit {commit or '?'}, "
        f"concurrency {args.concurrency}, runs {args.runs}, {args.users} users, "
        f"API processes {args.api_workers}, workers {args.workers}{' (smoke)' if args.smoke else ''}",
    ]
    for name in chosen:
        var = Path(tempfile.mkdtemp(prefix=f"connect-bench-{name}-"))
        url = DATABASES[name](var, args)
        data = None
        if name == "postgres":  # the data set is loaded into it, so it must exist first
            reset_postgres(url)
        if sections.wants_data(args):
            print(f"\n== {name}: loading the data set", flush=True)
            data = scale.load_data(url, args)
        print(f"\n== {name}: starting a private stack in {var}", flush=True)
        stack = start_stack(var, url, workers=args.workers, api_workers=args.api_workers)
        try:
            results = asyncio.run(sections.run_all(stack, args, data))
            results.add("Memory", [{"name": name, "rss": rss_mb(proc.pid)} for name, proc in stack.procs.items()],
                        [("name", "process"), ("rss", "peak RSS MiB")])
        finally:
            stack.stop()
            if not args.keep:
                shutil.rmtree(var, ignore_errors=True)
        report.append(f"\n### {name}\n")
        report.append(results.render())
    text = "\n".join(report)
    print("\n" + text)
    return text


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    text = run(args)
    if args.output:
        Path(args.output).write_text(text + "\n")


if __name__ == "__main__":
    main()
