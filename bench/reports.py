"""Benchmark of the reports on PostgreSQL: a Montana-shaped network with N referrals, then the
report pages' latency (p50/p95/p99) and the CSV export's rows per second, through a real server.

    python -m bench.reports generate --referrals 1000000 --seed 7
    python -m bench.reports run

The database is ``connect_bench_reports`` on 127.0.0.1 unless ``--database`` says otherwise; the
generator drops and recreates its schema. The data: ~600 programs of ~400 agencies, placed in
counties weighted by population; referrals mostly within the sender's region; a realistic mix of
outcomes and times (lognormal delays; about 1 in 14 referrals waits past 5 business days and is
escalated). Only the columns the schema requires are filled for clients and ROIs (no roi_program
rows). Referral rows are finally laid out in order of sending (CLUSTER), as a table written over
the years would be. Everything is reproducible from the seed and the anchor date.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from domain.business_days import add_business_days
from domain.montana import COUNTIES, counties_in_region
from domain.referral_status import ServiceStatus as SS
from domain.taxonomy import INSURANCE_TYPES, SERVICES, codes

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/connect_bench_reports"
PASSWORD = "Bench-Reports-2025!"
STATE_USER, ADMIN_USER, GATEKEEPER_USER = ("bench-state@example.org", "bench-admin4@example.org",
                                           "bench-gatekeeper@example.org")
ROOT = Path(__file__).resolve().parent.parent


# --- generator ---------------------------------------------------------------------------------

def _lognormal_hours(rng: random.Random, median_h: float, sigma: float) -> timedelta:
    return timedelta(hours=median_h * math.exp(rng.gauss(0, sigma)))


class Network:
    """Agencies, programs and staff placed across Montana."""

    def __init__(self, rng: random.Random, agencies: int):
        weights = [c.population ** 0.6 for c in COUNTIES]
        self.programs: list[dict] = []
        self.agencies: list[str] = []
        service_codes, insurance_codes = codes(SERVICES), codes(INSURANCE_TYPES)
        for a in range(agencies):
            county = rng.choices(COUNTIES, weights)[0]
            name = f"{county.seat} {rng.choice(['Community', 'Family', 'Health', 'Housing', 'Care', 'Hope'])} " \
                   f"{rng.choice(['Services', 'Center', 'Alliance', 'Network', 'Partners'])} {a + 1}"
            self.agencies.append(name)
            for p in range(rng.choices([1, 2, 3], [60, 30, 10])[0]):
                region_counties = counties_in_region(county.region)
                tele = rng.sample(region_counties, k=min(len(region_counties), rng.randrange(0, 4)))
                self.programs.append({
                    "agency": a, "name": name if p == 0 else f"Program {p + 1}", "county": county.name,
                    "region": county.region, "weight": county.population ** 0.5 * rng.uniform(0.3, 3),
                    "services": rng.sample(service_codes, k=rng.randrange(1, 4)),
                    "insurance": rng.sample(insurance_codes, k=rng.randrange(1, 5)),
                    "telemedicine": [c for c in tele if c != county.name],
                })
        self.by_region: dict[int, list[int]] = {}
        for i, p in enumerate(self.programs):
            self.by_region.setdefault(p["region"], []).append(i)
        self.weights = [p["weight"] for p in self.programs]
        self.region_weights = {r: [self.weights[i] for i in ids] for r, ids in self.by_region.items()}


CLOSED_AFTER_ENROLLMENT = [(SS.CLOSED_SUCCESSFUL_COMPLETION, 60), (SS.NOT_COMPLETED_DROPPED_OUT, 12),
                           (SS.NOT_COMPLETED_MOVED_OUT_OF_AREA, 5), (SS.NOT_COMPLETED_WHEREABOUTS_UNKNOWN, 8),
                           (SS.CLOSED_REFERRED_TO_OTHER_PROGRAM, 15)]
CLOSED_WITHOUT_ENROLLMENT = [(SS.NOT_STARTED_DECLINED_SERVICES, 35), (SS.NOT_STARTED_MOVED_OUT_OF_AREA, 5),
                             (SS.NOT_STARTED_REFERRED_TO_OTHER_PROGRAM, 30), (SS.CLOSED_REFERRED_TO_OTHER_PROGRAM, 15),
                             (SS.CLOSED_SUCCESSFUL_COMPLETION, 15)]
OPEN_STATUSES = [(SS.ENROLLED_IN_SERVICES, 60), (SS.ON_WAITING_LIST, 15), (SS.NOT_STARTED_ON_WAITING_LIST, 15),
                 (SS.OTHER, 10)]


def _pick(rng: random.Random, table):
    return rng.choices([s for s, _ in table], [w for _, w in table])[0].value


def referral_story(rng: random.Random, sent: datetime | None, now: datetime) -> dict:
    """The state, Referral Status and times of one referral sent at ``sent`` (None: unsent)."""
    story = {"state": "pending", "service_status": None, "sent_at": sent, "acknowledged_at": None,
             "first_contact_at": None, "enrolled_at": None, "closed_at": None, "declined_at": None,
             "escalated_at": None, "updated_at": sent or now}
    if sent is None:
        return story
    ack = sent + _lognormal_hours(rng, 20, 1.3)
    escalation = add_business_days(sent, 5)
    if min(ack, now) >= escalation:
        story["escalated_at"] = escalation
    if ack > now:
        return {**story, "state": "sent", "updated_at": story["escalated_at"] or sent}
    roll = rng.random()
    if roll < 0.07:
        return {**story, "state": "declined", "declined_at": ack, "updated_at": ack}
    if roll < 0.10:
        return {**story, "state": "withdrawn", "updated_at": sent + (ack - sent) / 2,
                "escalated_at": None}
    story.update(state="assigned", acknowledged_at=ack, updated_at=ack)
    moment = ack
    if rng.random() < 0.82:
        contact = ack + _lognormal_hours(rng, 30, 1.0)
        if contact <= now:
            story.update(first_contact_at=contact, updated_at=contact)
            moment = contact
            if rng.random() < 0.58:
                enrolled = contact + _lognormal_hours(rng, 24 * 6, 0.8)
                if enrolled <= now:
                    story.update(enrolled_at=enrolled, service_status=SS.ENROLLED_IN_SERVICES.value,
                                 updated_at=enrolled)
                    moment = enrolled
    closing = moment + _lognormal_hours(rng, 24 * (30 if story["enrolled_at"] else 10), 0.9)
    if closing <= now and rng.random() < 0.93:
        if story["enrolled_at"]:
            status = _pick(rng, CLOSED_AFTER_ENROLLMENT)
        elif story["first_contact_at"]:
            status = _pick(rng, CLOSED_WITHOUT_ENROLLMENT)
        else:
            status = SS.NOT_STARTED_UNABLE_TO_CONTACT.value
        story.update(state="closed", service_status=status, closed_at=closing, updated_at=closing)
    elif story["first_contact_at"] and not story["enrolled_at"] and rng.random() < 0.5:
        story["service_status"] = _pick(rng, OPEN_STATUSES)
    return story


def generate(url: str, referrals: int, seed: int, now: datetime, years: float = 3.0) -> None:
    from connect.migrate import migrate
    from connect.security import hash_password
    from domain.matching import search_keys

    rng = random.Random(seed)
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    migrate(url.replace("postgresql://", "postgresql+psycopg://", 1))
    net = Network(rng, agencies=400)
    password_hash = hash_password(PASSWORD)
    today = now.date()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY agency (id, name, created_at) FROM STDIN") as copy:
            for i, name in enumerate(net.agencies):
                copy.write_row((i + 1, name, now))
        with cur.copy("COPY program (id, agency_id, name, description, region, phone, email, address, "
                      "website, is_part2, is_active, mou_expires_on, created_at) FROM STDIN") as copy:
            for i, p in enumerate(net.programs):
                copy.write_row((i + 1, p["agency"] + 1, p["name"], "", p["region"], "4065550100",
                                f"program{i + 1}@example.org", "", "", False, True,
                                today + timedelta(days=200), now))
        with cur.copy("COPY program_service (program_id, service) FROM STDIN") as copy:
            for i, p in enumerate(net.programs):
                for s in p["services"]:
                    copy.write_row((i + 1, s))
        with cur.copy("COPY program_insurance (program_id, insurance) FROM STDIN") as copy:
            for i, p in enumerate(net.programs):
                for s in p["insurance"]:
                    copy.write_row((i + 1, s))
        with cur.copy("COPY program_county (program_id, county, telemedicine) FROM STDIN") as copy:
            for i, p in enumerate(net.programs):
                copy.write_row((i + 1, p["county"], False))
                for c in p["telemedicine"]:
                    copy.write_row((i + 1, c, True))
        # Staff: a gatekeeper and two providers per program, plus the three bench sign-ins.
        biggest_agency = max(range(len(net.agencies)),
                             key=lambda a: sum(p["weight"] for p in net.programs if p["agency"] == a))
        users, memberships, admin_regions = [], [], []
        for i, _ in enumerate(net.programs):
            for role in ("gatekeeper", "provider-a", "provider-b"):
                users.append((len(users) + 1, f"{role}.{i + 1}@example.org", f"Staff {role} {i + 1}"))
                memberships.append((len(users), i + 1, role == "gatekeeper", role != "gatekeeper"))
        for email in (STATE_USER, ADMIN_USER, GATEKEEPER_USER):
            users.append((len(users) + 1, email, email.split("@")[0]))
        state_id, admin_id, gk_id = len(users) - 2, len(users) - 1, len(users)
        admin_regions.append((admin_id, 4))
        # One membership, so signing in picks the program; the agency scope covers its siblings.
        first = next(i for i, p in enumerate(net.programs) if p["agency"] == biggest_agency)
        memberships.append((gk_id, first + 1, True, False))
        with cur.copy("COPY app_user (id, email, full_name, password_hash, must_change_password, is_active, "
                      "is_state_team, mou_expires_on, created_at, previous_password_hashes) FROM STDIN") as copy:
            for uid, email, name in users:
                copy.write_row((uid, email, name, password_hash, False, True, uid == state_id,
                                today + timedelta(days=300), now, "[]"))
        with cur.copy("COPY membership (id, user_id, program_id, is_gatekeeper, is_provider) FROM STDIN") as copy:
            for mid, (uid, pid, gk, prov) in enumerate(memberships, 1):
                copy.write_row((mid, uid, pid, gk, prov))
        with cur.copy("COPY admin_region (user_id, region) FROM STDIN") as copy:
            for row in admin_regions:
                copy.write_row(row)
        print(f"network: {len(net.agencies)} agencies, {len(net.programs)} programs, {len(users)} users "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)

        keys = search_keys("Bench", "Client")
        start = now - timedelta(days=365 * years)
        span = (now - start).total_seconds()
        client_cols = ("id, first_name, last_name, dob, gender_identity, races, military_service, address, "
                       "city, county, zip, no_fixed_address, best_way_to_reach, email, first_folded, "
                       "last_folded, first_phonetic, last_phonetic, first_canonical, created_by_program_id, "
                       "created_by_user_id, created_at, updated_at")
        roi_cols = ("id, client_id, sending_program_id, created_by_user_id, state, information_types, "
                    "purpose, authorizer_kind, authorizer_name, authorizer_relationship, signature_method, "
                    "signature_name, signature_phone, signed_at, expires_on, revoke_reason, rendered_text, "
                    "text_sha256, created_at, updated_at")
        ref_cols = ("id, client_id, roi_id, sending_program_id, receiving_program_id, sender_user_id, state, "
                    "service_status, assigned_provider_id, assigned_by_user_id, reason, form_data, "
                    "insurance_confirmed, decline_reason, created_at, updated_at, sent_at, acknowledged_at, "
                    "first_contact_at, enrolled_at, closed_at, declined_at, escalated_at")
        clients, rois, refs = [], [], []
        n = client_id = 0
        while n < referrals:
            client_id += 1
            sender = rng.choices(range(len(net.programs)), net.weights)[0]
            region = net.programs[sender]["region"]
            sender_user = sender * 3 + rng.choice((2, 3))
            # Later referrals are more frequent: the network grows over the years.
            first_sent = start + timedelta(seconds=span * math.sqrt(rng.random()))
            county = net.programs[sender]["county"]
            clients.append((client_id, "Bench", f"Client{client_id}", date(1960 + client_id % 50, 1 + client_id % 12, 1),
                            "prefer_not_to_say", "[]", "prefer_not_to_say", "1 Main St", "Town", county,
                            "59601", False, "", "", keys["first_folded"], f"client{client_id}",
                            keys["first_phonetic"], keys["last_phonetic"], keys["first_canonical"],
                            sender + 1, sender_user, first_sent, first_sent))
            rois.append((client_id, client_id, sender + 1, sender_user, "signed",
                         '["contact_information"]', "Referral", "self", "Bench Client", "", "esign",
                         "Bench Client", "", first_sent, first_sent.date() + timedelta(days=365), "",
                         "(bench)", "0" * 64, first_sent, first_sent))
            k = min(rng.choices([1, 2, 3], [70, 22, 8])[0], referrals - n)
            chosen: set[int] = set()
            for j in range(k):
                while True:
                    if rng.random() < 0.78:
                        receiver = net.by_region[region][rng.choices(range(len(net.by_region[region])),
                                                                     net.region_weights[region])[0]]
                    else:
                        receiver = rng.choices(range(len(net.programs)), net.weights)[0]
                    if receiver not in chosen:
                        chosen.add(receiver)
                        break
                sent = first_sent + timedelta(days=j * rng.uniform(0, 20))
                sent = min(sent, now - timedelta(minutes=1))
                story = referral_story(rng, None if rng.random() < 0.01 else sent, now)
                provider = receiver * 3 + rng.choice((2, 3)) if story["acknowledged_at"] else None
                n += 1
                refs.append((n, client_id, client_id, sender + 1, receiver + 1, sender_user, story["state"],
                             story["service_status"], provider, receiver * 3 + 1 if provider else None,
                             "", "{}", True, "", sent, story["updated_at"], story["sent_at"],
                             story["acknowledged_at"], story["first_contact_at"], story["enrolled_at"],
                             story["closed_at"], story["declined_at"], story["escalated_at"]))
            if len(refs) >= 50_000 or n >= referrals:
                for table, cols, rows in (("client", client_cols, clients), ("roi", roi_cols, rois),
                                          ("referral", ref_cols, refs)):
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                clients, rois, refs = [], [], []
                conn.commit()
                print(f"  {n:,} referrals ({time.perf_counter() - t0:.0f} s)", flush=True)
        for table in ("agency", "program", "app_user", "membership", "client", "roi", "referral"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        # Referrals are written as they are made, so in a real database the rows of one period sit
        # together; this generator writes them client by client. Put them back in time order.
        conn.execute("CLUSTER referral USING ix_referral_sent_at")
        conn.execute("VACUUM ANALYZE")
    summarise_months(url, now)
    print(f"generated {referrals:,} referrals for {client_id:,} clients in {time.perf_counter() - t0:.0f} s")


def summarise_months(url: str, now: datetime) -> None:
    """The closed-loop dashboard's monthly summary, as the worker's schedule would have kept it
    (COPY bypasses the ORM hook that marks the months a change touches)."""
    from models.closed_loop_summary import refresh
    from models.db import make_engine, make_session_factory

    t0 = time.perf_counter()
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with make_session_factory(engine)() as db:
        months = refresh(db, now)
    engine.dispose()
    print(f"summarised {len(months)} months in {time.perf_counter() - t0:.0f} s", flush=True)


# --- runner ----------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(url: str):
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
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def signed_in(base: str, email: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=120, headers={"accept": "text/html"})
    form = http.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = http.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text[:300]
    return http


_YEAR_AGO = (date.today() - timedelta(days=364)).isoformat()
PAGES = {
    STATE_USER: ["/reports/delays", "/reports/delays?status=any", "/reports/delays?status=any&page=200",
                 "/reports/delays?status=Enrolled+in+Services", "/reports/outcomes", "/reports/from-agency",
                 "/reports/to-agency", "/reports/dashboard", "/reports/agencies",
                 "/reports/agencies?county=Yellowstone&service=mental_health",
                 # wider than the defaults: a year of measures, every referral ever sent
                 f"/reports/dashboard?sent_from={_YEAR_AGO}", "/reports/dashboard?sent_from=2000-01-01",
                 "/reports/outcomes?sent_from=2000-01-01", "/reports/to-agency?sent_from=2000-01-01"],
    ADMIN_USER: ["/reports/delays", "/reports/delays?status=any", "/reports/outcomes", "/reports/from-agency",
                 "/reports/to-agency", "/reports/dashboard"],
    GATEKEEPER_USER: ["/reports/delays", "/reports/delays?status=any", "/reports/outcomes",
                      "/reports/from-agency", "/reports/to-agency"],
}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1)]


def run(url: str, repeat: int, csv_path: str, pages: bool = True, only: str = "") -> None:
    with server(url) as base:
        if pages:
            time_pages(base, repeat, only)
        if not only:
            time_csv(base, csv_path)


def time_pages(base: str, repeat: int, only: str = "") -> None:
    if True:  # noqa: SIM108 - kept as a block
        print(f"{'who':<12} {'page':<58} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
        for email, pages in PAGES.items():
            http = signed_in(base, email)
            for page in (p for p in pages if only in p):
                for _ in range(2):  # warm caches
                    http.get(page)
                times = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    answer = http.get(page)
                    times.append((time.perf_counter() - t) * 1000)
                    assert answer.status_code == 200, (page, answer.status_code, answer.text[:300])
                print(f"{email.split('@')[0][6:]:<12} {page:<58} {_pct(times, .5):7.0f} "
                      f"{_pct(times, .95):7.0f} {_pct(times, .99):7.0f}", flush=True)


def time_csv(base: str, csv_path: str) -> None:
    """Streams the export with curl into wc (so the client, in C, does not compete for the CPU
    with the server it measures), signed in with the session cookie of a state-team member."""
    http = signed_in(base, STATE_USER)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    t = time.perf_counter()
    curl = subprocess.Popen(["curl", "-sS", "--fail", "-H", f"Cookie: {cookie}", base + csv_path],
                            stdout=subprocess.PIPE)
    counted = subprocess.run(["wc", "-lc"], stdin=curl.stdout, capture_output=True, text=True, check=True)
    assert curl.wait() == 0, "the CSV export failed"
    elapsed = time.perf_counter() - t
    lines, size = (int(x) for x in counted.stdout.split())
    print(f"CSV {csv_path}: {lines - 1:,} rows, {size / 1e6:.0f} MB in {elapsed:.1f} s = "
          f"{(lines - 1) / elapsed:,.0f} rows/s", flush=True)


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
    runner.add_argument("--csv", default="/api/v1/reports/delays.csv?status=any")
    runner.add_argument("--csv-only", action="store_true", help="skip the pages")
    runner.add_argument("--only", default="", help="time only the pages whose path contains this")
    args = parser.parse_args(argv)
    url = args.database.replace("postgresql+psycopg://", "postgresql://", 1)
    if args.command == "generate":
        anchor = args.now or datetime.now(UTC).date()
        generate(url, args.referrals, args.seed, datetime(anchor.year, anchor.month, anchor.day, 18, tzinfo=UTC))
    else:
        run(url, args.repeat, args.csv, pages=not args.csv_only, only=args.only)


if __name__ == "__main__":
    main()
