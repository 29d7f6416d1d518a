"""Shared fixtures: settings, a migrated database per session (SQLite or PostgreSQL), the real
Temporal dev server with a worker, the app, and factories.

Database choice: `CONNECT_TEST_DATABASE_URL` (a PostgreSQL URL) or a SQLite file by default.
Each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from connect.migrate import migrate
from connect.settings import Environment, Settings
from connect.temporal import data_converter
from models.base import Base
from models.db import make_engine, make_session_factory
from tests.fakes import RecordingEmailSender, RecordingSmsSender
from workflows import search_attributes as sa

BIN = Path(sys.executable).parent
# A fixed, test-only payload key, so recorded workflow histories (tests/histories) stay replayable.
TEST_PAYLOAD_KEY = "5e1f0c0a9d3b4c7e8f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6"
ON_CI = os.environ.get("CI") == "true"


def pytest_report_header(config) -> list[str]:
    return [f"database: {os.environ.get('CONNECT_TEST_DATABASE_URL') or 'sqlite (temporary file)'}"]


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def task_queue() -> str:
    return f"connect-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def database_url(var_dir: Path) -> str:
    return os.environ.get("CONNECT_TEST_DATABASE_URL") or f"sqlite:///{var_dir / 'test.db'}"


@pytest.fixture(scope="session")
def settings(var_dir: Path, database_url: str, task_queue: str) -> Settings:
    return Settings(
        environment=Environment.TEST,
        var_dir=var_dir,
        database_url=database_url,
        secret_key=secrets.token_urlsafe(32),
        payload_key=TEST_PAYLOAD_KEY,
        temporal_task_queue=task_queue,
        public_url="http://testserver",
        webhook_allow_internal_addresses=True,  # the test receiver listens on this machine
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    if not settings.is_sqlite:
        with engine.begin() as conn:  # a clean schema for this run
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def _empty_tables(engine: Engine) -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(t.delete())


@pytest.fixture
def db(engine: Engine, session_factory) -> Iterator[Session]:
    """A session on empty tables; the tables are emptied again after the test."""
    _empty_tables(engine)
    with session_factory() as session:
        yield session
    _empty_tables(engine)


@pytest.fixture(scope="session")
async def temporal_env(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=sa.ALL,
        data_converter=data_converter(settings),
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def temporal_client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture(scope="session")
def email_outbox() -> RecordingEmailSender:
    return RecordingEmailSender()


@pytest.fixture(scope="session")
def sms_outbox() -> RecordingSmsSender:
    return RecordingSmsSender()


@pytest.fixture(scope="session")
async def worker(temporal_client, settings, session_factory, email_outbox, sms_outbox):
    from worker import build_worker

    w = build_worker(temporal_client, settings, session_factory=session_factory,
                     email=email_outbox, sms=sms_outbox)
    async with w:
        yield w


TEMPORAL_FIXTURES = {"worker", "temporal_client", "temporal_env", "client", "dev_client", "live_server", "page"}


@pytest.fixture(autouse=True)
async def no_leftover_workflows(request):
    """Each test starts from empty tables, so workflows left running by an earlier test (whose
    ids, built from table ids, come round again) are ended first; otherwise a signature or a
    start would join the old run, with its old timer policy."""
    if TEMPORAL_FIXTURES & set(request.fixturenames):
        client: Client = request.getfixturevalue("temporal_client")
        async for execution in client.list_workflows('ExecutionStatus="Running"'):
            try:
                await client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate(
                    "an earlier test left it running")
            except RPCError:  # it finished meanwhile
                pass
    yield


@pytest.fixture
def app(settings, session_factory, temporal_client):
    return create_app(settings, session_factory=session_factory, temporal_client=temporal_client)


@pytest.fixture
def dev_app(settings, session_factory, temporal_client):
    """The app as `connect dev` runs it (ENVIRONMENT=development), with the dev outbox."""
    development = settings.model_copy(update={"environment": Environment.DEVELOPMENT})
    return create_app(development, session_factory=session_factory, temporal_client=temporal_client)


def _http(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def dev_client(dev_app, db, worker) -> AsyncIterator[httpx.AsyncClient]:
    async with _http(dev_app) as c:
        yield c


@pytest.fixture
def twilio_settings(settings):
    """The test settings with a Twilio account, so the webhook checks signatures."""
    return settings.model_copy(update={"twilio_account_sid": "AC" + "1" * 32, "twilio_auth_token": "tw-test-token",
                                       "twilio_from_number": "+14065550199"})


@pytest.fixture
async def twilio_http(twilio_settings, session_factory, temporal_client, db, worker):
    app = create_app(twilio_settings, session_factory=session_factory, temporal_client=temporal_client)
    async with _http(app) as c:
        yield c


@pytest.fixture
async def client(app, db, worker) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, with the database emptied and the worker running."""
    async with _http(app) as c:
        yield c


@pytest.fixture(autouse=True)
async def _end_roi_workflows(request):
    """Ids restart with the tables in every test, so a `roi-<id>` workflow left running by one test
    would be reused by the next. Ends them while the rows still say which ids were used."""
    clients = [name for name in ("temporal_client", "skipping_client") if name in request.fixturenames]
    if "db" not in request.fixturenames or not clients:
        yield
        return
    db = request.getfixturevalue("db")  # set up first, so it is emptied after this runs
    yield
    from temporalio.service import RPCError

    from models.messages.tables import OutboxMessage
    from models.releases.tables import ReleaseOfInformation
    from workflows.ids import roi_workflow_id

    # A workflow terminated with a delivery in flight can leave the time-skipping server's clock
    # locked; give queued messages a moment to go out first.
    for _ in range(50):
        db.rollback()
        if db.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "queued").limit(1)) is None:
            break
        await asyncio.sleep(0.1)
    ids = list(db.scalars(select(ReleaseOfInformation.id)))
    for name in clients:
        temporal = request.getfixturevalue(name)
        for roi_id in ids:
            try:
                await temporal.get_workflow_handle(roi_workflow_id(roi_id)).terminate("test ended")
            except RPCError:
                pass  # already finished
