from datetime import UTC, date, datetime

import pytest

from domain.errors import ValidationFailed
from domain.referral_status import ReferralState, ServiceStatus
from domain.reports import (
    Report,
    Roles,
    ScopeKind,
    insurance_codes_matching,
    may_open,
    parse_status_filter,
    period_from_dates,
    reports_for,
    scopes_for,
)

PROVIDER = Roles(provider=True)
GATEKEEPER = Roles(gatekeeper=True)
ADMIN = Roles(admin_regions=frozenset({2, 4}))
STATE = Roles(state_team=True)
REFERRAL_REPORTS = [Report.DELAYS, Report.OUTCOMES, Report.FROM_AGENCY, Report.TO_AGENCY]


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (PROVIDER, [Report.BLANK_ROI, Report.AGENCIES]),
        (GATEKEEPER, [Report.BLANK_ROI, Report.AGENCIES, *REFERRAL_REPORTS]),
        (Roles(provider=True, gatekeeper=True), [Report.BLANK_ROI, Report.AGENCIES, *REFERRAL_REPORTS]),
        (ADMIN, [Report.BLANK_ROI, Report.AGENCIES, *REFERRAL_REPORTS, Report.DASHBOARD]),
        (STATE, [Report.BLANK_ROI, Report.AGENCIES, *REFERRAL_REPORTS, Report.DASHBOARD]),
        (Roles(), []),
    ],
)
def test_reports_by_role(roles, expected):
    assert reports_for(roles) == expected
    assert all(may_open(roles, r) for r in expected)
    assert not any(may_open(roles, r) for r in Report if r not in expected)


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (PROVIDER, []),
        (GATEKEEPER, [ScopeKind.AGENCY]),
        (ADMIN, [ScopeKind.REGIONS]),
        (Roles(gatekeeper=True, admin_regions=frozenset({1}), state_team=True),
         [ScopeKind.STATE, ScopeKind.REGIONS, ScopeKind.AGENCY]),
    ],
)
def test_scopes_widest_first(roles, expected):
    assert scopes_for(roles) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("sent", ReferralState.SENT), ("declined", ReferralState.DECLINED),
     ("Enrolled in Services", ServiceStatus.ENROLLED_IN_SERVICES)],
)
def test_status_filter(value, expected):
    assert parse_status_filter(value) == expected


@pytest.mark.parametrize("value", ["pending", "Enrolled", "closed; drop table"])
def test_unknown_status_filter_is_refused(value):
    with pytest.raises(ValidationFailed) as refused:
        parse_status_filter(value)
    assert refused.value.field == "status"


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [("aetna", {"aetna", "not_applicable", "uninsured_sliding_scale"}),
     ("not_applicable", {"not_applicable", "uninsured_sliding_scale"})],
)
def test_programs_needing_no_insurance_serve_any_insurance(wanted, expected):
    assert insurance_codes_matching(wanted) == expected


def test_period_is_whole_montana_days():
    p = period_from_dates(date(2025, 1, 1), date(2025, 6, 30))
    assert p.start == datetime(2025, 1, 1, 7, tzinfo=UTC)  # midnight MST
    assert p.end == datetime(2025, 7, 1, 6, tzinfo=UTC)  # midnight MDT after the last day


def test_default_period_counts_back_from_today():
    p = period_from_dates(None, None, today=date(2025, 6, 16), default_days=90)
    assert p.first_day == date(2025, 3, 19) and p.last_day is None and p.end is None
    assert period_from_dates(None, None).start is None  # no default: every referral


def test_period_must_not_run_backwards():
    with pytest.raises(ValidationFailed) as refused:
        period_from_dates(date(2025, 6, 2), date(2025, 6, 1))
    assert refused.value.field == "sent_from"
