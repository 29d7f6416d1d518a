"""CONNECT's custom search attributes: ids and statuses only, never client data."""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from domain.roi import RoiState
from workflows.mou_contracts import MouKind
from workflows.referral_contracts import ReferralWorkflowState

CONNECT_KIND = SearchAttributeKey.for_keyword("ConnectKind")
REFERRAL_STATUS = SearchAttributeKey.for_keyword("ReferralStatus")
ROI_STATUS = SearchAttributeKey.for_keyword("RoiStatus")
MOU_STATUS = SearchAttributeKey.for_keyword("MouStatus")
SENDING_PROGRAM = SearchAttributeKey.for_keyword("SendingProgram")
RECEIVING_PROGRAM = SearchAttributeKey.for_keyword("ReceivingProgram")
RECEIVING_REGION = SearchAttributeKey.for_keyword("ReceivingRegion")
ESCALATED = SearchAttributeKey.for_keyword("Escalated")

ALL = (
    CONNECT_KIND,
    REFERRAL_STATUS,
    ROI_STATUS,
    MOU_STATUS,
    SENDING_PROGRAM,
    RECEIVING_PROGRAM,
    RECEIVING_REGION,
    ESCALATED,
)


def dev_server_flags() -> list[str]:
    """`temporal server start-dev` flags that register every attribute."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}=Keyword"]
    return flags


# --- what each workflow carries: one function per workflow, used by the starter (connect.
# workflow_client) and by the workflow itself as it changes -------------------------------------


def referral_attributes(s: ReferralWorkflowState) -> dict[SearchAttributeKey, str]:
    return {
        CONNECT_KIND: "referral",
        REFERRAL_STATUS: s.state.value,
        SENDING_PROGRAM: str(s.sending_program_id),
        RECEIVING_PROGRAM: str(s.receiving_program_id),
        RECEIVING_REGION: str(s.receiving_region),
        ESCALATED: "true" if s.escalated else "false",
    }


def roi_attributes(sending_program_id: int, status: RoiState | None = RoiState.DRAFT) -> dict[SearchAttributeKey, str]:
    """An ROI's attributes (``status`` None: those it has before its workflow publishes one)."""
    wanted = {CONNECT_KIND: "roi", SENDING_PROGRAM: str(sending_program_id)}
    return wanted if status is None else {**wanted, ROI_STATUS: status.value}


def mou_attributes(kind: MouKind, status: str | None = None) -> dict[SearchAttributeKey, str]:
    wanted = {CONNECT_KIND: f"{kind.value}-mou"}
    return wanted if status is None else {**wanted, MOU_STATUS: status}


def typed(wanted: dict[SearchAttributeKey, str]) -> TypedSearchAttributes:
    """The attributes to start a workflow with."""
    return TypedSearchAttributes([SearchAttributePair(key, value) for key, value in wanted.items()])


def upsert_changed(wanted: dict[SearchAttributeKey, str], published: dict[str, str]) -> None:
    """Inside a workflow: upserts those of ``wanted`` not yet published, and notes them."""
    changed = [key.value_set(value) for key, value in wanted.items() if published.get(key.name) != value]
    if changed:
        workflow.upsert_search_attributes(changed)
        published.update({key.name: value for key, value in wanted.items()})
