import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.business_days import add_business_days
from domain.measures import (
    ReferralTimes,
    ack_bin,
    ack_bin_labels,
    business_days_elapsed,
    closed_loop_measures,
    is_counted,
    median,
    percentile,
    share,
)

DENVER = ZoneInfo("America/Denver")
H = 3600


def mt(*args: int) -> datetime:
    return datetime(*args, tzinfo=DENVER)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        ([7], 0.5, 7),
        ([7], 0.9, 7),
        ([1, 2, 3, 4], 0.5, 2.5),
        ([4, 1, 3, 2], 0.5, 2.5),  # order does not matter
        ([1, 2, 3, 4, 5], 0.5, 3),
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9, 91),  # 0.9 * 9 = 8.1 -> 90 + 0.1 * 10
        ([1, 2], 0.0, 1),
        ([1, 2], 1.0, 2),
        ([0, 100], 0.25, 25),
    ],
)
def test_percentile_interpolates_like_percentile_cont(values, fraction, expected):
    found = percentile(values, fraction)
    assert found is None if expected is None else found == pytest.approx(expected)


def test_percentile_refuses_a_fraction_outside_0_1():
    with pytest.raises(ValueError):
        percentile([1], 1.5)


def test_median_is_the_half_percentile():
    assert median([3, 1, 2]) == 2
    assert median([]) is None


@pytest.mark.parametrize(("part", "whole", "expected"), [(1, 4, 0.25), (0, 3, 0.0), (0, 0, None), (2, 2, 1.0)])
def test_share(part, whole, expected):
    assert share(part, whole) == expected


@pytest.mark.parametrize(
    ("state", "sent", "counted"),
    [("sent", True, True), ("assigned", True, True), ("closed", True, True), ("declined", True, True),
     ("withdrawn", True, False), ("pending", False, False)],
)
def test_which_referrals_count(state, sent, counted):
    assert is_counted(state, datetime(2025, 3, 3, tzinfo=UTC) if sent else None) is counted


def test_closed_loop_measures_of_a_hand_made_set():
    t0 = datetime(2025, 3, 3, 16, tzinfo=UTC)
    rows = [
        # acknowledged after 2 h, reached after 10 h, enrolled after 48 h, closed successfully
        ReferralTimes("closed", "Closed - Successful completion", t0, t0 + timedelta(hours=2),
                      t0 + timedelta(hours=10), t0 + timedelta(hours=48)),
        # acknowledged after 4 h, reached after 20 h, still enrolled
        ReferralTimes("assigned", "Enrolled in Services", t0, t0 + timedelta(hours=4),
                      t0 + timedelta(hours=20), t0 + timedelta(hours=96)),
        # acknowledged after 30 h, never reached, escalated
        ReferralTimes("closed", "Not Started - Unable to contact individual", t0,
                      t0 + timedelta(hours=30), escalated_at=t0 + timedelta(days=7)),
        # still waiting, escalated
        ReferralTimes("sent", None, t0, escalated_at=t0 + timedelta(days=7)),
        # declined
        ReferralTimes("declined", None, t0),
        # withdrawn and unsent ones do not count at all
        ReferralTimes("withdrawn", None, t0, t0 + timedelta(hours=1)),
        ReferralTimes("pending", None, None),
    ]
    m = closed_loop_measures(rows)
    assert m.counts.counted == 5
    assert m.counts.acknowledged == 3
    assert m.to_acknowledgement.median == 4 * H
    assert m.to_acknowledgement.p90 == pytest.approx((4 + 0.8 * 26) * H)  # 0.9*2 = 1.8
    assert m.to_first_contact.median == 15 * H and m.to_first_contact.count == 2
    assert m.to_enrollment.p90 == pytest.approx((48 + 0.9 * 48) * H)
    assert m.share_reached == pytest.approx(2 / 5)
    assert m.share_enrolled == pytest.approx(2 / 5)
    assert m.share_closed_successfully == pytest.approx(1 / 5)
    assert m.share_escalated == pytest.approx(2 / 5)


def test_no_referrals_give_empty_measures():
    m = closed_loop_measures([])
    assert m.counts.counted == 0
    assert m.share_reached is None and m.to_acknowledgement.median is None


@pytest.mark.parametrize(
    ("hours", "index"),
    [(0, 0), (3.99, 0), (4, 1), (23, 1), (24, 2), (47.5, 2), (71, 3), (100, 4), (130, 5), (200, 6),
     (336, 7), (5000, 7)],
)
def test_ack_bins(hours, index):
    assert ack_bin(hours * H) == index


def test_ack_bin_labels_match_the_bins():
    labels = ack_bin_labels()
    assert len(labels) == 8
    assert labels[0] == "under 4 hours" and labels[2] == "24 hours to 2 days"
    assert labels[-1] == "14 days or more"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (mt(2025, 11, 24, 10), mt(2025, 11, 24, 16), 0),  # same Monday
        (mt(2025, 11, 24, 10), mt(2025, 11, 25, 9, 59), 0),  # not a whole day yet
        (mt(2025, 11, 24, 10), mt(2025, 11, 25, 10), 1),
        (mt(2025, 11, 24, 10), mt(2025, 11, 28, 10), 3),  # Thanksgiving (27th) does not count
        (mt(2025, 11, 24, 10), mt(2025, 12, 1, 10), 4),  # nor the weekend
        (mt(2025, 11, 29, 12), mt(2025, 12, 1, 23), 0),  # sent Saturday: counting starts Monday 0:00
        (mt(2025, 11, 29, 12), mt(2025, 12, 2, 0), 1),
        (mt(2025, 12, 30, 15), mt(2026, 1, 6, 15), 4),  # across New Year's Day
        (mt(2025, 11, 24, 10), mt(2025, 11, 20, 10), 0),  # end before start
    ],
)
def test_business_days_elapsed(start, end, expected):
    assert business_days_elapsed(start, end) == expected


def test_business_days_elapsed_inverts_add_business_days():
    rng = random.Random(7)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for _ in range(400):
        start = base + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        n = rng.randrange(0, 40)
        deadline = add_business_days(start, n)
        assert business_days_elapsed(start, deadline) == n
        if deadline > start:
            assert business_days_elapsed(start, deadline - timedelta(seconds=1)) == max(n - 1, 0)
