import pytest

from domain import montana
from domain.errors import ValidationFailed
from domain.montana import (
    COUNTIES,
    REGIONS,
    TIMEZONE,
    canonical_county,
    counties_in_region,
    county_info,
    county_names,
    is_montana_county,
    is_montana_zip,
    normalize_zip,
    region_name,
    county_outside_region,
    region_of,
)


def test_fifty_six_counties_with_unique_names_and_fips():
    assert len(COUNTIES) == 56
    assert len(set(county_names())) == 56
    assert [c.fips for c in COUNTIES] == [f"30{n:03d}" for n in range(1, 112, 2)]


def test_populations_add_up_to_the_2020_census():
    assert sum(c.population for c in COUNTIES) == 1_084_225


def test_every_county_is_in_exactly_one_region():
    by_region = [counties_in_region(n) for n in REGIONS]
    assert sorted(name for names in by_region for name in names) == sorted(county_names())
    assert all(names for names in by_region)


def test_five_numbered_regions():
    assert sorted(REGIONS) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("county", "region"),
    [
        ("Yellowstone", 3),
        ("Missoula", 5),
        ("Flathead", 5),
        ("Cascade", 2),
        ("Gallatin", 4),
        ("Lewis and Clark", 4),
        ("Silver Bow", 4),
        ("Dawson", 1),
        ("Wibaux", 1),
    ],
)
def test_region_of(county, region):
    assert region_of(county) == region
    assert county in counties_in_region(region)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("Lewis and Clark", "Lewis and Clark"),
        ("Lewis & Clark", "Lewis and Clark"),
        ("lewis&clark", "Lewis and Clark"),
        ("  LEWIS   AND  CLARK county ", "Lewis and Clark"),
        ("mccone", "McCone"),
        ("Big Horn County", "Big Horn"),
        ("Anaconda-Deer Lodge", "Deer Lodge"),
        ("Butte-Silver Bow", "Silver Bow"),
        ("silver-bow", "Silver Bow"),
    ],
)
def test_tolerated_spellings(spelling, canonical):
    assert is_montana_county(spelling)
    assert canonical_county(spelling) == canonical


@pytest.mark.parametrize("name", ["Ada", "Lewis", "Clark", "Park County, WY", "Montana", ""])
def test_not_montana_counties(name):
    assert not is_montana_county(name)


@pytest.mark.parametrize("name", ["Ada", "  ", ""])
def test_canonical_county_refuses_with_a_reason_on_the_county_field(name):
    with pytest.raises(ValidationFailed) as caught:
        canonical_county(name)
    assert caught.value.field == "county"
    assert "county" in caught.value.reason.lower()


def test_county_info_carries_seat_and_fips():
    helena = county_info("lewis & clark")
    assert (helena.seat, helena.fips, helena.region) == ("Helena", "30049", 4)


@pytest.mark.parametrize("number", [0, 6, -1, None, "3"])
def test_unknown_regions_are_refused(number):
    with pytest.raises(ValidationFailed) as caught:
        counties_in_region(number)
    assert caught.value.field == "region"


def test_region_names():
    assert region_name(1) == "Eastern"


@pytest.mark.parametrize(
    ("value", "five"),
    [
        ("59601", "59601"),
        ("59601-1234", "59601"),
        ("596011234", "59601"),
        (" 59801 ", "59801"),
        ("82001", "82001"),
    ],
)
def test_normalize_zip(value, five):
    assert normalize_zip(value) == five


@pytest.mark.parametrize("value", ["5960", "596011", "59601-12", "ABCDE", "", "59601-12345", None])
def test_malformed_zips_are_refused(value):
    with pytest.raises(ValidationFailed) as caught:
        normalize_zip(value)
    assert caught.value.field == "zip"


@pytest.mark.parametrize(
    ("value", "in_montana"),
    [
        ("59001", True),
        ("59937", True),
        ("59601-1234", True),
        ("59000", False),
        ("59938", False),
        ("82001", False),
        ("5960", False),
        ("not a zip", False),
    ],
)
def test_is_montana_zip(value, in_montana):
    assert is_montana_zip(value) is in_montana


def test_timezone():
    assert TIMEZONE == montana.TIMEZONE == "America/Denver"


@pytest.mark.parametrize(("county", "region", "said"), [
    ("Cascade", 5, "Cascade County is in Region 2 (North Central), not in Region 5 (Western). Choose "
                   "Region 2, or any region, to see the programs serving Cascade County."),
    ("lewis & clark", 1, "Lewis and Clark County is in Region 4"),
    ("Cascade", 2, None),  # the county is in that region
    ("Cascade", None, None), (None, 2, None), ("", 2, None),
])
def test_county_outside_region(county, region, said):
    found = county_outside_region(county, region)
    assert found == said if said is None else found.startswith(said)


# --- Montana's clock: the one zone and the one "local date" every layer uses -------------------

from datetime import UTC, date, datetime  # noqa: E402


@pytest.mark.parametrize("moment, day", [
    (datetime(2026, 6, 16, 5, 59, tzinfo=UTC), date(2026, 6, 15)),  # 23:59 MDT the day before
    (datetime(2026, 6, 16, 6, 0, tzinfo=UTC), date(2026, 6, 16)),   # midnight MDT
    (datetime(2026, 1, 16, 6, 59, tzinfo=UTC), date(2026, 1, 15)),  # 23:59 MST
    (datetime(2026, 1, 16, 7, 0, tzinfo=UTC), date(2026, 1, 16)),
])
def test_local_date_is_the_montana_calendar_day(moment, day):
    assert montana.local_date(moment) == day


def test_local_midnight_and_instant_follow_daylight_saving():
    assert montana.local_midnight(date(2026, 7, 1)).astimezone(UTC) == datetime(2026, 7, 1, 6, tzinfo=UTC)
    assert montana.local_midnight(date(2026, 12, 1)).astimezone(UTC) == datetime(2026, 12, 1, 7, tzinfo=UTC)
    assert montana.local_instant(date(2026, 7, 1), 9, 30) == datetime(2026, 7, 1, 15, 30, tzinfo=UTC)
    assert montana.local_instant(date(2026, 12, 1), 17) == datetime(2026, 12, 2, 0, tzinfo=UTC)


def test_local_clock_is_how_staff_read_an_instant():
    assert montana.local_clock(datetime(2026, 4, 12, 21, 5, tzinfo=UTC)) == "04/12/2026 03:05 PM"


def test_one_zone_declared_once():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    declared = [str(p.relative_to(root)) for folder in ("api", "models", "domain", "workflows", "activities",
                                                        "connect", "demo", "documents")
                for p in (root / folder).rglob("*.py")
                if re.search(r'ZoneInfo\(|"America/Denver"', p.read_text())]
    assert declared == ["domain/montana.py"]
    assert montana.LOCAL.key == montana.TIMEZONE == "America/Denver"
