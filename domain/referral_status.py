"""Referral states, the actions that move them, and the receiving side's Referral Status list.

Two different things are called "status" around a referral:

* ``ReferralState`` is the system's state as the sender sees it (pending, sent, ...); only the
  actions in ``TRANSITIONS`` change it.
* ``ServiceStatus`` is the guide's list of 13 Referral Status updates a provider records; some of
  them close the referral (``SERVICE_STATUSES`` says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidTransition, ValidationFailed
from domain.taxonomy import LabelledStrEnum

__all__ = [
    "FINAL_STATES",
    "OPEN_STATES",
    "SERVICE_STATUSES",
    "TRANSITIONS",
    "ContactMethod",
    "ContactOutcome",
    "FhirTaskStatus",
    "ReferralAction",
    "ReferralState",
    "ServiceStatus",
    "ServiceStatusInfo",
    "allowed_actions",
    "check_transition",
    "closing_statuses",
    "is_closing",
    "is_open",
    "state_after_status",
]


class ReferralState(LabelledStrEnum):
    """The system state of a referral (docs/rules.md, "Referrals")."""

    PENDING = ("pending", "Pending")  # saved, not sent
    SENT = ("sent", "Active")  # sent, waiting for the receiving program to acknowledge it
    ASSIGNED = ("assigned", "Assigned")  # acknowledged: assigned to one provider
    CLOSED = ("closed", "Closed")
    DECLINED = ("declined", "Declined")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class ReferralAction(StrEnum):
    """Things people do to a referral that may change its state."""

    SAVE = "save"
    SEND = "send"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    UPDATE_STATUS = "update_status"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    ADD_PROGRESS = "add_progress"
    ADD_NOTE = "add_note"


S, A = ReferralState, ReferralAction

# current state (None: the referral does not exist yet) -> action -> next state.
# UPDATE_STATUS lands in state_after_status(status): CLOSED when the chosen status closes.
TRANSITIONS: dict[ReferralState | None, dict[ReferralAction, ReferralState]] = {
    None: {A.SAVE: S.PENDING, A.SEND: S.SENT},
    S.PENDING: {A.SAVE: S.PENDING, A.SEND: S.SENT, A.WITHDRAW: S.WITHDRAWN},
    # A gatekeeper may log a call to set up a first appointment before assigning (Part 1, A.II).
    S.SENT: {A.ASSIGN: S.ASSIGNED, A.DECLINE: S.DECLINED, A.WITHDRAW: S.WITHDRAWN,
             A.ADD_NOTE: S.SENT},
    S.ASSIGNED: {A.REASSIGN: S.ASSIGNED, A.UPDATE_STATUS: S.ASSIGNED,
                 A.ADD_PROGRESS: S.ASSIGNED, A.ADD_NOTE: S.ASSIGNED},
    S.CLOSED: {A.REOPEN: S.ASSIGNED},
    S.DECLINED: {},
    S.WITHDRAWN: {},
}

# States after which the referral's workflow has nothing left to wait for (a closed referral
# can still be reopened: a new run of its workflow starts from the projection).
FINAL_STATES = frozenset({S.CLOSED, S.DECLINED, S.WITHDRAWN})

# States that count against "at most one open referral per client and receiving program".
OPEN_STATES = frozenset({S.PENDING, S.SENT, S.ASSIGNED})

# Wording for refusals: "You cannot <verb> this referral: <description>."
_VERB = {
    A.SAVE: "save",
    A.SEND: "send",
    A.ASSIGN: "assign",
    A.REASSIGN: "reassign",
    A.UPDATE_STATUS: "update the status of",
    A.DECLINE: "decline",
    A.WITHDRAW: "withdraw",
    A.REOPEN: "reopen",
    A.ADD_PROGRESS: "add progress to",
    A.ADD_NOTE: "add a note to",
}
_POSSIBLE = {
    A.SAVE: "save it",
    A.SEND: "send it",
    A.ASSIGN: "assign it to a provider",
    A.REASSIGN: "reassign it",
    A.UPDATE_STATUS: "update its status",
    A.DECLINE: "decline it",
    A.WITHDRAW: "withdraw it",
    A.REOPEN: "reopen it",
    A.ADD_PROGRESS: "add progress",
    A.ADD_NOTE: "add a call-log note",
}
_DESCRIPTION = {
    None: "it has not been saved or sent yet",
    S.PENDING: "it is saved but not sent",
    S.SENT: "it is waiting for the receiving program to acknowledge it",
    S.ASSIGNED: "it is already assigned to a provider",
    S.CLOSED: "it is closed",
    S.DECLINED: "the receiving program declined it",
    S.WITHDRAWN: "the sender withdrew it",
}


def allowed_actions(current: ReferralState | None) -> frozenset[ReferralAction]:
    """The actions possible from ``current`` (None: a referral not yet saved)."""
    return frozenset(TRANSITIONS[current])


def is_open(state: ReferralState) -> bool:
    """Whether a referral in ``state`` blocks another one for the same client and program."""
    return state in OPEN_STATES


def check_transition(
    current: ReferralState | None,
    action: ReferralAction,
    status: ServiceStatus | None = None,
) -> ReferralState:
    """The state a referral moves to when ``action`` is done in state ``current``.

    ``current`` is None for a referral that does not exist yet. ``status`` is required for
    UPDATE_STATUS and decides whether the referral closes. Raises InvalidTransition, with a
    reason saying what can be done instead, when the action is not possible now.
    """
    current = None if current is None else ReferralState(current)
    action = ReferralAction(action)
    next_state = TRANSITIONS[current].get(action)
    if next_state is None:
        raise InvalidTransition(_refusal(current, action), code=f"referral_cannot_{action}")
    if action is A.UPDATE_STATUS:
        if status is None:
            raise ValidationFailed(
                "Choose a Referral Status from the list.", field="status", code="status_missing"
            )
        return state_after_status(status)
    return next_state


def _refusal(current: ReferralState | None, action: ReferralAction) -> str:
    reason = f"You cannot {_VERB[action]} this referral: {_DESCRIPTION[current]}."
    possible = [_POSSIBLE[a] for a in TRANSITIONS[current]]
    if current is S.CLOSED:
        return reason + " A gatekeeper can reopen it, giving a reason."
    if not possible:
        return reason + " This is final; start a new referral if the client still needs help."
    return reason + " From here you can: " + ", ".join(possible) + "."


class FhirTaskStatus(StrEnum):
    """The subset of FHIR R4 Task.status codes that Referral Statuses map to (Gravity SDOH)."""

    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class ServiceStatus(StrEnum):
    """The guide's Referral Status list (Part 6), values in the guide's own words."""

    CLOSED_REFERRED_TO_OTHER_PROGRAM = "Closed - Referred to other program"
    CLOSED_SUCCESSFUL_COMPLETION = "Closed - Successful completion"
    ENROLLED_IN_SERVICES = "Enrolled in Services"
    NOT_COMPLETED_DROPPED_OUT = "Not Completed - Dropped out"
    NOT_COMPLETED_MOVED_OUT_OF_AREA = "Not Completed - Moved out of area"
    NOT_COMPLETED_WHEREABOUTS_UNKNOWN = "Not Completed - Whereabouts unknown"
    NOT_STARTED_DECLINED_SERVICES = "Not Started - Declined services"
    NOT_STARTED_MOVED_OUT_OF_AREA = "Not Started - Moved out of area"
    NOT_STARTED_ON_WAITING_LIST = "Not Started - On waiting list"
    NOT_STARTED_REFERRED_TO_OTHER_PROGRAM = "Not Started - Referred to other program"
    NOT_STARTED_UNABLE_TO_CONTACT = "Not Started - Unable to contact individual"
    ON_WAITING_LIST = "On Waiting List"
    OTHER = "Other"

    @property
    def info(self) -> ServiceStatusInfo:
        """This status's row of ``SERVICE_STATUSES``."""
        return SERVICE_STATUSES[self]

    @property
    def label(self) -> str:
        """What the UI shows."""
        return self.info.label

    @property
    def help_text(self) -> str:
        """When to choose this status, in plain words."""
        return self.info.help_text

    @property
    def closes(self) -> bool:
        """Whether choosing this status closes the referral."""
        return self.info.closes

    @property
    def fhir_task_status(self) -> FhirTaskStatus:
        """The Gravity SDOH Task.status this status maps to."""
        return self.info.fhir_task_status


