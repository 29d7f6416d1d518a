"""The one status table, and the mapping's promises that do not need a server."""

from __future__ import annotations

import pytest

from api.fhir.mapping import TASK_STATES, TASK_STATUSES, keys_with_task_status
from domain.referral_status import SERVICE_STATUSES, ReferralState, ServiceStatus

# The SDOHCC ValueSet Referral Task Status: FHIR's TaskStatus less ready and received.
REFERRAL_TASK_STATUS = {"draft", "requested", "accepted", "rejected", "cancelled", "in-progress", "on-hold",
                        "failed", "completed", "entered-in-error"}


def test_every_guide_status_and_every_open_state_has_one_row():
    assert set(ServiceStatus) <= set(TASK_STATES)
    assert set(TASK_STATES) - set(ServiceStatus) == set(ReferralState) - {ReferralState.CLOSED}
    assert len({row.code for row in TASK_STATES.values()}) == len(TASK_STATES)  # codes are unique


def test_task_statuses_are_those_the_ig_allows():
    assert set(TASK_STATUSES) <= REFERRAL_TASK_STATUS


@pytest.mark.parametrize("status", list(ServiceStatus))
def test_the_thirteen_statuses_keep_the_domain_tables_task_status(status):
    assert TASK_STATES[status].status == SERVICE_STATUSES[status].fhir_task_status.value
    assert TASK_STATES[status].display == status.value  # the guide's own words


@pytest.mark.parametrize(("key", "status", "reason"), [
    (ReferralState.PENDING, "draft", False), (ReferralState.SENT, "requested", False),
    (ReferralState.ASSIGNED, "accepted", False), (ReferralState.DECLINED, "rejected", True),
    (ReferralState.WITHDRAWN, "cancelled", True),
    (ServiceStatus.NOT_STARTED_ON_WAITING_LIST, "on-hold", True),
    (ServiceStatus.NOT_COMPLETED_DROPPED_OUT, "failed", True),
    (ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION, "completed", False),
    (ServiceStatus.ENROLLED_IN_SERVICES, "in-progress", False),
])
def test_status_reason_is_required_where_the_ig_asks_for_it(key, status, reason):
    assert (TASK_STATES[key].status, TASK_STATES[key].reason_required) == (status, reason)


def test_searching_by_status_finds_every_row_that_shows_it():
    assert set(keys_with_task_status("requested")) == {ReferralState.SENT}
    assert ServiceStatus.ON_WAITING_LIST in keys_with_task_status("on-hold")
