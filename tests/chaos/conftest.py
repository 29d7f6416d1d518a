"""Every test here is a chaos test: run them alone with `pytest -m chaos tests/chaos`.

They start their own processes (bench.stack) on free loopback ports and their own database
(SQLite in a temporary directory, or ``<suite database>_<test>`` on PostgreSQL), so they share
nothing with the rest of the suite."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/chaos/" in str(item.fspath):
            item.add_marker(pytest.mark.chaos)
