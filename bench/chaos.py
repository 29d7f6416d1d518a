"""Chaos runs: the suite's chaos tests (tests/chaos) use this module's stack, journeys and
checks; run as a command it does the long variants and the soak:

    .venv/bin/python -m bench.chaos --minutes 10                 # soak: journeys for 10 minutes,
                                                                 # RSS of worker and API sampled
    .venv/bin/python -m bench.chaos --minutes 5 --kill worker    # with a worker SIGKILL every 5-20 s
    .venv/bin/python -m bench.chaos --minutes 5 --kill temporal  # with the Temporal server killed
    (add --database postgres --postgres-url URL for PostgreSQL; the database is recreated)

It prints the RSS samples and the journeys done, then checks every journey ended exactly once.

The stack and journeys: real processes (Temporal dev server persisted to a file,
worker.py, uvicorn) from bench.stack, a database of their own, journeys over HTTP that retry like
a person would when the system is away, and the checks that every journey ended exactly once.

A journey: create a client, start an ROI, complete it, e-sign it, send the referral, assign it,
"Enrolled in Services", "Closed - Successful completion" (bench.journey's loop). A step answered
503 or not answered at all (a process was killed) is tried again with the same Idempotency-Key;
a 500 fails the journey, and the checks afterwards find none in the API's log. A retried step
refused because its earlier try went through (409) counts as done when the database shows it
applied, the way a person reloading the page would see it done.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.journey import ROI_TERMS, client_body
from bench.network import Pair, build_pairs
from bench.stack import Stack, start_stack
from connect.temporal import connect_client
from domain.referral_status import ReferralState, ServiceStatus
from models.audit import AuditEvent
from models.clients.tables import Client
from models.db import make_engine, make_session_factory
from models.messages.tables import Notification, OutboxMessage
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation
from workflows.ids import referral_workflow_id
from workflows.referral_contracts import ReferralWorkflowState

# What a person (or a client) retries: the system is away, or said the change may have been
# applied. Never a 500: the API answers 503 for every outage, so a 500 fails the journey.
RETRY = {502, 503, 504}
# How the API logs a request it failed to answer (CatchAll's log line, uvicorn's for a failure
# outside the app).
SERVER_ERRORS = ("unexpected failure answering", "Exception in ASGI application")
ENROLLED, CLOSED = ServiceStatus.ENROLLED_IN_SERVICES, ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION


def chaos_database_url(var: Path, name: str) -> str:
    """SQLite in the test's directory, or on PostgreSQL a database of its own beside the suite's
    (``<suite database>_<name>``), created afresh."""
    test_url = os.environ.get("CONNECT_TEST_DATABASE_URL")
    if not test_url:
        return f"sqlite:///{var / 'chaos.db'}"
    from bench.__main__ import reset_postgres

    url = make_url(test_url)
    url = url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False)
    reset_postgres(url)
    return url


@dataclass
class Chaos:
    stack: Stack
    url: str
    pairs: list[Pair]
    db: sessionmaker[Session]
    retried: Counter = field(default_factory=Counter)

    async def temporal(self):
        return await connect_client(self.stack.settings, address=self.stack.temporal_address)

    async def restart(self, name: str) -> None:
        """Starts process ``name`` again (after ``stack.kill``) and waits until it serves."""
        from bench.stack import wait_for_api
        from connect.dev import wait_for_temporal

        self.stack.start(name)
        if name == "temporal":
            await asyncio.to_thread(wait_for_temporal, self.stack.settings, 60, self.stack.temporal_address)
        elif name == "api":
            await asyncio.to_thread(wait_for_api, self.stack)
        else:
            await self.worker_polling(name)

    async def kill_and_restart(self, name: str) -> None:
        self.stack.kill(name)
        await self.restart(name)

    async def worker_polling(self, name: str = "worker-0", timeout: float = 60) -> None:
        """Waits until the worker process ``name`` polls its task queue (it takes seconds to
        import and build; killing it before that would test nothing)."""
        from temporalio.api.enums.v1 import TaskQueueType
        from temporalio.api.taskqueue.v1 import TaskQueue
        from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

        temporal = await self.temporal()
        identity = f"{self.stack.procs[name].pid}@"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            described = await temporal.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
                namespace=temporal.namespace, task_queue=TaskQueue(name=self.stack.settings.temporal_task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
            if any(p.identity.startswith(identity) for p in described.pollers):
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{name} did not start polling within {timeout}s")


@asynccontextmanager
async def chaos_stack(var: Path, name: str) -> AsyncIterator[Chaos]:
    """The chaos tests' stack (``open_chaos``) once its worker polls, stopped afterwards."""
    chaos = await asyncio.to_thread(open_chaos, var, name)  # start_stack runs its own event loop
    try:
        await chaos.worker_polling()
        yield chaos
    finally:
        chaos.stack.stop()


