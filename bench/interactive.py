"""What a person feels: page and API latency with many people at work, and how soon one person's
change shows to another.

Interactive latency: ``users`` people (50 by default) each signed in through the login form, each
opening the main pages and calling the main API reads in a mix a working day has (their lists,
a referral, a client search, the client's chart, the directory, the bell), pausing between clicks
for a think time drawn from an exponential distribution (mean ``think`` seconds), as people do.
Without think time 50 "users" would be 50 request loops, a load test of a different question.

Signal-to-visible: while they work, a provider changes a referral's status over the API again and
again, and a person of the sending program (another user, another agency) reads the referral
every 5 ms; the time from the start of the update's HTTP call to the first read that shows the
new status is the latency.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bench.journey import Trail
from bench.network import PASSWORD, Person
from bench.stats import Timings, progress


@dataclass(frozen=True)
class Click:
    name: str
    weight: int
    path: Callable[[Trail, random.Random], str]
    api: bool = False


# Staff of the sending program (what they look at most), then the receiving side's.
SENDER_CLICKS = (
    Click("page: home", 2, lambda t, r: "/"),
    Click("page: Sent Referrals", 3, lambda t, r: "/referrals/sent"),
    Click("page: referral", 3, lambda t, r: f"/referrals/{t.referral_id}"),
    Click("page: client search", 3, lambda t, r: f"/clients?q={t.last_name[:r.randint(4, 8)]}"),
    Click("page: client profile", 2, lambda t, r: f"/clients/{t.client_id}"),
    Click("page: client's referrals", 2, lambda t, r: f"/clients/{t.client_id}/referrals"),
    Click("api: sent referrals", 2, lambda t, r: "/api/v1/referrals/sent", api=True),
    Click("api: client search", 2, lambda t, r: f"/api/v1/clients?q={t.last_name}", api=True),
    Click("api: directory", 2, lambda t, r: "/api/v1/roi/directory?service=food_nutrition", api=True),
    Click("api: notifications", 2, lambda t, r: "/notifications/count", api=True),
)
RECEIVER_CLICKS = (
    Click("page: home", 2, lambda t, r: "/"),
    Click("page: incoming referrals", 4, lambda t, r: "/agency/referrals"),
    Click("page: referral", 4, lambda t, r: f"/referrals/{t.referral_id}"),
    Click("api: incoming referrals", 3, lambda t, r: "/api/v1/referrals/incoming", api=True),
    Click("api: referral", 3, lambda t, r: f"/api/v1/referrals/{t.referral_id}", api=True),
    Click("api: notifications", 2, lambda t, r: "/notifications/count", api=True),
)


async def sign_in(http: httpx.AsyncClient, email: str) -> None:
    page = await http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = await http.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in of {email} failed: HTTP {answer.status_code}")


async def _person(http: httpx.AsyncClient, clicks: tuple[Click, ...], trails: list[Trail],
                  timings: Timings, rng: random.Random, stop_at: float, think: float) -> None:
    weights = [c.weight for c in clicks]
    await asyncio.sleep(rng.uniform(0, think))  # people do not all click at the same instant
    while time.perf_counter() < stop_at:
        click = rng.choices(clicks, weights)[0]
        trail = rng.choice(trails)
        headers = {"accept": "application/json"} if click.api else {"accept": "text/html"}
        t0 = time.perf_counter()
        try:
            response = await http.get(click.path(trail, rng), headers=headers)
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok:
            timings.add(click.name, (time.perf_counter() - t0) * 1000)
        else:
            timings.fail(click.name)
        await asyncio.sleep(rng.expovariate(1 / think))


async def _probe(api_url: str, trail: Trail, timings: Timings, stop_at: float) -> int:
    """Status changes by the provider, watched by the sender; returns how many were made."""
    statuses = ("On Waiting List", "Enrolled in Services")
    path = f"/api/v1/referrals/{trail.referral_id}"
    made = 0
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        while time.perf_counter() < stop_at:
            wanted = statuses[made % 2]
            seen = asyncio.Event()

            async def watch() -> None:
                while not seen.is_set():
                    r = await http.get(path, headers=trail.pair.sender.headers)
                    if r.status_code == 200 and r.json()["service_status"] == wanted:
                        seen.set()
                        return
                    await asyncio.sleep(0.005)

            t0 = time.perf_counter()
            watcher = asyncio.create_task(watch())
            update = await http.post(f"{path}/status", json={"status": wanted, "comment": "probe"},
                                     headers=trail.pair.provider.headers)
            if update.status_code != 200:
                watcher.cancel()
                timings.fail("signal-to-visible")
            else:
                try:
                    await asyncio.wait_for(watcher, timeout=10)
                    timings.add("signal-to-visible", (time.perf_counter() - t0) * 1000)
                    timings.add("status update (the probe's call)", float(update.elapsed.total_seconds() * 1000))
                except TimeoutError:
                    timings.fail("signal-to-visible")
            made += 1
            await asyncio.sleep(0.25)
    return made


async def run_interactive(api_url: str, trails: list[Trail], probe: Trail, *, users: int, seconds: float,
                          think: float, seed: int = 7) -> Timings:
    """``users`` people for ``seconds``, plus the signal-to-visible probe on ``probe``."""
    timings = Timings()
    rng = random.Random(seed)
    people: list[tuple[Person, tuple[Click, ...], list[Trail]]] = []
    by_pair: dict[int, list[Trail]] = {}
    for trail in trails:
        by_pair.setdefault(trail.pair.receiving_program_id, []).append(trail)
    pairs = list(by_pair.values())
    for i in range(users):
        mine = pairs[i % len(pairs)]
        pair = mine[0].pair
        person, clicks = [(pair.sender, SENDER_CLICKS), (pair.gatekeeper, RECEIVER_CLICKS),
                          (pair.provider, RECEIVER_CLICKS)][(i // len(pairs)) % 3]
        people.append((person, clicks, mine))
    # Everyone signs in first, outside the measured minute: a sign-in is meant to be slow
    # (argon2), and 50 at the same instant is not what a working day looks like.
    sessions = [httpx.AsyncClient(base_url=api_url, timeout=30) for _ in people]
    for http, (person, _, _) in zip(sessions, people):
        await sign_in(http, person.email)
    stop_at = time.perf_counter() + seconds

    async def ticker() -> None:
        while (left := stop_at - time.perf_counter()) > 0:
            progress(f"{users} people at work", int(seconds - left), int(seconds))
            await asyncio.sleep(min(1.0, left))
        progress(f"{users} people at work", int(seconds), int(seconds))

    try:
        await asyncio.gather(
            ticker(), _probe(api_url, probe, timings, stop_at),
            *(_person(http, c, t, timings, random.Random(rng.random()), stop_at, think)
              for http, (_, c, t) in zip(sessions, people)))
    finally:
        for http in sessions:
            await http.aclose()
    return timings
