"""The benchmark's data set (bench.dataset) and its search and reports sections (bench.scale)
still run: tiny sizes on the test database (SQLite or PostgreSQL, as the suite runs). No time is
asserted; the figures are in BENCHMARKS.md."""

from __future__ import annotations

import argparse

from sqlalchemy import func, select

from bench.client_search import run as client_search_report
from bench.dataset import SMOKE, load, people
from bench.scale import run_reports, run_search
from models.accounts.tables import User
from models.clients.tables import Client
from models.agencies.directory import DirectoryFilters, search_directory
from models.agencies.tables import Program
from models.referrals.tables import Referral
from tests.factories import montana_today

ARGS = argparse.Namespace(smoke=True, seed=5, queries=20, repeat=1)


def test_the_data_set_is_reproducible_from_its_seed():
    assert list(people(50, seed=3)) == list(people(50, seed=3))
    assert list(people(50, seed=3)) != list(people(50, seed=4))


async def test_search_and_reports_sections_run_on_a_tiny_data_set(db, database_url):
    loaded = load(database_url, SMOKE, seed=5, fresh=False)

    assert (loaded.clients, loaded.referrals, loaded.programs) == (SMOKE.clients, SMOKE.referrals, SMOKE.programs)
    assert db.scalar(select(func.count()).select_from(Client)) == SMOKE.clients
    assert db.scalar(select(func.count()).select_from(Referral)) == SMOKE.referrals
    assert db.scalar(select(func.count(func.distinct(Referral.state)))) >= 4  # a mix of outcomes
    assert db.scalar(select(User.is_state_team).where(User.email == "bench-state@example.org"))
    # Every program is in the directory (valid MOU).
    listed = search_directory(db, DirectoryFilters(), montana_today())
    assert listed.total == db.scalar(select(func.count()).select_from(Program)) == SMOKE.programs

    search = await run_search(database_url, ARGS)
    names = [row["name"] for row in search]
    assert "client search: all" in names and "directory: all" in names
    assert all(row["errors"] == 0 for row in search)
    everything = {row["name"]: row for row in search}
    assert everything["client search: all"]["n"] == everything["directory: all"]["n"] == 20

    reports = await run_reports(database_url, ARGS)
    assert all(row["errors"] == 0 for row in reports), reports
    pages = [row for row in reports if row["name"].startswith("/reports/")]
    assert len(pages) >= 10 and all(row["n"] == 1 for row in pages)
    csv = reports[-1]
    assert csv["name"].startswith("CSV") and csv["n"] >= SMOKE.referrals * 0.9  # every sent referral

    report = client_search_report(database_url, 12, seed=5)
    assert report.startswith(f"{db.bind.dialect.name}, {SMOKE.clients} clients, 12 queries")
    assert "| client search: all | 12 |" in report
