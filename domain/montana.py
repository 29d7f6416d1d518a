"""Montana's counties, public-health regions, ZIP codes and time zone.

Regions: the five public health emergency preparedness (PHEP) planning regions of the Montana
Department of Public Health and Human Services (DPHHS), numbered 1-5, which the state's
healthcare-preparedness coalitions also use. DPHHS publishes them as a map, not as data; the
assignment below follows that map (Treasure County with the eastern region). Re-check it against
the current DPHHS map before relying on it for reporting.

Populations are the 2020 decennial census counts, used only to weight statistics and samples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from domain.errors import ValidationFailed

TIMEZONE = "America/Denver"
"""Montana's time zone (all of the state keeps Mountain time), by its IANA name, for SQL."""
LOCAL = ZoneInfo(TIMEZONE)
"""The same zone, for Python: every "local" date, time and display in CONNECT uses it."""


def local_date(moment: datetime) -> date:
    """The Montana calendar day of the instant ``moment`` (an aware datetime)."""
    return moment.astimezone(LOCAL).date()


def local_midnight(day: date) -> datetime:
    """00:00 Montana time on ``day``, as an aware local datetime: where that day starts."""
    return datetime.combine(day, time(0), tzinfo=LOCAL)


def local_instant(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """``hour``:``minute`` Montana time on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL).astimezone(UTC)


def local_clock(moment: datetime) -> str:
    """An instant as Montana staff read it, to the minute: "04/12/2026 03:05 PM"."""
    return moment.astimezone(LOCAL).strftime("%m/%d/%Y %I:%M %p")

REGIONS: dict[int, str] = {
    1: "Eastern",
    2: "North Central",
    3: "South Central",
    4: "Southwest",
    5: "Western",
}


@dataclass(frozen=True)
class County:
    """One Montana county: ``fips`` is the 5-digit state+county code."""

    name: str
    fips: str
    population: int
    seat: str
    region: int


# name, FIPS, 2020 census population, county seat, PHEP region
COUNTIES: tuple[County, ...] = tuple(
    County(*row)
    for row in (
        ("Beaverhead", "30001", 9371, "Dillon", 4),
        ("Big Horn", "30003", 13124, "Hardin", 3),
        ("Blaine", "30005", 7044, "Chinook", 2),
        ("Broadwater", "30007", 6774, "Townsend", 4),
        ("Carbon", "30009", 10473, "Red Lodge", 3),
        ("Carter", "30011", 1415, "Ekalaka", 1),
        ("Cascade", "30013", 84414, "Great Falls", 2),
        ("Chouteau", "30015", 5895, "Fort Benton", 2),
        ("Custer", "30017", 11867, "Miles City", 1),
        ("Daniels", "30019", 1661, "Scobey", 1),
        ("Dawson", "30021", 8940, "Glendive", 1),
        ("Deer Lodge", "30023", 9421, "Anaconda", 4),
        ("Fallon", "30025", 3049, "Baker", 1),
        ("Fergus", "30027", 11446, "Lewistown", 3),
        ("Flathead", "30029", 104357, "Kalispell", 5),
        ("Gallatin", "30031", 118960, "Bozeman", 4),
        ("Garfield", "30033", 1173, "Jordan", 1),
        ("Glacier", "30035", 13778, "Cut Bank", 2),
        ("Golden Valley", "30037", 823, "Ryegate", 3),
        ("Granite", "30039", 3309, "Philipsburg", 4),
        ("Hill", "30041", 16309, "Havre", 2),
        ("Jefferson", "30043", 12085, "Boulder", 4),
        ("Judith Basin", "30045", 2023, "Stanford", 3),
        ("Lake", "30047", 31134, "Polson", 5),
        ("Lewis and Clark", "30049", 70973, "Helena", 4),
        ("Liberty", "30051", 1959, "Chester", 2),
        ("Lincoln", "30053", 19677, "Libby", 5),
        ("Madison", "30055", 8623, "Virginia City", 4),
        ("McCone", "30057", 1729, "Circle", 1),
        ("Meagher", "30059", 1927, "White Sulphur Springs", 4),
        ("Mineral", "30061", 4535, "Superior", 5),
        ("Missoula", "30063", 117922, "Missoula", 5),
        ("Musselshell", "30065", 4730, "Roundup", 3),
        ("Park", "30067", 17191, "Livingston", 4),
        ("Petroleum", "30069", 496, "Winnett", 3),
        ("Phillips", "30071", 4217, "Malta", 1),
        ("Pondera", "30073", 5898, "Conrad", 2),
        ("Powder River", "30075", 1694, "Broadus", 1),
        ("Powell", "30077", 6946, "Deer Lodge", 4),
        ("Prairie", "30079", 1088, "Terry", 1),
        ("Ravalli", "30081", 44174, "Hamilton", 5),
        ("Richland", "30083", 11491, "Sidney", 1),
        ("Roosevelt", "30085", 10794, "Wolf Point", 1),
        ("Rosebud", "30087", 8329, "Forsyth", 1),
        ("Sanders", "30089", 12400, "Thompson Falls", 5),
        ("Sheridan", "30091", 3539, "Plentywood", 1),
        ("Silver Bow", "30093", 35133, "Butte", 4),
        ("Stillwater", "30095", 8963, "Columbus", 3),
        ("Sweet Grass", "30097", 3678, "Big Timber", 3),
        ("Teton", "30099", 6226, "Choteau", 2),
        ("Toole", "30101", 4971, "Shelby", 2),
        ("Treasure", "30103", 762, "Hysham", 1),
        ("Valley", "30105", 7578, "Glasgow", 1),
        ("Wheatland", "30107", 2069, "Harlowton", 3),
        ("Wibaux", "30109", 937, "Wibaux", 1),
        ("Yellowstone", "30111", 164731, "Billings", 3),
    )
)


def _key(name: str) -> str:
    """Spelling-tolerant lookup key: case, '&', hyphens, dots, spacing and a trailing 'County'."""
    text = name.casefold().replace("&", " and ").replace("-", " ").replace(".", " ")
    text = " ".join(text.split())
    return text.removesuffix(" county")


_BY_KEY: dict[str, County] = {_key(c.name): c for c in COUNTIES}
# The two consolidated city-county governments are often written under their official names.
_BY_KEY[_key("Anaconda-Deer Lodge")] = _BY_KEY[_key("Deer Lodge")]
_BY_KEY[_key("Butte-Silver Bow")] = _BY_KEY[_key("Silver Bow")]


def county_names() -> tuple[str, ...]:
    """All 56 county names, canonical spelling, in alphabetical (FIPS) order."""
    return tuple(c.name for c in COUNTIES)


def is_montana_county(name: str) -> bool:
    """Whether ``name`` is a Montana county, ignoring case, '&' vs 'and' and a 'County' suffix."""
    return isinstance(name, str) and _key(name) in _BY_KEY


def county_info(name: str) -> County:
    """The :class:`County` for any tolerated spelling of its name; ValidationFailed if unknown."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("Choose a Montana county.", field="county", code="county_missing")
    found = _BY_KEY.get(_key(name))
    if found is None:
        raise ValidationFailed(
            f"'{name.strip()}' is not a Montana county. Choose one of the state's 56 counties "
            "from the list (for example 'Lewis and Clark').",
            field="county",
            code="unknown_county",
        )
    return found


def canonical_county(name: str) -> str:
    """The canonical spelling of a county name ('lewis & clark county' -> 'Lewis and Clark')."""
    return county_info(name).name


def region_of(county: str) -> int:
    """The public-health region number (1-5) of a county."""
    return county_info(county).region


def region_name(number: int) -> str:
    """The name of region ``number``; ValidationFailed if there is no such region."""
    try:
        return REGIONS[number]
    except (KeyError, TypeError):
        raise ValidationFailed(
            f"There is no public-health region {number!r}; Montana's regions are numbered 1 to 5.",
            field="region",
            code="unknown_region",
        ) from None


def counties_in_region(number: int) -> tuple[str, ...]:
    """Canonical names of the counties in region ``number``, alphabetical."""
    region_name(number)  # validates the number
    return tuple(c.name for c in COUNTIES if c.region == number)


MIN_ZIP, MAX_ZIP = 59001, 59937
_ZIP = re.compile(r"([0-9]{5})(?:[-\s]?[0-9]{4})?")


def normalize_zip(value: str) -> str:
    """The 5-digit ZIP of a ZIP or ZIP+4 ('59601-1234' -> '59601'); ValidationFailed otherwise."""
    match = _ZIP.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValidationFailed(
            "Enter a 5-digit ZIP code, or ZIP+4 such as 59601-1234.", field="zip", code="bad_zip"
        )
    return match.group(1)


def is_montana_zip(value: str) -> bool:
    """Whether a ZIP or ZIP+4 lies in Montana's range 59001-59937 (False if malformed)."""
    try:
        return MIN_ZIP <= int(normalize_zip(value)) <= MAX_ZIP
    except ValidationFailed:
        return False


def county_outside_region(county: str | None, region: int | None) -> str | None:
    """When a search names both a county and a region it is not in, the sentence that says
    which region the county belongs to (shown when such a search finds nothing); else None."""
    if not county or region is None or region not in REGIONS:
        return None
    home = county_info(county)
    if home.region == region:
        return None
    return (f"{home.name} County is in Region {home.region} ({REGIONS[home.region]}), not in Region "
            f"{region} ({REGIONS[region]}). Choose Region {home.region}, or any region, to see the "
            f"programs serving {home.name} County.")
