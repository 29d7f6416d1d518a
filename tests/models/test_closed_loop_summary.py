"""The closed-loop dashboard's monthly summary: what it answers equals the exact measures (counts
and chart exactly, percentiles within the histograms' 1.09 %), and a change is never hidden."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.measures import BUCKET_RELATIVE_ERROR
from domain.reports import Period
from models.reports import queries as q
from models.reports.closed_loop_summary import ClosedLoopStale, ClosedLoopSummarised, refresh
from models.referrals.tables import Referral
from tests.factories import make_program, make_referral, make_user

NOW = datetime(2025, 5, 10, 18, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def referrals(db):
    """Forty referrals from January to 10 May 2025, received in regions 3 and 5, with times
    drawn at random (a fixed seed), some never acknowledged, one withdrawn."""
    rng = random.Random(11)
    billings = make_program(db, "Billings", county="Yellowstone")
    missoula = make_program(db, "Missoula", county="Missoula")
    sender = make_user(db, "sender@example.org", provider_of=(billings,))
    made = []
    for i in range(40):
        sent = datetime(2025, 1, 1, 12, tzinfo=UTC) + timedelta(hours=rng.uniform(0, 129 * 24))
        times = {"sent_at": sent}
        state = "sent"
        if rng.random() < 0.8:
            state = "assigned"
            times["acknowledged_at"] = sent + H * rng.lognormvariate(3, 1.2)
            if rng.random() < 0.7:
                times["first_contact_at"] = times["acknowledged_at"] + H * rng.uniform(1, 60)
                if rng.random() < 0.5:
                    times["enrolled_at"] = times["first_contact_at"] + H * rng.uniform(24, 300)
        if i == 7:
            state = "withdrawn"
        receiving, sending = (billings, missoula) if i % 3 else (missoula, billings)
        made.append(make_referral(db, sending, receiving, sender, state=state, **times))
    db.commit()
    return made


def assert_close(summary, exact):
    assert summary.counts == exact.counts
    for got, want in ((summary.to_acknowledgement, exact.to_acknowledgement),
                      (summary.to_first_contact, exact.to_first_contact),
                      (summary.to_enrollment, exact.to_enrollment)):
        assert got.count == want.count
        for g, w in ((got.median, want.median), (got.p90, want.p90)):
            assert (g is None) == (w is None)
            if w is not None:
                assert g == pytest.approx(w, rel=BUCKET_RELATIVE_ERROR)


def assert_matches_exact(db, period: Period):
    summary = q.closed_loop_of_regions(db, period)
    exact_whole = q.closed_loop(db, period).get(None)
    if exact_whole is None:
        assert summary.whole.counts.counted == 0
    else:
        assert_close(summary.whole, exact_whole)
    exact_regions = q.closed_loop(db, period, group="region")
    assert summary.by_region.keys() == exact_regions.keys()
    for region, measures in exact_regions.items():
        assert_close(summary.by_region[region], measures)
    assert summary.ack_histogram == q.ack_histogram(db, period)
    return summary


def test_settled_months_are_summarised_and_agree_with_the_exact_measures(db, referrals):
    assert refresh(db, NOW) == [date(2025, m, 1) for m in (1, 2, 3, 4)]  # May is still under way
    assert db.scalar(select(func.count()).select_from(ClosedLoopStale)) == 0
    assert refresh(db, NOW) == []  # nothing changed since
    summary = assert_matches_exact(db, Period())
    assert summary.whole.counts.counted == 39  # one withdrawn
    assert set(summary.by_region) == {3, 5}


@pytest.mark.parametrize(("start", "end"), [
    (datetime(2025, 2, 14, tzinfo=UTC), datetime(2025, 4, 3, tzinfo=UTC)),  # two partial edges
    (datetime(2025, 3, 1, 7, tzinfo=UTC), None),  # from Montana's 1 March: whole months, then May
    (None, datetime(2025, 2, 1, 7, tzinfo=UTC)),  # January alone
    (datetime(2025, 6, 1, tzinfo=UTC), None),  # nothing
])
def test_periods_combine_whole_months_with_live_edges(db, referrals, start, end):
    refresh(db, NOW)
    assert_matches_exact(db, Period(start, end))


def test_a_change_is_read_live_until_the_next_refresh(db, referrals):
    refresh(db, NOW)
    unacknowledged = next(r for r in referrals if r.acknowledged_at is None and r.state == "sent")
    before = q.closed_loop_of_regions(db, Period()).whole.counts.acknowledged
    unacknowledged.state = "assigned"
    unacknowledged.acknowledged_at = unacknowledged.sent_at + 3 * H
    db.commit()
    month = date(unacknowledged.sent_at.year, unacknowledged.sent_at.month, 1)
    assert db.scalars(select(ClosedLoopStale.month)).all() == [month]
    assert q.closed_loop_of_regions(db, Period()).whole.counts.acknowledged == before + 1
    assert_matches_exact(db, Period())
    assert refresh(db, NOW) == ([month] if month.month < 5 else [])  # May is not summarised
    assert db.scalar(select(func.count()).select_from(ClosedLoopStale)) == 0
    assert_matches_exact(db, Period())


def test_an_unmeasured_change_marks_nothing(db, referrals):
    refresh(db, NOW)
    referrals[0].reason = "updated reason"
    db.commit()
    assert db.scalar(select(func.count()).select_from(ClosedLoopStale)) == 0


def test_a_program_moving_region_marks_every_summarised_month(db, referrals):
    refresh(db, NOW)
    program = db.get(Referral, referrals[1].id).receiving_program
    program.region = 1
    db.commit()
    assert set(db.scalars(select(ClosedLoopStale.month))) == set(db.scalars(select(ClosedLoopSummarised.month)))
    summary = assert_matches_exact(db, Period())
    assert 1 in summary.by_region and 3 not in summary.by_region
