"""Percentiles read from log-bucketed duration histograms (the closed-loop summary)."""

import random
from datetime import UTC, date, datetime

import pytest

from domain.measures import (
    BUCKET_RELATIVE_ERROR, UNDER_A_SECOND, BucketTotal, duration_bucket, histogram_percentile,
    histogram_spread, local_month, merge_histograms, month_start, months_within, next_month,
    percentile, uncovered,
)

H = 3600


def histogram_of(values):
    out = {}
    for v in values:
        b = duration_bucket(v)
        count, seconds = out.get(b, (0, 0.0))
        out[b] = BucketTotal(count + 1, seconds + v)
    return out


@pytest.mark.parametrize(("seconds", "bucket"), [
    (0, UNDER_A_SECOND), (0.5, UNDER_A_SECOND), (-30, UNDER_A_SECOND), (1, 0), (2, 64), (4, 128),
    (2 ** (1 / 64) * 1.0001, 1), (3600, 756),
])
def test_buckets_are_64_per_doubling(seconds, bucket):
    assert duration_bucket(seconds) == bucket


def test_a_bucket_is_narrower_than_the_stated_error():
    for b in (0, 100, 756, 1500):
        low, high = 2 ** (b / 64), 2 ** ((b + 1) / 64)
        assert duration_bucket(low * 1.000001) == b and duration_bucket(high * 0.999999) == b
        assert high / low - 1 == pytest.approx(BUCKET_RELATIVE_ERROR)


@pytest.mark.parametrize(("values", "fraction"), [
    ([2 * H, 4 * H, 24 * H], 0.5),   # one value per bucket: exact
    ([2 * H, 4 * H, 24 * H], 0.9),
    ([7], 0.5), ([0.2, 0.4], 0.5), ([10, 10, 10, 20], 0.9),
])
def test_distinct_buckets_give_the_exact_percentile(values, fraction):
    assert histogram_percentile(histogram_of(values), fraction) == pytest.approx(percentile(values, fraction))


def test_an_empty_histogram_has_no_percentile():
    assert histogram_percentile({}, 0.5) is None
    assert histogram_spread({}).median is None and histogram_spread({}).count == 0
    with pytest.raises(ValueError):
        histogram_percentile({0: BucketTotal(1, 1.0)}, 2)


@pytest.mark.parametrize("seed", range(20))
def test_the_error_stays_within_the_bound(seed):
    rng = random.Random(seed)
    values = [20 * H * rng.lognormvariate(0, 1.3) for _ in range(rng.randrange(1, 3000))]
    h = histogram_of(values)
    for fraction in (0.0, 0.1, 0.5, 0.9, 1.0):
        exact = percentile(values, fraction)
        assert abs(histogram_percentile(h, fraction) - exact) <= BUCKET_RELATIVE_ERROR * exact


def test_merged_histograms_equal_the_histogram_of_everything():
    rng = random.Random(3)
    parts = [[rng.uniform(0, 100 * H) for _ in range(200)] for _ in range(4)]
    merged = merge_histograms(histogram_of(p) for p in parts)
    whole = histogram_of([v for p in parts for v in p])
    assert merged.keys() == whole.keys()
    assert all(merged[b].count == whole[b].count and merged[b].seconds == pytest.approx(whole[b].seconds)
               for b in whole)
    assert histogram_spread(merged).count == 800


def test_months_are_montana_months():
    assert local_month(datetime(2025, 7, 1, 3, tzinfo=UTC)) == date(2025, 6, 1)  # 21:00 on 30 June
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert month_start(date(2025, 7, 1)) == datetime(2025, 7, 1, 6, tzinfo=UTC)


def test_periods_split_into_whole_months_and_the_rest():
    months = [date(2025, m, 1) for m in range(1, 13)]
    start, end = datetime(2025, 3, 15, tzinfo=UTC), month_start(date(2025, 7, 1))
    inside = months_within(start, end, months)
    assert inside == [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)]
    assert uncovered(start, end, inside) == [(start, month_start(date(2025, 4, 1)))]
    # a month missing from the summary (changed since it was made) is read live
    assert uncovered(None, None, [date(2025, 4, 1), date(2025, 6, 1)]) == [
        (None, month_start(date(2025, 4, 1))),
        (month_start(date(2025, 5, 1)), month_start(date(2025, 6, 1))),
        (month_start(date(2025, 7, 1)), None)]
    assert uncovered(start, end, []) == [(start, end)]
    assert months_within(None, None, months[:2]) == months[:2]