async def journeys_under_kills(chaos: Chaos, journeys: int, kills: int, pause: tuple[float, float], seed: int,
                               kill: Callable[[], Awaitable[None]]) -> tuple[list[int], int]:
    """``journeys`` journeys, 10 at a time, while ``kill`` runs up to ``kills`` times, each after a
    random pause of ``pause`` seconds (none once the journeys are done); returns the referral ids
    and how many kills ran."""
    rng = random.Random(seed)
    running = asyncio.create_task(run_journeys(chaos, journeys, concurrency=10))
    done = 0
    while done < kills and not running.done():
        await asyncio.sleep(rng.uniform(*pause))
        await kill()
        done += 1
    return await running, done


def open_chaos(var: Path, name: str, pairs: int = 10) -> Chaos:
    url = chaos_database_url(var, name)
    stack = start_stack(var, url)
    try:
        people = build_pairs(url, pairs, date.today())
    except BaseException:
        stack.stop()
        raise
    return Chaos(stack, url, people, make_session_factory(make_engine(url)))


class JourneyFailed(AssertionError):
    pass


class Journeys:
    """Journeys over HTTP that survive processes being killed under them."""

    def __init__(self, chaos: Chaos, http: httpx.AsyncClient, patience: float = 120):
        self.chaos, self.http, self.patience = chaos, http, patience

    def _read(self, query):
        with self.chaos.db() as db:
            return query(db)

    async def _call(self, step: str, who, method: str, path: str, body: dict | None,
                    applied=None) -> tuple[httpx.Response | None, bool]:
        """The answer, after retrying while the system is away, and whether it was retried; None
        when, before a retry, the database shows the earlier try went through (a person reloads
        the page before pressing again). Each step carries one Idempotency-Key for all its tries,
        so a try that went through unseen is not applied twice where the API honours the key."""
        loop = asyncio.get_running_loop()
        deadline, retried = loop.time() + self.patience, False
        headers = {**who.headers, "Idempotency-Key": uuid.uuid4().hex}
        while True:
            if retried and applied is not None and self._read(applied):
                return None, True
            try:
                response = await self.http.request(method, path, json=body, headers=headers)
                if response.status_code < 400:
                    return response, retried
                detail = response.json().get("error") if response.headers.get("content-type", "").startswith(
                    "application/json") else response.text[:80]
                # A try the killed API never answered keeps its key claimed until the claim runs out:
                # the documented answer is to wait and retry with the same key.
                if response.status_code not in RETRY and detail != "idempotency_key_in_use":
                    return response, retried
            except httpx.TransportError as exc:  # the API was killed mid-request, or is restarting
                detail = type(exc).__name__
            if loop.time() > deadline:
                raise JourneyFailed(f"{step}: still failing after {self.patience}s ({detail})")
            retried = True
            self.chaos.retried[step] += 1
            await asyncio.sleep(0.3 + random.random() * 0.4)

    async def _applied(self, applied) -> bool:
        """Whether the database shows the change. The workflow marks it before its activity writes
        the projection, and after a kill that activity waits for a new worker, its heartbeat
        timeout and a retry: under load that is more than ten seconds, so wait up to a minute."""
        for _ in range(240):
            if self._read(applied):
                return True
            await asyncio.sleep(0.25)
        return False

    async def _step(self, step: str, who, method: str, path: str, body: dict | None = None, *,
                    applied=None, earlier_try: bool = False) -> dict | None:
        """``earlier_try``: an earlier request of this journey may still be applying this change."""
        response, retried = await self._call(step, who, method, path, body, applied)
        if response is None:
            return None
        if response.status_code < 300:
            return response.json()
        if (retried or earlier_try) and applied is not None and await self._applied(applied):
            return None  # the try before the outage went through
        raise JourneyFailed(f"{step}: HTTP {response.status_code} {response.text[:300]}")

    async def run(self, n: int, pair: Pair) -> int:
        """One closed loop; returns the referral's id."""
        rng = random.Random(n)
        body = client_body(n, rng)
        last = body["last_name"]

        def client_id(db):
            return db.scalar(select(Client.id).where(Client.last_name == last))

        made = await self._step("create client", pair.sender, "POST", "/api/v1/clients", body, applied=client_id)
        cid = made["id"] if made else self._read(client_id)

        def roi_id(db):
            return db.scalar(select(ReleaseOfInformation.id).where(ReleaseOfInformation.client_id == cid))

        started = await self._step("start ROI", pair.sender, "POST", "/api/v1/roi",
                                   {"client_id": cid, "program_ids": [pair.receiving_program_id]}, applied=roi_id)
        rid = started["rois"][0]["id"] if started else self._read(roi_id)

        def roi(db):
            return db.get(ReleaseOfInformation, rid)

        await self._step("complete ROI", pair.sender, "POST", f"/api/v1/roi/{rid}/complete", ROI_TERMS,
                         applied=lambda db: roi(db).purpose != "")
        await self._step("e-sign ROI", pair.sender, "POST", f"/api/v1/roi/{rid}/sign/esign",
                         {"typed_name": f"{body['first_name']} {last}", "confirmed": True},
                         applied=lambda db: roi(db).state == "signed")

        def referral(db):
            return db.scalar(select(Referral).where(Referral.client_id == cid))

        sent = await self._step("send referral", pair.sender, "POST", "/api/v1/referrals", {
            "client_id": cid, "receiving_program_id": pair.receiving_program_id,
            "reason": "Needs a food box this week; prefers a call after 3 pm.", "send": True,
            "insurance_confirmed": True}, applied=lambda db: referral(db) is not None)
        ref_id = sent["id"] if sent else self._read(lambda db: referral(db).id)
        path = f"/api/v1/referrals/{ref_id}"
        if self._read(lambda db: referral(db).state) == ReferralState.PENDING.value:
            # Created, but the send did not happen before the outage: send it now.
            await self._step("send referral", pair.sender, "POST", f"{path}/send", {"insurance_confirmed": True},
                             applied=lambda db: referral(db).state != ReferralState.PENDING.value, earlier_try=True)
        await self._step("assign", pair.gatekeeper, "POST", f"{path}/assign", {"provider_id": pair.provider.user_id},
                         applied=lambda db: referral(db).assigned_provider_id == pair.provider.user_id)
        await self._step("status update", pair.provider, "POST", f"{path}/status",
                         {"status": ENROLLED.value, "comment": "Picked up the first box."},
                         applied=lambda db: referral(db).service_status in (ENROLLED.value, CLOSED.value))
        await self._step("close", pair.provider, "POST", f"{path}/status",
                         {"status": CLOSED.value, "comment": "Goals met."},
                         applied=lambda db: referral(db).state == ReferralState.CLOSED.value)
        return ref_id


