"""Choosing programs: the directory's four filters, combined and paged; only valid agency MOUs."""

from __future__ import annotations

import re

from models.agencies.directory import (
    DirectoryFilters,
    directory_programs_in_regions,
    search_directory,
)
from models.agencies.tables import Agency
from tests.factories import make_program, montana_today
from tests.roi_support import make_scene, signed_in

TODAY = montana_today()


def _names(page) -> list[str]:
    return [p.name for p in page.items]


def test_filters_combine(db):
    make_program(db, "Helena Food Share", county="Lewis and Clark", services=("food_nutrition",),
                 insurance=("not_applicable",))
    make_program(db, "Statewide Tele-Therapy", county="Missoula", services=("mental_health",),
                 insurance=("medicaid",), telemedicine_counties=("Lewis and Clark", "Cascade"))
    make_program(db, "Sliding Scale Clinic", county="Lewis and Clark", services=("primary_care",),
                 insurance=("uninsured_sliding_scale", "medicaid"))
    make_program(db, "Great Falls Pantry", county="Cascade", services=("food_nutrition",), insurance=("not_applicable",))
    make_program(db, "Lapsed Pantry", county="Lewis and Clark", services=("food_nutrition",), mou_valid=False)
    expired = make_program(db, "Expired Pantry", county="Lewis and Clark", services=("food_nutrition",))
    expired.mou_expires_on = TODAY  # valid up to, not including, the expiry day
    inactive = make_program(db, "Closed Pantry", county="Lewis and Clark")
    inactive.is_active = False
    db.flush()

    def search(**kw):
        return sorted(_names(search_directory(db, DirectoryFilters(**kw), TODAY)))

    assert search(counties=("Lewis and Clark",)) == ["Helena Food Share", "Sliding Scale Clinic",
                                                     "Statewide Tele-Therapy"]  # telemedicine counts
    assert search(services=("food_nutrition",)) == ["Great Falls Pantry", "Helena Food Share"]
    # N/A and sliding scale both mean "no insurance needed"
    assert search(insurance=("not_applicable",)) == ["Great Falls Pantry", "Helena Food Share", "Sliding Scale Clinic"]
    assert search(insurance=("uninsured_sliding_scale",)) == search(insurance=("not_applicable",))
    assert search(insurance=("medicaid",)) == ["Sliding Scale Clinic", "Statewide Tele-Therapy"]
    assert search(counties=("Lewis and Clark",), services=("food_nutrition", "primary_care"),
                  insurance=("not_applicable",)) == ["Helena Food Share", "Sliding Scale Clinic"]
    assert search(agency="food SHARE") == ["Helena Food Share"]
    assert search(agency="agency of great") == ["Great Falls Pantry"]  # the agency's name matches too
    assert search(agency="100%_") == []  # wildcards are literal
    assert search(counties=("Cascade",), agency="pantry") == ["Great Falls Pantry"]


def test_paged_and_the_sender_left_out(db):
    agency = Agency(name="Big Network")
    programs = [make_program(db, f"Site {n:02d}", agency=agency) for n in range(45)]
    first = search_directory(db, DirectoryFilters(), TODAY, per_page=20, exclude_ids=[programs[0].id])
    assert (first.total, first.pages, len(first.items)) == (44, 3, 20)
    last = search_directory(db, DirectoryFilters(), TODAY, page=3, per_page=20, exclude_ids=[programs[0].id])
    assert _names(last) == [f"Site {n:02d}" for n in range(41, 45)]
    assert "Site 00" not in _names(first)
    beyond = search_directory(db, DirectoryFilters(), TODAY, page=99, per_page=20)
    assert beyond.number == 3


def test_programs_in_regions(db):
    make_program(db, "Helena A", county="Lewis and Clark")  # region 4
    make_program(db, "Billings B", county="Yellowstone")  # region 3
    make_program(db, "Hidden C", county="Lewis and Clark", mou_valid=False)
    assert [p.name for p in directory_programs_in_regions(db, [4], TODAY)] == ["Helena A"]
    assert sorted(p.name for p in directory_programs_in_regions(db, [3, 4], TODAY)) == ["Billings B", "Helena A"]


async def test_start_new_roi_page_searches_and_warns_about_part2(client, db):
    scene = make_scene(db, part2=True)
    make_program(db, "Helena Housing", services=("housing",))
    db.commit()
    await signed_in(client, scene)
    page = await client.get(f"/clients/{scene.client.id}/roi/new", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Choose Counties" in page.text and "Choose Services" in page.text
    assert "Choose Insurance Types" in page.text and "Select Agencies" in page.text
    assert "every program on it will see the others" in page.text
    assert "One ROI per program" in page.text
    found = await client.get(f"/clients/{scene.client.id}/roi/new?service=housing")
    assert "Helena Housing" in found.text and "Gateway Recovery" not in found.text
    housing_id = re.search(r'id="program-(\d+)"', found.text).group(1)
    both = await client.get(f"/clients/{scene.client.id}/roi/new?program_id={scene.receiver.id}"
                            f"&program_id={housing_id}")
    assert "42 CFR Part 2" in both.text and 'data-testid="part2-warning"' in both.text
    alone = await client.get(f"/clients/{scene.client.id}/roi/new?program_id={scene.receiver.id}")
    assert 'data-testid="part2-warning"' not in alone.text
