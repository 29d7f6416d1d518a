"""Contracts of the FHIR subscription workflow: ids only, never client data."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

FHIR_SUBSCRIPTION_WORKFLOW = "FhirSubscription"
ROUNDS_PER_RUN = 500
"""Polling rounds before the workflow continues as new, which keeps its history short."""


def fhir_subscription_workflow_id(subscription_id: int) -> str:
    return f"fhir-subscription-{subscription_id}"


@dataclass(frozen=True)
class SubscriptionInput:
    subscription_id: int
    poll_seconds: float = 5.0
    """How often changes are looked for (a notification waits at most this long)."""
    handshake_done: bool = False


@dataclass(frozen=True)
class SubscriptionStep:
    """One delivery step of one subscription (handshake, the changes since the last one, heartbeat)."""

    subscription_id: int


@dataclass(frozen=True)
class StepResult:
    status: str
    """The subscription's status after the step: active, error or off."""
    sent: int = 0
    """Event notifications sent by this step."""
    heartbeat_seconds: int = 0


class FhirSubscriptionActivitiesContract:
    """A FHIR subscription's deliveries: named by method in the workflow, implemented by
    `activities.fhir.FhirSubscriptionActivities` (docs/retries.md)."""

    @activity.defn
    async def fhir_subscription_handshake(self, step: SubscriptionStep) -> StepResult:
        raise NotImplementedError

    @activity.defn
    async def fhir_subscription_notify(self, step: SubscriptionStep) -> StepResult:
        raise NotImplementedError

    @activity.defn
    async def fhir_subscription_heartbeat(self, step: SubscriptionStep) -> StepResult:
        raise NotImplementedError
