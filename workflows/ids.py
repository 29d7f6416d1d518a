"""Workflow ids from business keys: the one place that spells them, and reads them back.

Standard library only: the codec endpoint's scope check (models.workflow_owners) parses ids too.
"""

from __future__ import annotations

import re

ROI, REFERRAL, USER_MOU, AGENCY_MOU, OUTBOX, WEBHOOK_DELIVERY = (
    "roi", "referral", "user-mou", "agency-mou", "outbox", "webhook-delivery")


def roi_workflow_id(roi_id: int) -> str:
    return f"{ROI}-{roi_id}"


def referral_workflow_id(referral_id: int) -> str:
    return f"{REFERRAL}-{referral_id}"


def user_mou_workflow_id(user_id: int) -> str:
    return f"{USER_MOU}-{user_id}"


def agency_mou_workflow_id(program_id: int) -> str:
    return f"{AGENCY_MOU}-{program_id}"


def mou_workflow_id(kind, subject_id: int) -> str:
    """The MOU workflow of a person (``MouKind.USER``) or a program (``MouKind.AGENCY``)."""
    return user_mou_workflow_id(subject_id) if kind == "user" else agency_mou_workflow_id(subject_id)


def outbox_workflow_id(outbox_id: int) -> str:
    return f"{OUTBOX}-{outbox_id}"


def webhook_delivery_workflow_id(delivery_id: int, round: int) -> str:
    return f"{WEBHOOK_DELIVERY}-{delivery_id}-{round}"


# The ids of workflows that hold a record's data, as spelled above (a webhook delivery adds its
# round). Any other workflow (sweeps, schedules) belongs to no record.
_OWNED = re.compile(rf"^({'|'.join((REFERRAL, ROI, USER_MOU, AGENCY_MOU, OUTBOX, WEBHOOK_DELIVERY))})"
                    r"-([0-9]{1,18})(?:-[0-9]+)?$")


def parse_workflow_id(workflow_id: str) -> tuple[str, int] | None:
    """The kind of record a workflow id names and the record's id, or None for a workflow of no
    record."""
    match = _OWNED.match(workflow_id)
    return (match.group(1), int(match.group(2))) if match else None
