"""The vendored HSDS 3.0 schemas resolve locally, and the importer's fast validator gives the same
verdicts as the reference one; the small parsers the mapping relies on."""

from __future__ import annotations

import copy

import pytest

from directory_import.hsds_schema import errors_in, fast_errors_in, kinds
from domain.hsds_terms import area_is_telemedicine, county_in_area_name
from domain.postal_address import PostalAddress, parse_address
from tests.hsds.support import hsds_service


def _broken() -> list[dict]:
    variants = []
    for change in (lambda s: s.pop("status"), lambda s: s.update(status="open"), lambda s: s.update(id="12"),
                   lambda s: s["phones"][0].update(number=4065550101), lambda s: s.update(email="not an email"),
                   lambda s: s["service_at_locations"][0]["location"]["addresses"][0].pop("postal_code"),
                   lambda s: s["service_at_locations"][0]["location"].update(location_type="car"),
                   lambda s: s.update(minimum_age="ten")):
        service = copy.deepcopy(hsds_service(1))
        change(service)
        variants.append(service)
    return variants


def test_every_schema_kind_is_there():
    assert {"service", "organization", "location", "address", "phone", "service_area", "service_at_location",
            "attribute", "taxonomy", "taxonomy_term", "metadata"} <= set(kinds())


@pytest.mark.parametrize("service", _broken())
def test_both_validators_refuse_the_same_records(service):
    reference, fast = errors_in("service", service), fast_errors_in("service", service)
    assert reference and fast
    assert [r.split(":")[0] for r in reference] == [f.split(":")[0] for f in fast]  # the same places


def test_both_validators_accept_a_valid_record():
    assert errors_in("service", hsds_service(1)) == [] == fast_errors_in("service", hsds_service(1))


@pytest.mark.parametrize(("text", "parts"), [
    ("101 Main Street, Helena, MT 59601", PostalAddress("101 Main Street", "", "Helena", "MT", "59601")),
    ("1 A St, Suite 2, Big Sandy, mt 59520-1234", PostalAddress("1 A St", "Suite 2", "Big Sandy", "MT", "59520-1234")),
    ("Main St, Helena, Montana", None), ("behind the mill", None), ("", None),
])
def test_addresses_split_and_join(text, parts):
    assert parse_address(text) == parts
    if parts:
        assert parse_address(parts.one_line()) == parts


@pytest.mark.parametrize(("name", "county"), [("Cascade County, MT", "Cascade"), ("Lewis and Clark County", "Lewis and Clark"),
                                              ("Hill", "Hill"), ("Silver Bow County, Montana", "Silver Bow")])
def test_service_area_names(name, county):
    assert county_in_area_name(name) == county


def test_telemedicine_areas():
    assert area_is_telemedicine("By telemedicine") and area_is_telemedicine("Telehealth only")
    assert not area_is_telemedicine("In person")
