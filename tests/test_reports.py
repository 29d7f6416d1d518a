"""The reports of Part 8 and the closed-loop dashboard, checked against a hand-made network whose
right answers are worked out below."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime, timedelta

import pytest

from models.agencies.tables import Agency
from tests.factories import login, make_program, make_referral, make_user

NOW = datetime(2025, 6, 16, 18, tzinfo=UTC)  # Monday 12:00 in Montana
H = timedelta(hours=1)


def at(month: int, day: int, hour: int = 16) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


@pytest.fixture
def network(db, app):
    """Helena Family Services (two programs, region 4), Billings Behavioral Health (region 3),
    Missoula Housing (region 5), and seven referrals:

    r1 H1->B sent 2 Jun, acknowledged +2 h, reached +10 h, enrolled +48 h, closed successfully
    r2 H1->B sent Mon 9 Jun 10:00, never acknowledged (5 business days at NOW), escalated
    r3 B->H1 sent 11 Jun, acknowledged +24 h, reached +28 h, enrolled +48 h, still enrolled
    r4 M->H2 sent 20 May, declined the next day
    r5 B->M  sent 3 Jun, acknowledged +4 h, closed "Unable to contact"
    r6 H2->M sent 13 Jun, withdrawn two hours later
    r7 H1->M saved, never sent
    """
    app.state.clock = lambda: NOW
    helena = Agency(name="Helena Family Services")
    h1 = make_program(db, "Family Support", agency=helena, county="Lewis and Clark",
                      services=("parenting", "home_visiting"), insurance=("medicaid",))
    h2 = make_program(db, "Parenting Classes", agency=helena, county="Lewis and Clark",
                      services=("parenting",), insurance=("medicaid",))
    b = make_program(db, "Billings Behavioral Health", county="Yellowstone",
                     services=("mental_health",), insurance=("medicaid", "aetna"),
                     telemedicine_counties=("Lewis and Clark",))
    m = make_program(db, "Missoula Housing", county="Missoula", services=("housing",),
                     insurance=("not_applicable",))
    make_program(db, "Lapsed Program", county="Missoula", services=("housing",), mou_valid=False)
    people = {
        "gatekeeper": make_user(db, "gk@example.org", gatekeeper_of=(h1,)),
        "provider": make_user(db, "prov@example.org", name="Pat Provider", provider_of=(h1,)),
        "admin4": make_user(db, "admin4@example.org", admin_regions=(4,)),
        "state": make_user(db, "state@example.org", state_team=True),
        "unsigned": make_user(db, "unsigned@example.org", gatekeeper_of=(h1,), mou_signed=False),
    }
    gk_b = make_user(db, "gkb@example.org", gatekeeper_of=(b,))
    prov = people["provider"]
    r = {
        1: make_referral(db, h1, b, prov, state="closed", service_status="Closed - Successful completion",
                         sent_at=at(6, 2), acknowledged_at=at(6, 2) + 2 * H,
                         first_contact_at=at(6, 2) + 10 * H, enrolled_at=at(6, 2) + 48 * H,
                         closed_at=at(6, 10), provider=gk_b),
        2: make_referral(db, h1, b, prov, sent_at=at(6, 9), escalated_at=at(6, 16)),
        3: make_referral(db, b, h1, gk_b, state="assigned", service_status="Enrolled in Services",
                         sent_at=at(6, 11), acknowledged_at=at(6, 12), first_contact_at=at(6, 12, 20),
                         enrolled_at=at(6, 13), provider=prov),
        4: make_referral(db, m, h2, gk_b, state="declined", sent_at=at(5, 20), declined_at=at(5, 21)),
        5: make_referral(db, b, m, gk_b, state="closed",
                         service_status="Not Started - Unable to contact individual",
                         sent_at=at(6, 3), acknowledged_at=at(6, 3) + 4 * H, closed_at=at(6, 5)),
        6: make_referral(db, h2, m, prov, state="withdrawn", sent_at=at(6, 13), updated_at=at(6, 13, 18)),
        7: make_referral(db, h1, m, prov, state="pending"),
    }
    db.commit()
    return {"programs": {"h1": h1, "h2": h2, "b": b, "m": m}, "helena": helena,
            "people": people, "r": {k: v.id for k, v in r.items()}}


async def as_(client, network, who: str) -> None:
    await login(client, network["people"][who].email)


def ids(body: dict) -> list[int]:
    return [row["Referral"] for row in body["rows"]]


# --- who sees what ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("who", "slugs"),
    [
        ("provider", ["blank-roi", "agencies"]),
        ("gatekeeper", ["blank-roi", "agencies", "delays", "outcomes", "from-agency", "to-agency"]),
        ("admin4", ["blank-roi", "agencies", "delays", "outcomes", "from-agency", "to-agency", "dashboard"]),
        ("state", ["blank-roi", "agencies", "delays", "outcomes", "from-agency", "to-agency", "dashboard"]),
    ],
)
async def test_the_list_of_reports_depends_on_the_role(client, network, who, slugs):
    await as_(client, network, who)
    body = (await client.get("/api/v1/reports")).json()
    assert [r["slug"] for r in body["reports"]] == slugs
    page = await client.get("/reports", headers={"accept": "text/html"})
    assert page.status_code == 200
    for slug in slugs:
        assert f'data-report="{slug}"' in page.text
    assert "/reports/blank-roi" in page.text


@pytest.mark.parametrize("path", ["/reports/delays", "/api/v1/reports/delays", "/api/v1/reports/delays.csv",
                                  "/reports/outcomes", "/api/v1/reports/from-agency",
                                  "/api/v1/reports/to-agency.csv", "/reports/dashboard"])
async def test_a_provider_cannot_open_the_referral_reports(client, network, path):
    await as_(client, network, "provider")
    answer = await client.get(path)
    assert answer.status_code == 403
    assert answer.json()["error"] == "report_not_allowed"


async def test_a_provider_gets_a_403_page_for_the_delays_report(client, network):
    await as_(client, network, "provider")
    page = await client.get("/reports/delays", headers={"accept": "text/html"})
    assert page.status_code == 403
    assert "Providers see the Blank ROI and the Agencies Report" in page.text


async def test_a_gatekeeper_has_no_dashboard_and_no_statewide_view(client, network):
    await as_(client, network, "gatekeeper")
    assert (await client.get("/api/v1/reports/dashboard")).status_code == 403
    answer = await client.get("/api/v1/reports/delays", params={"scope": "state"})
    assert answer.status_code == 403 and answer.json()["error"] == "scope_not_allowed"
    other = network["programs"]["b"].id
    answer = await client.get("/api/v1/reports/delays", params={"program": other})
    assert answer.status_code == 403 and answer.json()["error"] == "program_not_allowed"


async def test_an_administrator_sees_only_their_regions(client, network):
    await as_(client, network, "admin4")
    body = (await client.get("/api/v1/reports/delays", params={"status": "any"})).json()
    r = network["r"]
    assert sorted(ids(body)) == sorted([r[1], r[2], r[3], r[4], r[6]])  # not r5 (Billings -> Missoula)
    answer = await client.get("/api/v1/reports/delays", params={"region": 3})
    assert answer.status_code == 403 and answer.json()["error"] == "region_not_allowed"
    assert (await client.get("/api/v1/reports/outcomes", params={"scope": "state"})).status_code == 403


async def test_referral_reports_need_the_user_mou(client, network):
    await as_(client, network, "unsigned")
    answer = await client.get("/api/v1/reports/delays")
    assert answer.status_code == 403 and answer.json()["error"] == "user_mou_required"
    assert (await client.get("/api/v1/reports/agencies")).status_code == 200


async def test_reports_need_sign_in(client, network):
    assert (await client.get("/api/v1/reports/agencies")).status_code == 401


# --- Referral Delays to Agency ------------------------------------------------------------------

async def test_delays_show_open_referrals_longest_waiting_first(client, network):
    await as_(client, network, "gatekeeper")
    body = (await client.get("/api/v1/reports/delays")).json()
    r = network["r"]
    assert body["scope"] == "Helena Family Services"
    assert ids(body) == [r[2], r[3]]
    waiting, enrolled = body["rows"]
    assert waiting["Direction"] == "Sent" and enrolled["Direction"] == "Received"
    assert waiting["Where it stands"] == "Active" and waiting["Referral Status"] == ""
    assert waiting["Hours unacknowledged"] == 170.0  # 9 Jun 16:00 -> 16 Jun 18:00 UTC
    assert waiting["Days since sent"] == 7.1
    assert waiting["Business days unacknowledged"] == 5
    assert waiting["Escalated"] == "2025-06-16T10:00-06:00"
    assert enrolled["Hours unacknowledged"] == 24.0 and enrolled["Business days unacknowledged"] == 1
    assert enrolled["Days since sent"] == 5.1  # still open: until now
    assert enrolled["Assigned to"] == "Pat Provider"
    # The page's header and value agree on the unit (the JSON and CSV keep numbers of hours).
    page = (await client.get("/reports/delays", headers={"accept": "text/html"})).text
    assert '<th scope="col">Time unacknowledged</th>' in page and "Hours unacknowledged</th>" not in page
    assert "<td>7.1 days</td>" in page and "<td>24.0 hours</td>" in page
    assert enrolled["From (sending program)"] == "Agency of Billings Behavioral Health — Billings Behavioral Health"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "any"}, [4, 1, 2, 3, 6]),  # any status, oldest first
        ({"status": "declined"}, [4]),
        ({"status": "closed"}, [1]),
        ({"status": "Enrolled in Services"}, [3]),
        ({"status": "any", "direction": "received"}, [4, 3]),
        ({"status": "any", "direction": "sent"}, [1, 2, 6]),
        ({"status": "any", "sent_from": "2025-06-03", "sent_to": "2025-06-11"}, [2, 3]),
        ({"status": "any", "program": "h2"}, [4, 6]),
    ],
)
async def test_delays_filters(client, network, params, expected):
    await as_(client, network, "gatekeeper")
    if params.get("program"):
        params = {**params, "program": network["programs"][params["program"]].id}
    body = (await client.get("/api/v1/reports/delays", params=params)).json()
    assert ids(body) == [network["r"][n] for n in expected]
    assert body["total"] == len(expected)


async def test_delays_of_closed_and_declined_referrals_stop_at_their_end(client, network):
    await as_(client, network, "gatekeeper")
    rows = {row["Referral"]: row for row in
            (await client.get("/api/v1/reports/delays", params={"status": "any"})).json()["rows"]}
    r = network["r"]
    assert rows[r[1]]["Days since sent"] == 8.0 and rows[r[1]]["Hours unacknowledged"] == 2.0
    assert rows[r[4]]["Hours unacknowledged"] == 24.0 and rows[r[4]]["Days since sent"] == 1.0
    assert rows[r[6]]["Hours unacknowledged"] == 2.0  # withdrawn two hours after sending


async def test_bad_filters_are_refused_with_a_reason(client, network):
    await as_(client, network, "gatekeeper")
    answer = await client.get("/api/v1/reports/delays", params={"status": "Lost"})
    assert answer.status_code == 422 and answer.json()["field"] == "status"
    answer = await client.get("/api/v1/reports/outcomes",
                              params={"sent_from": "2025-06-10", "sent_to": "2025-06-01"})
    assert answer.status_code == 422 and "start date" in answer.json()["detail"]
    page = await client.get("/reports/outcomes", params={"sent_from": "2025-06-10", "sent_to": "2025-06-01"},
                            headers={"accept": "text/html"})
    assert page.status_code == 422 and 'data-testid="form-error"' in page.text
    assert "connect-field-error" in page.text
    assert (await client.get("/api/v1/reports/delays", params={"sent_from": "June"})).status_code == 422


async def test_delays_csv_streams_every_row_with_headers(client, network, db):
    await as_(client, network, "gatekeeper")
    answer = await client.get("/api/v1/reports/delays.csv", params={"status": "any"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="referral-delays.csv"' in answer.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == ["Referral", "Sent", "Where it stands", "Referral Status", "Days since sent",
                        "Hours unacknowledged", "Business days unacknowledged", "Escalated",
                        "Direction", "From (sending program)", "To (receiving program)", "Assigned to",
                        "Acknowledged"]
    r = network["r"]
    assert [int(row[0]) for row in table[1:]] == [r[4], r[1], r[2], r[3], r[6]]
    waiting = table[3]
    assert waiting[1] == "2025-06-09T10:00-06:00"
    assert waiting[4:8] == ["7.1", "170.0", "5", "2025-06-16T10:00-06:00"]
    assert waiting[8] == "Sent"
    from sqlalchemy import select

    from models.audit import AuditEvent

    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "report.exported"))
    assert event.entity_id == "referral-delays.csv" and event.user_id == network["people"]["gatekeeper"].id
    assert event.detail["scope"] == "Helena Family Services" and "status=any" in event.detail["query"]


# --- Referral Outcomes ------------------------------------------------------------------------

async def test_outcomes_count_both_directions(client, network):
    await as_(client, network, "gatekeeper")
    body = (await client.get("/api/v1/reports/outcomes")).json()
    got = {row["outcome"]: (row["sent"], row["received"]) for row in body["outcomes"] if row["all"]}
    assert got == {
        "Closed - Successful completion": (1, 0),
        "Active - awaiting acknowledgement": (1, 0),
        "Withdrawn by the sender": (1, 0),
        "Enrolled in Services": (0, 1),
        "Declined by the receiving program": (0, 1),
    }
    assert len(body["outcomes"]) == 17  # every outcome is listed, even at zero
    months = {row["month"]: row for row in body["months"]}
    assert months["2025-05"]["Declined or withdrawn"] == 1
    # Every group is listed, even at zero (the answer's schema names them all).
    assert months["2025-06"] == {"month": "2025-06", "Closed - Successful completion": 1, "Closed otherwise": 0,
                                 "Still open": 2, "Declined or withdrawn": 1}


async def test_outcomes_statewide(client, network):
    await as_(client, network, "state")
    body = (await client.get("/api/v1/reports/outcomes", params={"sent_to": "2025-06-05"})).json()
    got = {row["outcome"]: row["all"] for row in body["outcomes"] if row["all"]}
    assert got == {"Closed - Successful completion": 1, "Declined by the receiving program": 1,
                   "Not Started - Unable to contact individual": 1}


async def test_outcomes_page_draws_its_charts(client, network):
    await as_(client, network, "gatekeeper")
    page = await client.get("/reports/outcomes", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'data-testid="status-chart"' in page.text and 'data-testid="outcomes-chart"' in page.text
    assert "Enrolled in Services: 1 referral<" in page.text  # the bar's own title
    # The chart counts the table's referrals, sent and received alike (it used to count received only).
    assert "Active - awaiting acknowledgement: 1 referral<" in page.text
    assert "sent and received" in page.text
    assert "style=" not in page.text  # the CSP allows no inline styles
    csv_answer = await client.get("/api/v1/reports/outcomes.csv")
    rows = list(csv.reader(io.StringIO(csv_answer.text)))
    assert rows[0] == ["Outcome", "Sent", "Received", "All"]
    assert ["Enrolled in Services", "0", "1", "1"] in rows


# --- Referrals From / To Agency -----------------------------------------------------------------

async def test_referrals_from_agency_are_incoming(client, network):
    await as_(client, network, "gatekeeper")
    r = network["r"]
    body = (await client.get("/api/v1/reports/from-agency")).json()
    assert ids(body) == [r[3], r[4]]  # newest first
    b_agency = network["programs"]["b"].agency_id
    body = (await client.get("/api/v1/reports/from-agency", params={"agency": [b_agency]})).json()
    assert ids(body) == [r[3]]
    billings = {"Agency": "Agency of Billings Behavioral Health", "Referrals": 1,
                "Closed - Successful completion": 0, "Closed otherwise": 0, "Still open": 1,
                "Declined or withdrawn": 0}
    assert body["summary"]["rows"] == [billings]
    assert body["summary"]["totals"] == {**billings, "Agency": "Total"}
    assert (body["summary"]["page"], body["summary"]["pages"], body["summary"]["total"]) == (1, 1, 1)
    by_name = (await client.get("/api/v1/reports/from-agency",
                                params={"agency": ["agency of billings behavioral health"]})).json()
    assert ids(by_name) == [r[3]] and by_name["summary"]["rows"] == [billings]


async def test_referrals_to_agency_are_outgoing(client, network):
    await as_(client, network, "gatekeeper")
    r = network["r"]
    body = (await client.get("/api/v1/reports/to-agency")).json()
    assert ids(body) == [r[6], r[2], r[1]]
    summary = {row["Agency"]: row for row in body["summary"]["rows"]}
    assert summary["Agency of Billings Behavioral Health"]["Referrals"] == 2
    assert summary["Agency of Billings Behavioral Health"]["Closed - Successful completion"] == 1
    assert summary["Agency of Missoula Housing"]["Declined or withdrawn"] == 1
    m_agency = network["programs"]["m"].agency_id
    body = (await client.get("/api/v1/reports/to-agency",
                             params={"agency": [m_agency], "sent_from": "2025-06-01"})).json()
    assert ids(body) == [r[6]]
    row = (await client.get("/api/v1/reports/to-agency", params={"sent_to": "2025-06-02"})).json()["rows"][0]
    assert row["Hours to acknowledgement"] == 2.0 and row["Enrolled"] == "2025-06-04T10:00-06:00"
    answer = await client.get("/api/v1/reports/to-agency.csv")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0][:4] == ["Referral", "Sent", "From (sending program)", "To (receiving program)"]
    assert [int(row[0]) for row in table[1:]] == [r[6], r[2], r[1]]


async def test_the_partner_agencies_are_paged_with_the_totals_of_all(db, network):
    """To Agency for Helena: r1 and r2 went to Billings (one closed successfully, one open), r6
    to Missoula (withdrawn); r7 was never sent."""
    from domain.reports import Direction, Period
    from models.reports import queries as q

    helena = q.agency_scope(db, network["helena"].id)
    f = q.ReferralFilter(helena, Period(), Direction.SENT)
    first, second, past = (q.partner_summary(db, f, n, size=1) for n in (1, 2, 3))
    assert [line.agency for line in first.page.items + second.page.items] == [
        "Agency of Billings Behavioral Health", "Agency of Missoula Housing"]
    assert (first.page.items[0].referrals, first.page.items[0].groups["Closed - Successful completion"],
            first.page.items[0].groups["Still open"]) == (2, 1, 1)
    assert second.page.items[0].groups["Declined or withdrawn"] == 1
    assert past.page.items == [] and (first.page.total, first.page.pages) == (2, 2)
    for summary in (first, second, past):
        assert summary.totals.referrals == 3
        assert summary.totals.groups == {"Closed - Successful completion": 1, "Closed otherwise": 0,
                                         "Still open": 1, "Declined or withdrawn": 1}


def test_outcome_groups_in_sql_follow_the_domain_rule(db):
    """Every (state, Referral Status) falls in exactly the group domain.measures gives it."""
    from sqlalchemy import literal, select

    from domain.measures import OutcomeGroup, outcome_group
    from domain.referral_status import ReferralState, ServiceStatus
    from models.reports.queries import outcome_group_conditions

    for state in ReferralState:
        for status in (None, *ServiceStatus):
            conditions = outcome_group_conditions(literal(state.value), literal(status and status.value))
            row = db.execute(select(*conditions.values())).one()
            chosen = [g for g, matched in zip(OutcomeGroup.ALL, row) if matched]
            assert chosen == [outcome_group(state.value, status)], (state, status)


async def test_partner_pages_page_the_agencies_and_keep_a_total_row(client, db, network):
    """51 agencies send one referral each to Missoula Housing: two pages of partners, and the
    total row counts them all on both (with r5 from Billings and r6 from Helena: 53 agencies, 53
    referrals, 51 of them still open)."""
    p = network["programs"]
    sender = network["people"]["provider"]
    for n in range(51):
        make_referral(db, make_program(db, f"Partner {n:02d}"), p["m"], sender, sent_at=at(6, 10))
    gatekeeper = make_user(db, "gkm@example.org", gatekeeper_of=(p["m"],))
    db.commit()
    await login(client, gatekeeper.email)
    body = (await client.get("/api/v1/reports/from-agency")).json()
    summary = body["summary"]
    assert (summary["page"], summary["pages"], summary["total"], len(summary["rows"])) == (1, 2, 53, 50)
    assert summary["totals"]["Referrals"] == 53 and summary["totals"]["Still open"] == 51
    second = (await client.get("/api/v1/reports/from-agency", params={"partners_page": 2})).json()
    names = [row["Agency"] for row in summary["rows"] + second["summary"]["rows"]]
    assert len(names) == 53 and names == sorted(names) and second["summary"]["totals"] == summary["totals"]
    page = await client.get("/reports/from-agency", params={"partners_page": 2, "page": 1},
                            headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'data-testid="partner-pager"' in page.text and "All 53 agencies" in page.text
    assert "partners_page=1" in page.text  # the link back, keeping the other filters
    table = page.text.split('data-testid="partner-summary"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 3  # the header and the last three agencies
    assert "<option" not in page.text.split('id="f-agency"')[1].split("</div>")[0]
    answer = await client.get("/api/v1/reports/from-agency.csv")  # the export stays complete
    assert len(list(csv.reader(io.StringIO(answer.text)))) == 1 + 53


async def test_the_agency_filter_takes_a_name_and_marks_a_wrong_one(client, network):
    await as_(client, network, "gatekeeper")
    r = network["r"]
    body = (await client.get("/api/v1/reports/to-agency",
                             params={"agency": ["Agency of Missoula Housing", ""]})).json()
    assert ids(body) == [r[6]]
    bad = await client.get("/api/v1/reports/to-agency", params={"agency": "Atlantis Outreach"})
    assert bad.status_code == 422 and bad.json()["field"] == "agency"
    page = await client.get("/reports/to-agency", params={"agency": "Atlantis Outreach"},
                            headers={"accept": "text/html"})
    assert page.status_code == 422 and "No agency is called 'Atlantis Outreach'" in html.unescape(page.text)
    box = page.text.split('id="f-agency"')[0].rsplit("<input", 1)[1]
    assert "usa-input--error" in box
    assert 'value="Atlantis Outreach"' in page.text.split('id="f-agency"')[1]
    chosen = await client.get("/reports/to-agency", params={"agency": network["programs"]["m"].agency_id},
                              headers={"accept": "text/html"})
    assert 'value="Agency of Missoula Housing"' in chosen.text  # an id shows as the agency's name
    assert 'id="f-agency-2"' in chosen.text  # and a box for one more
    assert "— 1 agency</caption>" in chosen.text and "1 agencies" not in chosen.text
    assert "The guide" not in chosen.text and "guide&#39;s name" not in chosen.text


async def test_agency_names_are_suggested_as_one_types(client, network):
    await as_(client, network, "provider")
    body = (await client.get("/api/v1/reports/agency-names", params={"q": "family hel"})).json()
    assert body == {"agencies": [{"id": network["helena"].id, "name": "Helena Family Services"}]}
    body = (await client.get("/api/v1/reports/agency-names", params={"q": "agency of"})).json()
    assert [a["name"] for a in body["agencies"]] == sorted(a["name"] for a in body["agencies"])
    assert len(body["agencies"]) >= 3
    starts = (await client.get("/api/v1/reports/agency-names", params={"q": "h"})).json()["agencies"]
    assert starts[0]["name"] == "Helena Family Services"  # a name starting with it comes first
    assert (await client.get("/api/v1/reports/agency-names", params={"q": "%"})).json() == {"agencies": []}
    assert (await client.get("/api/v1/reports/agency-names")).json() == {"agencies": []}


async def test_the_default_period_is_the_last_year(client, network, db):
    from tests.factories import make_referral as mk

    p = network["programs"]
    mk(db, p["b"], p["h1"], network["people"]["provider"], state="closed", service_status="Other",
       sent_at=datetime(2024, 6, 1, tzinfo=UTC))
    db.commit()
    await as_(client, network, "gatekeeper")
    body = (await client.get("/api/v1/reports/from-agency")).json()
    assert body["total"] == 2
    body = (await client.get("/api/v1/reports/from-agency", params={"sent_from": "2024-01-01"})).json()
    assert body["total"] == 3


async def test_partner_pages_explain_the_guides_names(client, network):
    await as_(client, network, "gatekeeper")
    page = await client.get("/reports/from-agency", headers={"accept": "text/html"})
    assert "sent to your agency from" in page.text
    page = await client.get("/reports/to-agency", headers={"accept": "text/html"})
    assert "your agency sent to" in page.text and 'data-testid="report-table"' in page.text


# --- closed-loop dashboard ----------------------------------------------------------------------

async def test_dashboard_measures_statewide(client, network):
    await as_(client, network, "state")
    body = (await client.get("/api/v1/reports/dashboard")).json()
    page = (await client.get("/reports/dashboard", headers={"accept": "text/html"})).text
    assert "Time to acknowledgement (median)</th>" in page and "hours)</th>" not in page
    state = body["summary"][0]
    assert state["Level"] == "State" and state["Referrals"] == 5  # r6 withdrawn, r7 unsent
    assert state["Time to acknowledgement (median, hours)"] == 4.0
    assert state["Time to acknowledgement (90th percentile, hours)"] == 20.0  # 4 + 0.8 * (24 - 4)
    assert state["Time to first contact (median, hours)"] == 19.0
    assert state["Time to enrollment (median, hours)"] == 48.0
    assert state["Share reached"] == 0.4 and state["Share enrolled"] == 0.4
    assert state["Share closed successfully"] == 0.2 and state["Share escalated"] == 0.2
    regions = {row["Name"]: row for row in body["summary"][1:]}
    assert regions["Region 3 — South Central"]["Referrals"] == 2  # r1, r2 received by Billings
    assert regions["Region 4 — Southwest"]["Referrals"] == 2  # r3, r4 received in Helena
    assert regions["Region 5 — Western"]["Referrals"] == 1
    assert regions["Region 1 — Eastern"]["Referrals"] == 0
    assert [b["referrals"] for b in body["ack_histogram"]] == [1, 1, 1, 0, 0, 0, 0, 0]
    programs = {row["Name"]: row for row in body["rows"]}
    billings = programs["Agency of Billings Behavioral Health — Billings Behavioral Health"]
    assert billings["Referrals"] == 2 and billings["Time to acknowledgement (median, hours)"] == 2.0
    assert billings["Share escalated"] == 0.5


async def test_dashboard_for_an_administrator_covers_their_regions(client, network):
    await as_(client, network, "admin4")
    body = (await client.get("/api/v1/reports/dashboard")).json()
    assert body["summary"][0]["Referrals"] == 2  # r3 and r4, received in region 4
    assert [row["Name"] for row in body["summary"][1:]] == ["Region 4 — Southwest"]
    assert {row["Name"] for row in body["rows"]} == {"Helena Family Services — Family Support",
                                                     "Helena Family Services — Parenting Classes"}
    page = await client.get("/reports/dashboard", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'data-testid="ack-histogram"' in page.text
    answer = await client.get("/api/v1/reports/dashboard.csv")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0][:3] == ["Level", "Name", "Referrals"] and len(table) == 1 + 2 + 2


async def test_dashboard_pages_its_programs_in_the_database(client, db, network):
    from models.reports import queries as q

    pages = [q.programs_page(db, q.state_scope(), n, size=2) for n in (1, 2, 3)]
    assert [p.display_name for page in pages for p in page.items] == [
        "Agency of Billings Behavioral Health — Billings Behavioral Health",
        "Agency of Lapsed Program — Lapsed Program", "Agency of Missoula Housing — Missoula Housing",
        "Helena Family Services — Family Support", "Helena Family Services — Parenting Classes"]
    assert {(page.total, page.pages) for page in pages} == {(5, 3)}
    region4 = q.programs_page(db, q.regions_scope(db, [4], "Region 4"), 1, size=2)
    assert [p.name for p in region4.items] == ["Family Support", "Parenting Classes"] and region4.total == 2
    await as_(client, network, "state")
    body = (await client.get("/api/v1/reports/dashboard")).json()
    assert (body["page"], body["pages"], body["total"], len(body["rows"])) == (1, 1, 5, 5)
    past = (await client.get("/api/v1/reports/dashboard", params={"page": 2})).json()
    assert (past["page"], past["total"], past["rows"]) == (2, 5, [])
    assert past["summary"] == body["summary"]  # the lines above the programs do not depend on the page


# --- Agencies Report ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Billings Behavioral Health", "Missoula Housing", "Family Support", "Parenting Classes"]),
        ({"service": "mental_health"}, ["Billings Behavioral Health"]),
        ({"region": "5"}, ["Missoula Housing"]),
        ({"county": "Lewis and Clark"}, ["Billings Behavioral Health", "Family Support", "Parenting Classes"]),
        ({"county": "lewis & clark", "county_mode": "telemedicine"}, ["Billings Behavioral Health"]),
        ({"county": "Lewis and Clark", "county_mode": "in_person"}, ["Family Support", "Parenting Classes"]),
        ({"insurance": "aetna"}, ["Billings Behavioral Health", "Missoula Housing"]),
        ({"agency": "helena"}, ["Family Support", "Parenting Classes"]),
        ({"agency": "Helena Family Services"}, ["Family Support", "Parenting Classes"]),
        ({"agency": "helena family services"}, ["Family Support", "Parenting Classes"]),
        ({"region": "4", "county": "Lewis and Clark", "service": "parenting", "insurance": "medicaid",
          "agency": "helena"}, ["Family Support", "Parenting Classes"]),
        ({"region": "3", "service": "parenting"}, []),
    ],
)
async def test_agencies_report_filters(client, network, params, expected):
    await as_(client, network, "provider")
    if params.get("agency") == "helena":
        params = {**params, "agency": network["helena"].id}
    body = (await client.get("/api/v1/reports/agencies", params=params)).json()
    assert [row["Program"] for row in body["rows"]] == expected
    assert body["total"] == len(expected)


async def test_agencies_report_page_and_csv(client, network):
    await as_(client, network, "provider")
    page = await client.get("/reports/agencies", params={"service": "mental_health", "county": ""},
                            headers={"accept": "text/html"})
    assert page.status_code == 200 and "Billings Behavioral Health" in page.text
    assert "Missoula Housing" not in page.text.split('data-testid="report-table"')[1]
    answer = await client.get("/api/v1/reports/agencies.csv", params={"service": "mental_health"})
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == ["Agency", "Program", "Region", "Services", "Counties in person",
                        "Counties by telemedicine", "Insurance accepted", "Phone", "Email"]
    assert table[1][1:7] == ["Billings Behavioral Health", "3 — South Central", "Mental health",
                             "Yellowstone", "Lewis and Clark", "Aetna; Medicaid"]
    # Region 5 with a county of region 2: nothing, and the page says where the county is.
    elsewhere = await client.get("/reports/agencies", params={"region": "5", "county": "cascade"},
                                 headers={"accept": "text/html"})
    assert "Nothing matches these filters" in elsewhere.text
    assert ("Cascade County is in Region 2 (North Central), not in Region 5 (Western). Choose Region 2, "
            "or any region, to see the programs serving Cascade County.") in elsewhere.text
    assert 'list="f-county-list"' in elsewhere.text and 'value="cascade"' in elsewhere.text  # type-ahead
    found = await client.get("/reports/agencies", params={"service": "mental_health"}, headers={"accept": "text/html"})
    assert 'data-testid="county-elsewhere"' not in found.text
    bad = await client.get("/api/v1/reports/agencies", params={"county": "Atlantis"})
    assert bad.status_code == 422 and bad.json()["field"] == "county"
    bad_page = await client.get("/reports/agencies", params={"service": "spa"}, headers={"accept": "text/html"})
    assert bad_page.status_code == 422 and "not one of the choices" in bad_page.text
    bad_agency = await client.get("/reports/agencies", params={"agency": "Nowhere Agency"},
                                  headers={"accept": "text/html"})
    assert bad_agency.status_code == 422 and "No agency is called 'Nowhere Agency'" in html.unescape(bad_agency.text)
    assert 'value="Nowhere Agency" list="agency-names"' in bad_agency.text
    assert "connect-field-error" in bad_agency.text.split('id="f-agency"')[0].rsplit("<input", 1)[1]
    assert "<option" not in bad_agency.text.split('id="f-agency"')[1].split("</div>")[0]


async def test_every_report_page_renders_for_the_state_team(client, network):
    await as_(client, network, "state")
    for slug in ("agencies", "delays", "outcomes", "from-agency", "to-agency", "dashboard"):
        page = await client.get(f"/reports/{slug}", headers={"accept": "text/html"})
        assert page.status_code == 200, (slug, page.text[:500])
        assert 'data-testid="csv-link"' in page.text and "/static/reports.css" in page.text


def test_charts_are_plain_svg_with_titles():
    from api.reports import charts

    bars = charts.bar_chart([("Enrolled in Services", 3), ("Other <b>", 1)], "By status")
    assert bars.count('class="connect-chart__bar"') == 2
    assert "Other &lt;b&gt;: 1 referral<" in bars and "Enrolled in Services: 3 referrals" in bars and "<b>" not in bars and "style=" not in bars
    columns = charts.stacked_columns(["2025-05", "2025-06"], [("Open", "#005ea2", [1, 2]),
                                                              ("Closed", "#00a91c", [0, 3])], "Over time")
    assert columns.count('class="connect-chart__bar"') == 3  # a zero value draws nothing
    assert "2025-06 — Closed: 3 referrals" in columns
    many = charts.column_chart([f"m{i}" for i in range(20)], list(range(20)), "Many")
    assert "rotate(-45" in many


def test_referral_rows_have_the_columns_their_readers_unpack():
    from models.reports.queries import (
        REFERRAL_ROW_FIELDS,
        ReferralFilter,
        referral_rows_query,
        state_scope,
    )

    names = [c.name for c in referral_rows_query(ReferralFilter(state_scope())).selected_columns]
    assert tuple(names) == REFERRAL_ROW_FIELDS


def test_read_ahead_hands_over_everything_and_raises_errors():
    from api.reports.tables import read_ahead

    assert list(read_ahead(lambda: iter(range(10)), depth=2)) == list(range(10))

    def failing():
        yield 1
        raise RuntimeError("database went away")

    items = read_ahead(failing)
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="went away"):
        next(items)


def test_read_ahead_stops_its_producer_when_the_reader_stops():
    import threading

    from api.reports.tables import read_ahead

    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    items = read_ahead(endless, depth=2)
    assert [next(items) for _ in range(3)] == [1, 2, 3]
    items.close()  # a cancelled download
    assert closed.wait(5)


@pytest.mark.parametrize("moment", [datetime(2025, 1, 15, 17, 5, 59, tzinfo=UTC),  # MST
                                    datetime(2025, 7, 4, 3, 0, 1, tzinfo=UTC),  # MDT, previous day
                                    datetime(2025, 3, 9, 9, 0, tzinfo=UTC)])  # the day DST starts
def test_local_time_is_iso_in_montana(moment):
    from api.reports.tables import local_time
    from domain.montana import LOCAL

    assert local_time(moment) == moment.astimezone(LOCAL).isoformat(timespec="minutes")
    assert local_time(None) == ""
