"""Importing a state-sized HSDS 3.0 directory: 10,000 services of 2,500 organizations, as a 211
would hand them over (nested JSON, or the CSV package), into an empty database, then again
(nothing changed), then with 10% of the services edited and 1% gone.

Each import runs in its own process (``connect import-hsds``'s code path: read, schema check,
match, write, one transaction), which reports its wall time and its peak memory (the process's
peak resident set, and its resident set before it read the file: CONNECT's code loaded).

    python -m bench.hsds_import --url URL [--services 10000] [--form json|csv] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from domain.hsds_terms import INSURANCE_TAXONOMY, SERVICE_TAXONOMY, county_area_name
from domain.montana import COUNTIES
from domain.taxonomy import INSURANCE_TYPES, SERVICES, codes

from directory_import.importer import import_directory  # noqa: E402  (loaded before the baseline)
from directory_import.sources import read_path  # noqa: E402
from models.db import make_engine, make_session_factory, transaction  # noqa: E402



def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MB (Linux). Unlike getrusage's maximum,
    the peak starts afresh at exec, so it is the import's own and not its parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise LookupError(field)


BASELINE_RSS_MB = _status_mb("VmRSS")

AIRS = [(f"X{n:02d}-{n * 37 % 1000:04d}", f"211 term {n}") for n in range(40)]  # mapped in the database


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def make_services(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    orgs = [{"id": _id(rng), "name": f"Benchmark Agency {n:05d}", "description": "An agency."}
            for n in range(max(1, count // 4))]
    services = []
    for n in range(count):
        sid, lid, org = _id(rng), _id(rng), rng.choice(orgs)
        home = rng.choice(COUNTIES).name
        counties = {home} | {rng.choice(COUNTIES).name for _ in range(rng.randint(0, 4))}
        terms = [{"id": SERVICE_TAXONOMY.term_id(c), "code": c, "name": c, "description": c, "taxonomy": "CONNECT services"}
                 for c in rng.sample(codes(SERVICES), rng.randint(1, 3))]
        terms += [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, code)), "code": code, "name": name, "description": name,
                   "taxonomy": "AIRS"} for code, name in rng.sample(AIRS, rng.randint(0, 2))]
        terms += [{"id": INSURANCE_TAXONOMY.term_id(c), "code": c, "name": c, "description": c,
                   "taxonomy": "CONNECT insurance types"} for c in rng.sample(codes(INSURANCE_TYPES), rng.randint(1, 4))]
        services.append({
            "id": sid, "organization_id": org["id"], "organization": org, "name": f"Program {n:05d}",
            "description": "A benchmark program. " * rng.randint(1, 6), "status": "active",
            "url": f"https://program{n}.example", "email": f"intake{n}@example.org",
            "phones": [{"id": _id(rng), "number": f"(406) 555-{n % 10000:04d}"}],
            "service_areas": [{"id": _id(rng), "name": county_area_name(c),
                               "description": "By telemedicine" if rng.random() < 0.1 else "In person"}
                              for c in sorted(counties)],
            "service_at_locations": [{"id": _id(rng), "location_id": lid, "location": {
                "id": lid, "location_type": "physical", "addresses": [{
                    "id": _id(rng), "location_id": lid, "address_1": f"{n} Main Street", "city": "Helena",
                    "state_province": "MT", "postal_code": "59601", "country": "US", "address_type": "physical"}]}}],
            "attributes": [{"id": _id(rng), "link_id": sid, "link_entity": "service", "taxonomy_term_id": t["id"],
                            "taxonomy_term": t} for t in terms],
        })
    return services


def edited(services: list[dict], seed: int) -> list[dict]:
    """10% renamed, 1% left out."""
    rng = random.Random(seed + 1)
    out = []
    for s in services:
        r = rng.random()
        if r < 0.01:
            continue
        out.append({**s, "name": s["name"] + " (renamed)"} if r < 0.11 else s)
    return out


def write(services: list[dict], folder: Path, form: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if form == "json":
        path = folder / "directory.json"
        path.write_text(json.dumps({"services": services}), encoding="utf-8")
        return path
    from directory_import.tabular import write_package

    write_package(services, folder / "package")
    return folder / "package"


def run_one(url: str, path: Path) -> dict:
    """One import in this process, as `connect import-hsds` does it; what it took."""
    engine = make_engine(url)
    started = time.perf_counter()
    services = read_path(path)
    read = time.perf_counter() - started
    with transaction(make_session_factory(engine)) as db:
        report = import_directory(db, services, source="bench")
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": round(seconds, 2), "read_seconds": round(read, 2),
            "peak_rss_mb": _status_mb("VmHWM"),
            "baseline_rss_mb": BASELINE_RSS_MB, **report.counts()}


def prepare(url: str) -> None:
    from connect.migrate import migrate
    from models.hsds import HsdsTermMapping

    migrate(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as db:
        services = codes(SERVICES)
        for n, (code, name) in enumerate(AIRS):
            db.add(HsdsTermMapping(taxonomy="AIRS", code=code, name=name, service=services[n % len(services)]))
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.hsds_import", description=__doc__)
    p.add_argument("--url", required=True, help="an empty database (migrated here)")
    p.add_argument("--services", type=int, default=10_000)
    p.add_argument("--form", choices=("json", "csv"), default="json")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.url, Path(args.child))), flush=True)
        # After a 10,000-program import (committed, measured, printed) this process has been seen
        # to crash in the interpreter's final garbage collection (SIGSEGV, no Python frame, with
        # SQLAlchemy's Cython and psycopg's binary extensions loaded): an open finding of
        # BENCHMARKS.md. The measurement ends here, so the process ends here too.
        os._exit(0)
    prepare(args.url)
    services = make_services(args.services, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for label, data in (("first import (empty database)", services), ("same file again", services),
                            ("10% edited, 1% removed", edited(services, args.seed))):
            path = write(data, Path(tmp) / label.split()[0], args.form)
            size = sum(f.stat().st_size for f in ([path] if path.is_file() else path.iterdir()))
            child = subprocess.run([sys.executable, "-X", "faulthandler", "-m", "bench.hsds_import", "--url", args.url,
                                    "--child", str(path)], capture_output=True, text=True)
            if child.returncode != 0:
                sys.exit(f"{label}: the import process ended with {child.returncode}:\n{child.stderr[-4000:]}")
            result = json.loads(child.stdout.strip().splitlines()[-1])
            rows.append((label, len(data), size / 2**20, result))
            print(f"{label}: {result}", file=sys.stderr, flush=True)
    print(f"| {args.form} | services | file MB | seconds (read) | services/s | peak RSS MB (before) | "
          "created | updated | unchanged | removed |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, n, mb, r in rows:
        print(f"| {label} | {n:,} | {mb:.1f} | {r['seconds']} ({r['read_seconds']}) | {n / r['seconds']:,.0f} | "
              f"{r['peak_rss_mb']} ({r['baseline_rss_mb']}) | {r['created']:,} | {r['updated']:,} | "
              f"{r['unchanged']:,} | {r['removed']:,} |")


if __name__ == "__main__":
    main()
