"""The Blank ROI report: a PDF of every directory program of the chosen regions, with the text."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.factories import login, make_program, make_user


async def test_blank_roi_pdf_lists_the_regions_programs(client, db):
    helena = make_program(db, "Helena Food Share", county="Lewis and Clark")  # region 4
    make_program(db, "Butte Pantry", county="Silver Bow", part2=True)  # region 4
    make_program(db, "Billings Clinic", county="Yellowstone")  # region 3
    make_program(db, "Lapsed Helena Program", county="Lewis and Clark", mou_valid=False)
    user = make_user(db, provider_of=(helena,))
    db.commit()
    await login(client, user.email)
    form = await client.get("/reports/blank-roi", headers={"accept": "text/html"})
    assert form.status_code == 200 and "Region 4: Southwest" in form.text

    r = await client.get("/reports/blank-roi.pdf?region=4")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Helena Food Share" in text and "Butte Pantry (42 CFR Part 2 program)" in text
    assert "Billings Clinic" not in text and "Lapsed Helena Program" not in text
    assert "Information to be disclosed" in text and "right to revoke" in text
    assert "Signature: ____" in text

    both = await client.get("/reports/blank-roi.pdf?region=3&region=4")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(both.content)).pages)
    assert "Billings Clinic" in text and "Helena Food Share" in text


async def test_blank_roi_needs_a_real_region(client, db):
    user = make_user(db)
    db.commit()
    await login(client, user.email)
    assert (await client.get("/reports/blank-roi.pdf")).status_code == 422
    bad = await client.get("/reports/blank-roi.pdf?region=9")
    assert bad.status_code == 422 and "regions are numbered 1 to 5" in bad.json()["detail"]
