"""A lapsed agency MOU hides the program from every directory search and closes it to referrals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import NotAllowed
from models.agencies.directory import (
    accepts_referrals,
    require_accepts_referrals,
    visible_programs_query,
)
from tests.factories import make_program

TODAY = date(2026, 6, 15)


@pytest.fixture
def programs(db):
    def make(name, expires_on, active=True):
        program = make_program(db, name)
        program.mou_expires_on, program.is_active = expires_on, active
        return program

    rows = {
        "valid": make("Valid", TODAY + timedelta(days=200)),
        "last_day": make("Last Day", TODAY + timedelta(days=1)),
        "lapses_today": make("Lapses Today", TODAY),
        "lapsed": make("Lapsed", TODAY - timedelta(days=3)),
        "never": make("Never Signed", None),
        "inactive": make("Inactive", TODAY + timedelta(days=200), active=False),
    }
    db.flush()
    return rows


def test_directory_shows_only_programs_with_a_valid_mou(db, programs):
    shown = {p.name for p in db.scalars(visible_programs_query(TODAY))}
    assert shown == {"Valid", "Last Day"}
    # the next day the one on its last day is gone too, without anyone writing a row
    assert {p.name for p in db.scalars(visible_programs_query(TODAY + timedelta(days=1)))} == {"Valid"}


@pytest.mark.parametrize(
    ("key", "accepts", "reason"),
    [("valid", True, None), ("last_day", True, None),
     ("lapses_today", False, "agency MOU is not signed or has lapsed"), ("lapsed", False, "agency MOU is not signed or has lapsed"),
     ("never", False, "agency MOU is not signed or has lapsed"), ("inactive", False, "no longer uses CONNECT")],
)
def test_referrals_need_a_valid_mou(programs, key, accepts, reason):
    program = programs[key]
    assert accepts_referrals(program, TODAY) is accepts
    if accepts:
        require_accepts_referrals(program, TODAY)
    else:
        with pytest.raises(NotAllowed, match=reason):
            require_accepts_referrals(program, TODAY)


def test_directory_query_composes_with_filters(db, programs):
    from models.agencies.tables import Program

    stmt = visible_programs_query(TODAY).where(Program.name.like("V%"))
    assert [p.name for p in db.scalars(stmt)] == ["Valid"]
