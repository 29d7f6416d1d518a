"""Workflow ids from business keys: the one place that spells them."""

from __future__ import annotations


def roi_workflow_id(roi_id: int) -> str:
    return f"roi-{roi_id}"


def referral_workflow_id(referral_id: int) -> str:
    return f"referral-{referral_id}"


def user_mou_workflow_id(user_id: int) -> str:
    return f"user-mou-{user_id}"


def agency_mou_workflow_id(program_id: int) -> str:
    return f"agency-mou-{program_id}"


def outbox_workflow_id(outbox_id: int) -> str:
    return f"outbox-{outbox_id}"


def webhook_delivery_workflow_id(delivery_id: int, round: int) -> str:
    return f"webhook-delivery-{delivery_id}-{round}"
