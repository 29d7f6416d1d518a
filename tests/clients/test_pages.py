"""The client pages: the Subjects search, the two-page form with its errors and duplicate
warnings, the profile (full, or the minimum with the identity check) and editing."""

import re

from sqlalchemy import func, select

from models.clients.tables import Client
from tests.clients.conftest import page_form
from tests.factories import make_client, make_program, make_user


async def test_search_page_lists_and_offers_add_subject(staff, db):
    make_client(db, staff.program, staff.user, first_name="Jordan", last_name="Björk")
    db.commit()
    page = await staff.page("GET", "/clients?q=jordan+bjork")
    assert page.status_code == 200
    assert 'data-testid="result"' in page.text and "Björk, Jordan" in page.text
    assert "04/12/1990" in page.text  # the creating program sees the DOB
    nothing = await staff.page("GET", "/clients?q=Quinn+Zephyr")
    assert 'data-testid="no-results"' in nothing.text
    assert 'href="/clients/new?first_name=Quinn&amp;last_name=Zephyr"' in nothing.text
    comma = await staff.page("GET", "/clients?q=Zephyr,+Quinn")
    assert 'first_name=Quinn&amp;last_name=Zephyr' in comma.text


async def test_live_search_answers_the_results_only(staff, db):
    make_client(db, staff.program, staff.user)
    db.commit()
    partial = await staff.page("GET", "/clients?q=alex", headers={"hx-request": "true"})
    assert "<html" not in partial.text and 'data-testid="results"' in partial.text


async def test_new_form_has_two_pages_and_prefills_the_name(staff):
    page = await staff.page("GET", "/clients/new?first_name=Quinn&last_name=Zephyr")
    assert 'data-testid="tab-page-1"' in page.text and 'data-testid="tab-page-2"' in page.text
    assert 'value="Quinn"' in page.text and 'value="Zephyr"' in page.text
    assert "Add Subject" in page.text
    assert len(re.findall(r'data-check="\d"\s+hidden', page.text)) == 2  # no page complete yet


async def test_errors_mark_each_field_and_its_page(staff, db):
    page = await staff.page("POST", "/clients/new", page_form(zip="83301", dob="", county="Nowhere"))
    assert page.status_code == 422
    assert 'data-testid="error-zip"' in page.text and "not a Montana ZIP code" in page.text
    assert 'data-testid="error-dob"' in page.text and "date of birth" in page.text
    assert 'data-testid="error-county"' in page.text
    assert page.text.count("usa-form-group--error") >= 3
    assert re.search(r'connect-page-tab--error"\s+id="tab-page-1"', page.text)
    assert re.search(r'connect-page-tab--error"\s+id="tab-page-2"', page.text)
    assert 'data-open-page="1"' in page.text
    assert 'value="12 Last Chance Gulch"' in page.text  # what was typed is kept
    assert db.scalar(select(func.count()).select_from(Client)) == 0


async def test_create_then_profile_with_an_empty_chart(staff, db):
    done = await staff.page("POST", "/clients/new", page_form())
    assert done.status_code == 303
    profile = await staff.page("GET", done.headers["location"])
    assert 'data-testid="client-name">Alex Rivera<' in profile.text
    assert 'data-testid="chart-empty"' in profile.text
    client_id = db.scalar(select(Client.id))
    assert f'href="/clients/{client_id}/roi/new"' in profile.text and "Start new ROI(s)" in profile.text
    assert 'data-testid="history-row"' in profile.text


async def test_exact_duplicate_offers_the_existing_profile(staff, db):
    existing = make_client(db, staff.program, staff.user)
    db.commit()
    page = await staff.page("POST", "/clients/new", page_form())
    assert page.status_code == 409
    assert 'data-testid="duplicate-exact"' in page.text
    assert f'href="/clients/{existing.id}"' in page.text
    assert 'data-testid="acknowledge"' not in page.text


async def test_near_duplicate_needs_the_checkbox(staff, db):
    make_client(db, staff.program, staff.user, first_name="Alexander")
    db.commit()
    warned = await staff.page("POST", "/clients/new", page_form())
    assert warned.status_code == 409
    assert 'data-testid="duplicate-near"' in warned.text and "nickname" in warned.text
    assert 'data-testid="acknowledge"' in warned.text
    created = await staff.page("POST", "/clients/new", {**page_form(), "acknowledge_near_matches": "1"})
    assert created.status_code == 303
    assert db.scalar(select(func.count()).select_from(Client)) == 2


async def test_no_fixed_address_shows_the_housing_reminder(staff, db):
    form = page_form(address="", no_fixed_address="1", phones=[{"number": "999-999-9999", "label": "mobile"}],
                     best_way_to_reach="Helena Poverello Center front desk")
    done = await staff.page("POST", "/clients/new", form)
    assert done.status_code == 303, done.text
    profile = await staff.page("GET", done.headers["location"])
    assert "0000 Street, Helena, MT 59601" in profile.text
    assert 'data-testid="housing-reminder"' in profile.text and "housing support services" in profile.text
    assert "No phone" in profile.text


async def test_outsider_sees_the_minimum_and_can_check_identity(staff, client, db):
    import httpx

    from tests.factories import login

    existing = make_client(db, staff.program, staff.user)
    other = make_program(db, "Missoula Housing")
    make_user(db, "olive@example.org", provider_of=(other,))
    db.commit()
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as http:
        csrf = await login(http, "olive@example.org")
        page = await http.get(f"/clients/{existing.id}", headers={"accept": "text/html"})
        assert 'data-testid="minimum-view"' in page.text
        assert "born 1990" in page.text
        for secret in ("04/12/1990", "555-1234", "Last Chance", "Lewis and Clark"):
            assert secret not in page.text
        checked = await http.post(f"/clients/{existing.id}/identity-check", headers={"accept": "text/html"},
                                  data={"csrf_token": csrf, "dob": "1990-04-12", "phone": "(406) 555-1234"})
        assert checked.status_code == 200
        assert 'data-testid="identity-result"' in checked.text and ">Match<" in checked.text
        wrong = await http.post(f"/clients/{existing.id}/identity-check", headers={"accept": "text/html"},
                                data={"csrf_token": csrf, "dob": "1990-04-12", "address": "9 Elm Rd"})
        assert ">No match<" in wrong.text and "Last Chance" not in wrong.text
        incomplete = await http.post(f"/clients/{existing.id}/identity-check", headers={"accept": "text/html"},
                                     data={"csrf_token": csrf, "dob": "", "phone": ""})
        assert incomplete.status_code == 422 and 'data-testid="check-error-dob"' in incomplete.text
        edit = await http.get(f"/clients/{existing.id}/edit", headers={"accept": "text/html"})
        assert edit.status_code == 403


async def test_edit_saves_and_the_history_says_what_changed(staff, db):
    existing = make_client(db, staff.program, staff.user)
    db.commit()
    form = await staff.page("GET", f"/clients/{existing.id}/edit")
    assert form.status_code == 200 and 'value="(406) 555-1234"' in form.text
    assert "Save changes" in form.text
    saved = await staff.page("POST", f"/clients/{existing.id}/edit",
                             page_form(city="Great Falls", county="Cascade", zip="59401"))
    assert saved.status_code == 303
    profile = await staff.page("GET", saved.headers["location"])
    assert "Great Falls" in profile.text and "The changes were saved" in profile.text
    assert "Edited" in profile.text and "Current City" in profile.text
    bad = await staff.page("POST", f"/clients/{existing.id}/edit", page_form(city=""))
    assert bad.status_code == 422 and 'data-testid="error-city"' in bad.text
