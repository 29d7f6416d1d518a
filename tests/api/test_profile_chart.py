"""The profile's Referrals Chart is the hub of a client's referrals (guide Parts 3 and 4): the green
boxes with "Start", the ROIs and the referrals, one name and one colour per state."""

from __future__ import annotations

import re

from sqlalchemy import select

from domain.roi import RoiState
from models.referrals.tables import Referral
from tests.factories import login, make_client
from tests.referral_network import make_network

HTML = {"accept": "text/html"}


def _chart(html: str) -> str:
    return re.search(r'<section[^>]*data-testid="referral-chart".*?</section>', html, re.S).group(0)


def _boxes(chart: str) -> dict[str, tuple[str, str]]:
    """program id -> (kind, tone of the box)."""
    return {pid: (kind, tone) for pid, kind, tone in re.findall(
        r'data-program="(\d+)" data-kind="(\w+)">\s*<div class="usa-card__container connect-box--(\w+)"', chart)}


async def test_a_signed_roi_gives_a_start_box_per_program_on_the_profile(client, db):
    net = make_network(db)
    await login(client, net.sender.email)
    chart = _chart((await client.get(f"/clients/{net.client.id}", headers=HTML)).text)

    assert _boxes(chart) == {str(net.sending.id): ("start", "go"), str(net.receiving.id): ("start", "go")}
    assert f'href="/clients/{net.client.id}/referrals/new?program_id={net.receiving.id}">Start</a>' in chart
    assert "internal referral" in chart  # own program included
    roi = re.search(rf'data-roi="{net.roi.id}" data-state="signed">.*?</li>', chart, re.S).group(0)
    assert "connect-tone--go" in roi and ">Signed</span>" in roi and "Behavioral Health" in roi
    assert "Valid through" in roi and "not including" not in chart
    assert 'data-testid="no-client-referrals"' in chart


async def test_a_saved_referral_turns_its_box_blue_pending_and_lists_it_unsent(client, db):
    net = make_network(db)
    csrf = await login(client, net.sender.email)
    saved = await client.post(f"/clients/{net.client.id}/referrals/new", data={
        "csrf_token": csrf, "program_id": str(net.receiving.id), "reason": "Counselling",
        "field.urgent": "no", "action": "save"})
    assert saved.status_code == 303, saved.text
    rid = db.scalar(select(Referral.id))

    chart = _chart((await client.get(f"/clients/{net.client.id}", headers=HTML)).text)
    assert _boxes(chart)[str(net.receiving.id)] == ("pending", "waiting")
    assert f'href="/referrals/{rid}">Pending</a>' in chart
    row = re.search(rf'<tr data-referral="{rid}"[^>]*>.*?</tr>', chart, re.S).group(0)
    assert "Not sent yet" in row and "connect-tone--waiting" in row and ">Pending</span>" in row


async def test_a_revoked_roi_is_not_highlighted_and_gives_no_box(client, db):
    net = make_network(db)
    net.roi.state = RoiState.REVOKED.value
    db.commit()
    await login(client, net.sender.email)
    chart = _chart((await client.get(f"/clients/{net.client.id}", headers=HTML)).text)
    assert _boxes(chart) == {}
    assert 'data-testid="no-referral-cards"' in chart
    roi = re.search(rf'data-roi="{net.roi.id}" data-state="revoked">.*?</li>', chart, re.S).group(0)
    # Not highlighted: the box is plain (green boxes are for Start), the tag says Revoked in grey.
    assert "connect-box--" not in roi and "connect-tone--ended" in roi and ">Revoked</span>" in roi


async def test_a_new_client_points_to_start_new_rois(client, db):
    net = make_network(db)
    other = make_client(db, net.sending, net.sender, first_name="Yara", last_name="Newcomb")
    db.commit()
    await login(client, net.sender.email)
    chart = _chart((await client.get(f"/clients/{other.id}", headers=HTML)).text)
    assert 'data-testid="chart-empty"' in chart and f'href="/clients/{other.id}/roi/new"' in chart