async def run_journeys(chaos: Chaos, count: int, concurrency: int = 10, *, first: int = 0) -> list[int]:
    """``count`` journeys, ``concurrency`` at a time, each slot on its own program pair."""
    queue = list(range(first, first + count))
    done: list[int] = []
    async with httpx.AsyncClient(base_url=chaos.stack.api_url, timeout=90) as http:
        journeys = Journeys(chaos, http)

        async def slot(i: int) -> None:
            while queue:
                n = queue.pop(0)
                done.append(await journeys.run(n, chaos.pairs[i % len(chaos.pairs)]))

        await asyncio.gather(*(slot(i) for i in range(concurrency)))
    return done


def no_server_errors(chaos: Chaos) -> None:
    """The API answered no request with a 500 (it logs each one), and left no failure of a call to
    Temporal unhandled (asyncio logs those it finds)."""
    log = (chaos.stack.var_dir / "api.log").read_text(errors="replace")
    errors = sum(log.count(marker) for marker in SERVER_ERRORS)
    assert errors == 0, f"{errors} server errors; see {chaos.stack.var_dir}/api.log"
    unhandled = log.count("exception was never retrieved")
    assert unhandled == 0, f"{unhandled} failures left unhandled; see {chaos.stack.var_dir}/api.log"


async def settled(chaos: Chaos, timeout: float = 90) -> None:
    """Waits until no message is queued or held (deliveries retried after kills have run)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with chaos.db() as db:
            waiting = db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(("queued", "held"))))
        if not waiting:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{waiting} messages still undelivered after {timeout}s")
        await asyncio.sleep(0.5)


async def check_exactly_once(chaos: Chaos, referral_ids: list[int]) -> None:
    """After the chaos: each referral's projection equals its workflow's final state, each journey
    left the same audit trail and notifications as every other (nothing missing, nothing twice),
    and no email or bell entry exists twice."""
    no_server_errors(chaos)
    await settled(chaos)
    temporal = await chaos.temporal()
    with chaos.db() as db:
        for rid in referral_ids:
            row = db.get(Referral, rid)
            handle = temporal.get_workflow_handle(referral_workflow_id(rid), result_type=ReferralWorkflowState)
            final = await asyncio.wait_for(handle.result(), timeout=60)  # nothing stuck: every workflow ended
            assert (row.state, row.service_status, row.assigned_provider_id) == (
                final.state.value, final.service_status.value if final.service_status else None,
                final.assignee_id), f"referral {rid}: projection {row.state}/{row.service_status} " \
                                    f"differs from its workflow {final}"
            assert row.state == ReferralState.CLOSED.value

        def trail(entity_type: str, ids) -> dict:
            rows = db.execute(select(AuditEvent.entity_id, AuditEvent.action).where(
                AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_([str(i) for i in ids]))).all()
            per: dict[str, Counter] = {str(i): Counter() for i in ids}
            for entity_id, action in rows:
                per[entity_id][action] += 1
            return per

        referral_trails = trail("referral", referral_ids)
        expected = next(iter(referral_trails.values()))
        assert expected["referral.send"] == 1 and expected["referral.assign"] == 1
        assert all(t == expected for t in referral_trails.values()), referral_trails
        roi_ids = list(db.scalars(select(Referral.roi_id).where(Referral.id.in_(referral_ids))))
        roi_trails = trail("roi", roi_ids)
        first = next(iter(roi_trails.values()))
        assert all(t == first for t in roi_trails.values()), roi_trails

        bells = Counter(db.execute(select(Notification.user_id, Notification.kind, Notification.link,
                                              Notification.text)).all())
        twice = {k: n for k, n in bells.items() if n > 1}
        assert not twice, f"bell entries written twice: {twice}"
        per_referral = Counter(link.rsplit("/", 1)[-1] for _u, _k, link, _t in bells if link.startswith("/referrals/"))
        assert len(set(per_referral[str(r)] for r in referral_ids)) == 1, per_referral
        emails = Counter(db.execute(select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body)
                                    .where(OutboxMessage.channel == "email")).all())
        assert not {k: n for k, n in emails.items() if n > 1}, "an email was queued twice"


# --- the command: soak and long variants ------------------------------------------------------


async def soak(chaos: Chaos, minutes: float, kill: str | None, concurrency: int, sample_every: float = 10) -> list[dict]:
    """Journeys in rounds of ``concurrency`` for ``minutes``, killing ``kill`` ("worker",
    "temporal", "api") every 5-20 s if asked; returns the RSS samples."""
    from bench.stack import rss_now_mb

    loop = asyncio.get_running_loop()
    end = loop.time() + minutes * 60
    samples: list[dict] = []
    referral_ids: list[int] = []
    rng = random.Random(11)
    stop = asyncio.Event()
    restarts: Counter = Counter()

    async def sampler() -> None:
        t0 = loop.time()
        while True:
            samples.append({"second": round(loop.time() - t0), "journeys": len(referral_ids),
                            **{name: rss_now_mb(p.pid) for name, p in chaos.stack.procs.items()}})
            print(samples[-1], flush=True)
            await asyncio.sleep(sample_every)

    async def killer() -> None:
        """Kills and restarts until told to stop, never leaving a process down at the end."""
        name = {"worker": "worker-0", "temporal": "temporal", "api": "api"}[kill]
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), rng.uniform(5, 20))
                return
            except TimeoutError:
                pass
            await chaos.kill_and_restart(name)
            restarts[name] += 1
            if chaos.stack.procs["worker-0"].poll() is not None:  # gave up on Temporal: a supervisor restarts it
                await chaos.restart("worker-0")
                restarts["worker-0"] += 1

    sampling = asyncio.create_task(sampler())
    killing = asyncio.create_task(killer()) if kill else None
    try:
        first = 0
        while loop.time() < end:
            referral_ids += await run_journeys(chaos, concurrency, concurrency, first=first)
            first += concurrency
    finally:
        stop.set()
        if killing is not None:
            await killing
        sampling.cancel()
    await check_exactly_once(chaos, referral_ids)
    print(f"{len(referral_ids)} journeys; kills and restarts: {dict(restarts) or 'none'}; each journey ended "
          f"exactly once (0 lost, 0 doubled, 0 stuck, 0 server errors); retried steps: {dict(chaos.retried)}",
          flush=True)
    return samples


def main(argv: list[str] | None = None) -> None:
    import argparse
    import tempfile

    p = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--kill", choices=["worker", "temporal", "api"], default=None)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/connect_chaos")
    args = p.parse_args(argv)
    if args.database == "postgres":
        os.environ["CONNECT_TEST_DATABASE_URL"] = args.postgres_url
    var = Path(tempfile.mkdtemp(prefix="connect-chaos-"))
    chaos = open_chaos(var, "soak", pairs=args.concurrency)
    try:
        samples = asyncio.run(soak(chaos, args.minutes, args.kill, args.concurrency))
    finally:
        chaos.stack.stop()
    names = [k for k in samples[0] if k not in ("second", "journeys")]
    print(f"\nstack and logs: {var}")
    print("\n| process | RSS MiB at start | peak | end |\n|---|---|---|---|")
    for n in names:
        print(f"| {n} | {samples[0][n]:.0f} | {max(row[n] for row in samples):.0f} | {samples[-1][n]:.0f} |")
    print("\n| second | journeys | " + " | ".join(f"{n} RSS MiB" for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for row in samples:
        print(f"| {row['second']} | {row['journeys']} | " + " | ".join(f"{row[n]:.0f}" for n in names) + " |")


if __name__ == "__main__":
    main()
