import pytest

from domain.errors import InvalidTransition, ValidationFailed
from domain.referral_status import (
    OPEN_STATES,
    SERVICE_STATUSES,
    TRANSITIONS,
    ContactMethod,
    ContactOutcome,
    FhirTaskStatus,
    ReferralAction,
    ReferralState,
    ServiceStatus,
    allowed_actions,
    check_transition,
    closing_statuses,
    is_closing,
    is_open,
    state_after_status,
)

S, A, SS = ReferralState, ReferralAction, ServiceStatus

# The table of docs/rules.md ("Referrals"), row for row: the guide's words, closes, FHIR Task.status.
DOMAIN_TABLE = [
    ("Closed - Referred to other program", True, "completed"),
    ("Closed - Successful completion", True, "completed"),
    ("Enrolled in Services", False, "in-progress"),
    ("Not Completed - Dropped out", True, "failed"),
    ("Not Completed - Moved out of area", True, "failed"),
    ("Not Completed - Whereabouts unknown", True, "failed"),
    ("Not Started - Declined services", True, "cancelled"),
    ("Not Started - Moved out of area", True, "cancelled"),
    ("Not Started - On waiting list", False, "on-hold"),
    ("Not Started - Referred to other program", True, "rejected"),
    ("Not Started - Unable to contact individual", True, "failed"),
    ("On Waiting List", False, "on-hold"),
    ("Other", False, "in-progress"),
]

ALLOWED = [
    (None, A.SAVE, S.PENDING),
    (None, A.SEND, S.SENT),
    (S.PENDING, A.SAVE, S.PENDING),
    (S.PENDING, A.SEND, S.SENT),
    (S.PENDING, A.WITHDRAW, S.WITHDRAWN),
    (S.SENT, A.ASSIGN, S.ASSIGNED),
    (S.SENT, A.DECLINE, S.DECLINED),
    (S.SENT, A.WITHDRAW, S.WITHDRAWN),
    (S.ASSIGNED, A.REASSIGN, S.ASSIGNED),
    (S.ASSIGNED, A.ADD_PROGRESS, S.ASSIGNED),
    (S.ASSIGNED, A.ADD_NOTE, S.ASSIGNED),
    (S.SENT, A.ADD_NOTE, S.SENT),
    (S.CLOSED, A.REOPEN, S.ASSIGNED),
]


@pytest.mark.parametrize(("current", "action", "expected"), ALLOWED)
def test_allowed_transitions(current, action, expected):
    assert check_transition(current, action) is expected


@pytest.mark.parametrize(("current", "action", "expected"), ALLOWED)
def test_plain_strings_are_accepted(current, action, expected):
    assert check_transition(current and str(current), str(action)) == expected


REFUSED = [
    (current, action)
    for current in [None, *ReferralState]
    for action in ReferralAction
    if action not in TRANSITIONS[current]
]


@pytest.mark.parametrize(("current", "action"), REFUSED)
def test_every_other_pair_is_refused_with_a_reason(current, action):
    with pytest.raises(InvalidTransition) as caught:
        check_transition(current, action, SS.OTHER)
    assert caught.value.reason.startswith("You cannot ")
    assert caught.value.code == f"referral_cannot_{action}"


@pytest.mark.parametrize(
    ("current", "action", "hint"),
    [
        (S.CLOSED, A.UPDATE_STATUS, "A gatekeeper can reopen it"),
        (S.CLOSED, A.ADD_NOTE, "A gatekeeper can reopen it"),
        (S.SENT, A.ADD_PROGRESS, "add a call-log note"),
        (S.SENT, A.UPDATE_STATUS, "assign it to a provider"),
        (S.ASSIGNED, A.DECLINE, "update its status"),
        (S.ASSIGNED, A.WITHDRAW, "reassign it"),
        (S.DECLINED, A.REOPEN, "start a new referral"),
        (S.WITHDRAWN, A.SEND, "start a new referral"),
        (None, A.ASSIGN, "save it, send it"),
    ],
)
def test_refusals_say_what_can_be_done(current, action, hint):
    with pytest.raises(InvalidTransition) as caught:
        check_transition(current, action)
    assert hint in caught.value.reason


def test_terminal_states_allow_nothing():
    assert allowed_actions(S.DECLINED) == allowed_actions(S.WITHDRAWN) == frozenset()


def test_table_covers_every_state_and_the_unsaved_referral():
    assert set(TRANSITIONS) == {None, *ReferralState}


@pytest.mark.parametrize("status", list(ServiceStatus))
def test_update_status_closes_only_with_a_closing_status(status):
    expected = S.CLOSED if status.closes else S.ASSIGNED
    assert check_transition(S.ASSIGNED, A.UPDATE_STATUS, status) is expected
    assert state_after_status(status) is expected


def test_update_status_needs_a_status():
    with pytest.raises(ValidationFailed) as caught:
        check_transition(S.ASSIGNED, A.UPDATE_STATUS)
    assert caught.value.field == "status"


@pytest.mark.parametrize(
    ("state", "open_"),
    [(S.PENDING, True), (S.SENT, True), (S.ASSIGNED, True), (S.CLOSED, False),
     (S.DECLINED, False), (S.WITHDRAWN, False)],
)
def test_open_states(state, open_):
    assert is_open(state) is open_
    assert (state in OPEN_STATES) is open_


@pytest.mark.parametrize(("label", "closes", "fhir"), DOMAIN_TABLE)
def test_service_statuses_match_domain_md(label, closes, fhir):
    status = ServiceStatus(label)
    assert status.label == label
    assert status.closes is closes
    assert is_closing(label) is closes
    assert status.fhir_task_status == fhir
    assert isinstance(status.fhir_task_status, FhirTaskStatus)


def test_exactly_the_thirteen_statuses_in_the_guides_order():
    assert [s.value for s in ServiceStatus] == [row[0] for row in DOMAIN_TABLE]
    assert list(SERVICE_STATUSES) == list(ServiceStatus)


@pytest.mark.parametrize("status", list(ServiceStatus))
def test_every_status_has_short_help(status):
    assert 20 < len(status.help_text) < 200
    assert status.help_text.endswith(".")


def test_closing_statuses():
    assert closing_statuses() == {SS(label) for label, closes, _ in DOMAIN_TABLE if closes}
    assert SS.NOT_STARTED_UNABLE_TO_CONTACT in closing_statuses()
    assert SS.ON_WAITING_LIST not in closing_statuses()


@pytest.mark.parametrize(
    ("state", "label"), [(S.PENDING, "Pending"), (S.SENT, "Active"), (S.ASSIGNED, "Assigned")]
)
def test_state_labels(state, label):
    assert state.label == label


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (ContactMethod, ["phone", "text", "email", "in_person", "letter", "other"]),
        (ContactOutcome, ["reached", "left_message", "no_answer", "wrong_number", "other"]),
    ],
)
def test_call_log_vocabularies(enum, values):
    assert [m.value for m in enum] == values
    assert all(m.label for m in enum)
