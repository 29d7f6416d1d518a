"""The closed loop over HTTP, as API clients drive it.

One journey: the sending program's staff creates a client, starts an ROI for the receiving
program, completes it, the client e-signs, staff sends the referral; the receiving program's
gatekeeper assigns it to a provider, who updates the status to "Enrolled in Services" and then
closes it with "Closed - Successful completion". N journeys run at once, each on its own program
pair (`bench.network`); every step is timed (p50/p95/p99) and failures are counted, not hidden.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx

from bench.network import Pair
from bench.stats import Timings, progress

FIRST = ("Avery", "Blake", "Casey", "Dakota", "Emery", "Finley", "Harper", "Jordan", "Kendall", "Logan",
         "Morgan", "Parker", "Quinn", "Reese", "Riley", "Rowan", "Sawyer", "Skyler", "Taylor", "Winona")
LAST = ("Anderson", "Bighorn", "Carlson", "Dawes", "Erickson", "Fisher", "Gustafson", "Hansen", "Iron Cloud",
        "Jensen", "Kline", "Larson", "Madsen", "Nordquist", "Olson", "Pretty On Top", "Quist", "Running Crane",
        "Schultz", "Two Bulls")

STEPS = ("create client", "start ROI", "complete ROI", "e-sign ROI", "send referral", "assign",
         "status update", "close")

ROI_TERMS = {"information_types": ["contact_information", "reason_for_referral"],
             "purpose": "Referral for food assistance", "authorizer_kind": "self"}


class StepFailed(Exception):
    def __init__(self, step: str, response: httpx.Response):
        super().__init__(f"{step}: HTTP {response.status_code} {response.text[:300]}")
        self.step = step


def letters(n: int) -> str:
    """``n`` spelled in letters (a, b, ..., z, ba, bb, ...): names take no digits."""
    text = ""
    while True:
        n, digit = divmod(n, 26)
        text = "abcdefghijklmnopqrstuvwxyz"[digit] + text
        if not n:
            return text.capitalize()


def client_body(n: int, rng: random.Random) -> dict:
    """A complete, valid client whose name and date of birth are unique to journey ``n``."""
    dob = date(1950, 1, 1) + timedelta(days=(n * 37) % 20000)
    return {
        "first_name": rng.choice(FIRST), "last_name": f"{rng.choice(LAST)}-{letters(n)}", "dob": dob.isoformat(),
        "gender_identity": "non_binary", "races": ["white"], "military_service": "never_served",
        "address": f"{100 + n % 900} Last Chance Gulch", "city": "Helena", "county": "Lewis and Clark",
        "zip": "59601", "phones": [{"number": f"(406) 555-{n % 10000:04d}", "label": "mobile"}],
        "acknowledge_near_matches": True,
    }


@dataclass(frozen=True)
class Trail:
    """What one journey left behind, for the pages the interactive users then open."""

    pair: Pair
    client_id: int
    last_name: str
    referral_id: int


@dataclass
class JourneyResult:
    runs: int
    seconds: float
    timings: Timings
    failures: list[str] = field(default_factory=list)
    trails: list[Trail] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.runs / self.seconds if self.seconds else 0.0

    @property
    def completed(self) -> int:
        return len(self.timings.samples.get("journey", []))


class Journey:
    """One API client walking the loop on one program pair."""

    def __init__(self, http: httpx.AsyncClient, pair: Pair, timings: Timings):
        self.http, self.pair, self.timings = http, pair, timings

    async def step(self, name: str, who, method: str, path: str, body: dict | None = None) -> dict:
        t0 = time.perf_counter()
        response = await self.http.request(method, path, json=body, headers=who.headers)
        if response.status_code >= 300:
            self.timings.fail(name)
            raise StepFailed(name, response)
        self.timings.add(name, (time.perf_counter() - t0) * 1000)
        return response.json()

    async def run(self, n: int, rng: random.Random, *, until: str = "close") -> Trail:
        """Walks the loop once (or up to the step ``until``); returns what it made."""
        p = self.pair
        body = client_body(n, rng)
        client = await self.step("create client", p.sender, "POST", "/api/v1/clients", body)
        [roi] = (await self.step("start ROI", p.sender, "POST", "/api/v1/roi",
                                 {"client_id": client["id"], "program_ids": [p.receiving_program_id]}))["rois"]
        await self.step("complete ROI", p.sender, "POST", f"/api/v1/roi/{roi['id']}/complete", ROI_TERMS)
        await self.step("e-sign ROI", p.sender, "POST", f"/api/v1/roi/{roi['id']}/sign/esign",
                        {"typed_name": f"{body['first_name']} {body['last_name']}", "confirmed": True})
        referral = await self.step("send referral", p.sender, "POST", "/api/v1/referrals", {
            "client_id": client["id"], "receiving_program_id": p.receiving_program_id,
            "reason": "Needs a food box this week; prefers a call after 3 pm.", "send": True,
            "insurance_confirmed": True})
        trail = Trail(self.pair, client["id"], body["last_name"], referral["id"])
        path = f"/api/v1/referrals/{referral['id']}"
        await self.step("assign", p.gatekeeper, "POST", f"{path}/assign", {"provider_id": p.provider.user_id})
        if until == "assign":
            return trail
        await self.step("status update", p.provider, "POST", f"{path}/status",
                        {"status": "Enrolled in Services", "comment": "Picked up the first box."})
        await self.step("close", p.provider, "POST", f"{path}/status",
                        {"status": "Closed - Successful completion", "comment": "Goals met."})
        return trail


async def run_journeys(api_url: str, pairs: list[Pair], *, concurrency: int, runs: int, seed: int = 7,
                       first: int = 0, until: str = "close", label: str = "closed-loop journeys") -> JourneyResult:
    """``runs`` journeys, ``concurrency`` at a time (each API client on its own program pair)."""
    timings, failures, trails = Timings(), [], []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(first, first + runs):
        queue.put_nowait(n)
    done = 0
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)

    async with httpx.AsyncClient(base_url=api_url, timeout=60, limits=limits) as http:
        async def api_client(slot: int) -> None:
            nonlocal done
            journey = Journey(http, pairs[slot % len(pairs)], timings)
            rng = random.Random(seed * 1000 + slot)
            while not queue.empty():
                n = queue.get_nowait()
                t0 = time.perf_counter()
                try:
                    trails.append(await journey.run(n, rng, until=until))
                    timings.add("journey", (time.perf_counter() - t0) * 1000)
                except (StepFailed, httpx.HTTPError) as error:
                    timings.fail("journey")
                    failures.append(str(error))
                done += 1
                progress(label, done, runs)

        t0 = time.perf_counter()
        await asyncio.gather(*(api_client(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return JourneyResult(runs, elapsed, timings, failures, trails)
