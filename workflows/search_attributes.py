"""CONNECT's custom search attributes: ids and statuses only, never client data."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

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