@dataclass(frozen=True)
class ServiceStatusInfo:
    """One row of the Referral Status table."""

    label: str
    help_text: str
    closes: bool
    fhir_task_status: FhirTaskStatus


def _row(
    status: ServiceStatus, closes: bool, fhir: FhirTaskStatus, help_text: str
) -> tuple[ServiceStatus, ServiceStatusInfo]:
    # The label is the guide's wording, which is also the enum value.
    return status, ServiceStatusInfo(status.value, help_text, closes, fhir)


SS, F = ServiceStatus, FhirTaskStatus

# The one table of Referral Statuses: closes?, FHIR Task.status, help text (guide, Part 6).
SERVICE_STATUSES: dict[ServiceStatus, ServiceStatusInfo] = dict(
    [
        _row(SS.CLOSED_REFERRED_TO_OTHER_PROGRAM, True, F.COMPLETED,
             "You talked with the client and referred them to another program, because yours "
             "could not take them or their needs were outside what you offer."),
        _row(SS.CLOSED_SUCCESSFUL_COMPLETION, True, F.COMPLETED,
             "You contacted the client and met their service need; no further services are "
             "needed."),
        _row(SS.ENROLLED_IN_SERVICES, False, F.IN_PROGRESS,
             "The client is enrolled, but the need is not fully met yet, for example classes "
             "over several weeks or several visits."),
        _row(SS.NOT_COMPLETED_DROPPED_OUT, True, F.FAILED,
             "The client took part in some services, then clearly told you they will not "
             "continue."),
        _row(SS.NOT_COMPLETED_MOVED_OUT_OF_AREA, True, F.FAILED,
             "The client took part in some services, then moved too far away to keep coming."),
        _row(SS.NOT_COMPLETED_WHEREABOUTS_UNKNOWN, True, F.FAILED,
             "The client took part in some services, then stopped coming and no longer answers, "
             "without saying they wanted to stop."),
        _row(SS.NOT_STARTED_DECLINED_SERVICES, True, F.CANCELLED,
             "You contacted the client and they said they do not want services. No services "
             "were offered."),
        _row(SS.NOT_STARTED_MOVED_OUT_OF_AREA, True, F.CANCELLED,
             "You contacted the client, but they now live too far away to reach you. No "
             "services were offered."),
        _row(SS.NOT_STARTED_ON_WAITING_LIST, False, F.ON_HOLD,
             "You contacted the client and put them on your waiting list; you will contact them "
             "when a place opens."),
        _row(SS.NOT_STARTED_REFERRED_TO_OTHER_PROGRAM, True, F.REJECTED,
             "You contacted the client, but your program cannot serve them, so you referred "
             "them to another agency or program."),
        _row(SS.NOT_STARTED_UNABLE_TO_CONTACT, True, F.FAILED,
             "You tried to reach the client, but they did not answer calls, emails, letters or "
             "other attempts."),
        _row(SS.ON_WAITING_LIST, False, F.ON_HOLD,
             "The client has received part of a service, such as an intake assessment, and is "
             "waiting until your program can offer the rest."),
        _row(SS.OTHER, False, F.IN_PROGRESS,
             "Any situation the other statuses do not cover; explain it in a note."),
    ]
)


