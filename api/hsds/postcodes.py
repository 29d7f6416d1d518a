"""ZIP codes for the HSDS ``postcode`` and ``proximity`` filters: a ZIP's county and centroid
(from the `zipcodes` package's copy of the USPS list), and the ZIP codes near a point."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import zipcodes

from domain.errors import ValidationFailed

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Zip:
    code: str
    state: str
    county: str  # without " County"
    lat: float
    lon: float


@cache
def _all() -> dict[str, Zip]:
    found = {}
    for z in zipcodes.list_all():
        county = (z.get("county") or "").removesuffix(" County")
        found[z["zip_code"]] = Zip(z["zip_code"], z["state"], county, float(z["lat"]), float(z["long"]))
    return found


def lookup(postcode: str) -> Zip:
    """The ZIP code (its first five digits); ValidationFailed if there is no such ZIP code."""
    code = postcode.strip()[:5]
    found = _all().get(code)
    if found is None:
        raise ValidationFailed(f"{postcode!r} is not a US ZIP code.", field="postcode", code="unknown_postcode")
    return found


def metres_between(a: Zip, lat: float, lon: float) -> float:
    p1, p2 = math.radians(a.lat), math.radians(lat)
    dp, dl = p2 - p1, math.radians(lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def zips_within(centre: Zip, metres: float) -> tuple[str, ...]:
    """Every ZIP code whose centroid is within ``metres`` of ``centre``'s."""
    return tuple(z.code for z in _all().values() if metres_between(z, centre.lat, centre.lon) <= metres)