def closing_statuses() -> frozenset[ServiceStatus]:
    """The Referral Statuses that close a referral."""
    return frozenset(s for s, info in SERVICE_STATUSES.items() if info.closes)


def is_closing(status: ServiceStatus) -> bool:
    """Whether choosing ``status`` closes the referral."""
    return ServiceStatus(status).closes


def state_after_status(status: ServiceStatus) -> ReferralState:
    """The referral's state once ``status`` is recorded: closed if it closes, else assigned."""
    return ReferralState.CLOSED if is_closing(status) else ReferralState.ASSIGNED


class ContactMethod(LabelledStrEnum):
    """How a provider tried to reach the client (a call-log note)."""

    PHONE = ("phone", "Phone call")
    TEXT = ("text", "Text message")
    EMAIL = ("email", "Email")
    IN_PERSON = ("in_person", "In person")
    LETTER = ("letter", "Letter")
    OTHER = ("other", "Other")


class ContactOutcome(LabelledStrEnum):
    """What came of a contact attempt (a call-log note)."""

    REACHED = ("reached", "Reached the client")
    LEFT_MESSAGE = ("left_message", "Left a message")
    NO_ANSWER = ("no_answer", "No answer")
    WRONG_NUMBER = ("wrong_number", "Wrong number")
    OTHER = ("other", "Other")
